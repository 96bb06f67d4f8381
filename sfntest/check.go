package sfntest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// Context returns a context for one test's executions: cancelled when the
// test ends, and with a deadline a little before the test binary's
// (-timeout), so that a stuck execution fails the test with a message
// naming what it waits for instead of a panic without one.
func Context(t testing.TB) context.Context {
	ctx := t.Context()
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := d.Deadline(); ok {
			margin := time.Until(dl) / 10
			if margin > 5*time.Second {
				margin = 5 * time.Second
			}
			c, cancel := context.WithDeadline(ctx, dl.Add(-margin))
			t.Cleanup(cancel)
			return c
		}
	}
	return ctx
}

// Test runs the workflow with input to its end and returns the result; a
// run that cannot finish (a token nothing answers, the test's deadline) or
// a problem (a handler that panicked, a function without a handler) fails
// the test with the state at fault and the path taken.
func (w *Workflow) Test(t testing.TB, input string) *Result {
	t.Helper()
	r, err := w.Run(Context(t), input)
	if err != nil && r == nil {
		t.Fatalf("%v", err)
	}
	for _, p := range r.Problems {
		t.Errorf("sfntest: %s: %s\n  path: %s", w.name, p, r.pathString())
	}
	if err != nil {
		t.FailNow()
	}
	return r
}

// ExpectSucceeded fails the test unless the execution succeeded; the
// message has the error, the cause, the failing state and the path.
func (r *Result) ExpectSucceeded(t testing.TB) *Result {
	t.Helper()
	if r.Status != statemachine.StatusSucceeded {
		t.Errorf("%s: status %s, want SUCCEEDED\n%s", r.Workflow, r.Status, r.explain())
	}
	return r
}

// ExpectFailed fails the test unless the execution failed with the error
// name.
func (r *Result) ExpectFailed(t testing.TB, errorName string) *Result {
	t.Helper()
	if r.Status != statemachine.StatusFailed || r.Error != errorName {
		t.Errorf("%s: status %s error %q, want FAILED with %q\n%s", r.Workflow, r.Status, r.Error, errorName, r.explain())
	}
	return r
}

// ExpectOutput fails the test unless the execution succeeded with output
// equal, as JSON, to want (JSON text, json.RawMessage, or a value to
// marshal); the message is a line diff of the indented documents.
func (r *Result) ExpectOutput(t testing.TB, want any) *Result {
	t.Helper()
	if r.Status != statemachine.StatusSucceeded {
		t.Errorf("%s: status %s, want SUCCEEDED with an output\n%s", r.Workflow, r.Status, r.explain())
		return r
	}
	wb, err := jsonText(want)
	if err != nil {
		t.Fatalf("ExpectOutput: %v", err)
	}
	if d := jsonDiff(string(wb), r.Output); d != "" {
		t.Errorf("%s: output differs (-want +got):\n%s\npath: %s", r.Workflow, d, r.pathString())
	}
	return r
}

// ExpectPath fails the test unless the top-level path is exactly states.
func (r *Result) ExpectPath(t testing.TB, states ...string) *Result {
	t.Helper()
	if strings.Join(states, "\x00") != strings.Join(r.Path, "\x00") {
		t.Errorf("%s: path differs\n  want: %s\n  got:  %s", r.Workflow, strings.Join(states, " → "), r.pathString())
	}
	return r
}

// explain describes how an execution ended, for failure messages.
func (r *Result) explain() string {
	var b strings.Builder
	if r.Error != "" || r.Cause != "" {
		fmt.Fprintf(&b, "  error: %s\n  cause: %s\n", r.Error, r.Cause)
	}
	for _, v := range r.States {
		if v.Error != "" {
			where := v.Name
			if v.Scope != "" {
				where = v.Scope + "/" + v.Name
			}
			fmt.Fprintf(&b, "  state %s failed: %s: %s\n", where, v.Error, v.Cause)
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  problem: %s\n", p)
	}
	fmt.Fprintf(&b, "  path: %s", r.pathString())
	return b.String()
}

// jsonDiff compares two JSON documents and returns "" when they are equal
// as JSON, else a line diff of their indented forms.
func jsonDiff(want, got string) string {
	var wv, gv any
	werr := json.Unmarshal([]byte(want), &wv)
	gerr := json.Unmarshal([]byte(got), &gv)
	if werr == nil && gerr == nil {
		wb, _ := json.Marshal(wv)
		gb, _ := json.Marshal(gv)
		if bytes.Equal(wb, gb) {
			return ""
		}
	}
	return lineDiff(indent(want), indent(got))
}

func indent(s string) []string {
	var b bytes.Buffer
	if json.Indent(&b, []byte(s), "", "  ") != nil {
		return strings.Split(s, "\n")
	}
	return strings.Split(b.String(), "\n")
}

// lineDiff is a longest-common-subsequence diff, "-" for want, "+" for got.
func lineDiff(a, b []string) string {
	n, m := len(a), len(b)
	l := make([][]int, n+1)
	for i := range l {
		l[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out.WriteString("  " + a[i] + "\n")
			i++
			j++
		case j < m && (i == n || l[i][j+1] >= l[i+1][j]):
			out.WriteString("+ " + b[j] + "\n")
			j++
		default:
			out.WriteString("- " + a[i] + "\n")
			i++
		}
	}
	return strings.TrimRight(out.String(), "\n")
}
