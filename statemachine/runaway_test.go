package statemachine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/internal/interp"
	"github.com/stepwise-dev/stepwise/statemachine/jsonata"
	"github.com/stepwise-dev/stepwise/statemachine/states"
)

// omega is a JSONata expression that never terminates: a tail call that
// calls itself for ever (issue 11.2).
const omega = `(function($f){$f($f)})(function($f){$f($f)})`

// runawayDef is a machine whose only state evaluates omega.
func runawayDef(timeout int) string {
	t := ""
	if timeout > 0 {
		t = fmt.Sprintf(`"TimeoutSeconds":%d,`, timeout)
	}
	return `{` + t + `"QueryLanguage":"JSONata","StartAt":"Spin","States":{
	  "Spin":{"Type":"Pass","Output":{"v":"{% ` + omega + ` %}"},"End":true}}}`
}

// withBudget replaces the JSONata budget of machines compiled until the
// test ends. Top-level tests of this package that do so are not parallel,
// so no other test compiles meanwhile.
func withBudget(t *testing.T, b jsonata.Budget) {
	old := interp.JSONataBudget
	interp.JSONataBudget = b
	t.Cleanup(func() { interp.JSONataBudget = old })
}

// unbounded is a budget with no step bound: only the run's context can
// stop omega, so a test using it hangs (and fails on its own bound) unless
// cancellation reaches the evaluation.
var unbounded = jsonata.Budget{MaxDepth: 100, MaxValueBytes: 873782 * 8}

// bounded fails the test instead of hanging when fn has not returned after
// a generous while; it measures nothing.
func bounded(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s did not return: the evaluation was not stopped", what)
	}
}

// waitEntered waits until the execution's history holds the state's
// StateEntered event, i.e. until the run is evaluating it.
func (h *harness) waitEntered(arn string) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for !slices.Contains(h.types(arn), "PassStateEntered") {
		select {
		case <-ctx.Done():
			h.t.Fatal("the state was never entered")
		case <-time.After(time.Millisecond):
		}
	}
}

// closeBounded closes the engine, which waits for every run goroutine: it
// returns only once the evaluation has stopped burning CPU.
func (h *harness) closeBounded() {
	h.t.Helper()
	bounded(h.t, "Engine.Close", func() { h.e.Close() })
}

func (h *harness) noEvaluationFailed(arn string) {
	h.t.Helper()
	if ty := h.types(arn); slices.Contains(ty, "EvaluationFailed") {
		h.t.Fatalf("a stopped evaluation recorded EvaluationFailed: %v", ty)
	}
}

// TestRunawayJSONataTimesOut: the machine's TimeoutSeconds interrupts an
// evaluation in progress; the execution is TIMED_OUT and its goroutine
// ends.
func TestRunawayJSONataTimesOut(t *testing.T) {
	withBudget(t, unbounded)
	h := newHarness(t, runawayDef(2), Options{})
	x := h.start("spin", `{}`)
	h.waitEntered(x.ExecutionArn)
	h.clock.Advance(2 * time.Second)
	var got *Execution
	bounded(t, "WaitExecution", func() { got = h.wait(x.ExecutionArn) })
	if got.Status != StatusTimedOut {
		t.Fatalf("status %s, want TIMED_OUT", got.Status)
	}
	h.noEvaluationFailed(x.ExecutionArn)
	h.closeBounded()
}

// TestRunawayJSONataStopped: StopExecution ends the execution ABORTED at
// once and the evaluation stops (Close returns).
func TestRunawayJSONataStopped(t *testing.T) {
	withBudget(t, unbounded)
	h := newHarness(t, runawayDef(0), Options{})
	x := h.start("spin", `{}`)
	h.waitEntered(x.ExecutionArn)
	if _, err := h.e.StopExecution(context.Background(), x.ExecutionArn, "", ""); err != nil {
		t.Fatal(err)
	}
	if got := h.wait(x.ExecutionArn); got.Status != StatusAborted {
		t.Fatalf("status %s, want ABORTED", got.Status)
	}
	h.closeBounded()
	h.noEvaluationFailed(x.ExecutionArn)
}

// TestRunawayJSONataAfterRestart: an engine shutting down stops the
// evaluation (the execution stays RUNNING in the store); after the
// restart the resumed evaluation is again interrupted by the timeout, and
// by StopExecution.
func TestRunawayJSONataAfterRestart(t *testing.T) {
	withBudget(t, unbounded)
	for _, stop := range []bool{false, true} {
		t.Run(fmt.Sprintf("stop=%v", stop), func(t *testing.T) {
			store := newMemStore()
			clock := NewVirtualClock(t0)
			h := newHarness(t, runawayDef(2), Options{Clock: clock, Store: store})
			x := h.start("spin", `{}`)
			h.waitEntered(x.ExecutionArn)
			h.closeBounded() // a crash or shutdown mid-evaluation
			if s := mustDescribe(t, h.e, x.ExecutionArn).Status; s != StatusRunning {
				t.Fatalf("status before restart %s, want RUNNING", s)
			}

			clock2 := NewVirtualClock(clock.Now())
			h2 := newHarness(t, "", Options{Clock: clock2, Store: store})
			if !clock2.WaitPending(1, nil) { // the resumed run's deadline
				t.Fatal("no timeout timer after restart")
			}
			want := StatusTimedOut
			if stop {
				want = StatusAborted
				if _, err := h2.e.StopExecution(context.Background(), x.ExecutionArn, "", ""); err != nil {
					t.Fatal(err)
				}
			} else {
				clock2.Advance(2 * time.Second)
			}
			var got *Execution
			bounded(t, "WaitExecution", func() { got = h2.wait(x.ExecutionArn) })
			if got.Status != want {
				t.Fatalf("status %s, want %s", got.Status, want)
			}
			h2.closeBounded()
			h2.noEvaluationFailed(x.ExecutionArn)
		})
	}
}

// TestRunawayJSONataBudget: with the step budget on, a runaway expression
// fails its state with States.QueryEvaluationError and the texts AWS uses,
// in executions and in TestState alike; so do too-deep and too-large ones.
func TestRunawayJSONataBudget(t *testing.T) {
	b := interp.JSONataBudget
	b.MaxSteps = 100_000 // the real bound takes seconds; the mapping is the same
	withBudget(t, b)
	sum200 := strings.TrimSuffix(strings.Repeat("1+", 200), "+")
	const (
		timeout = "Expression evaluation timeout: Check for infinite loop"
		depth   = "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive."
		memory  = "Expression evaluation memory limit exceeded: Check for excessive memory usage"
	)
	for _, c := range []struct{ name, expr, msg string }{
		{"tail call loop", omega, timeout},
		{"200 nested additions", sum200, depth},
		{"range", `[1..873783] ~> $count()`, memory},
		{"string doubled in reduce", `$reduce([1..100], function($a, $b){ $a & $a }, 'x')`, memory},
		{"pad", `$pad('x', 100000000)`, memory},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantCause := "An error occurred while executing the state 'Spin' (entered at the event id #2). " +
				"The JSONata expression '" + c.expr + "' specified for the field 'Output/v' threw an error during evaluation: " + c.msg
			def := `{"QueryLanguage":"JSONata","StartAt":"Spin","States":{
			  "Spin":{"Type":"Pass","Output":{"v":"{% ` + c.expr + ` %}"},"End":true}}}`
			h := newHarness(t, def, Options{})
			x := h.start("x", `{}`)
			var got *Execution
			bounded(t, "WaitExecution", func() { got = h.wait(x.ExecutionArn) })
			if got.Status != StatusFailed || strOrNil(got.Error) != states.QueryEvaluationError || strOrNil(got.Cause) != wantCause {
				t.Fatalf("got %s %s %q\nwant FAILED %s %q", got.Status, strOrNil(got.Error), strOrNil(got.Cause), states.QueryEvaluationError, wantCause)
			}
			if ty := h.types(x.ExecutionArn); !slices.Contains(ty, "EvaluationFailed") {
				t.Fatalf("no EvaluationFailed event: %v", ty)
			}

			var out *TestStateOutput
			var err error
			bounded(t, "TestState", func() {
				out, err = h.e.TestState(context.Background(), TestStateInput{Definition: def, StateName: "Spin"})
			})
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != "FAILED" || out.Error != states.QueryEvaluationError || !strings.HasSuffix(out.Cause, c.msg) {
				t.Fatalf("TestState: %+v", *out)
			}
		})
	}
}

// countdownCtx is a context whose Err turns to Canceled after n calls:
// a client that goes away while TestState is evaluating, without
// goroutines or clocks.
type countdownCtx struct {
	context.Context
	n int
}

func (c *countdownCtx) Err() error {
	if c.n <= 0 {
		return context.Canceled
	}
	c.n--
	return nil
}

// TestRunawayTestStateClientGone: TestState stops evaluating when its
// request context is done and reports the context's error.
func TestRunawayTestStateClientGone(t *testing.T) {
	withBudget(t, unbounded)
	h := newHarness(t, "", Options{})
	ctx := &countdownCtx{Context: context.Background(), n: 5}
	var err error
	bounded(t, "TestState", func() {
		_, err = h.e.TestState(ctx, TestStateInput{Definition: runawayDef(0), StateName: "Spin"})
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestRunawayJSONPathClientGone: a JSONPath filter that scans the whole
// input from every item (quadratic: minutes on a 256 KiB input without a
// bound) stops when the TestState caller goes away.
func TestRunawayJSONPathClientGone(t *testing.T) {
	h := newHarness(t, "", Options{})
	var b strings.Builder
	b.WriteString(`{"a":[`)
	for i := range 10000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"x":%d}`, i)
	}
	b.WriteString(`]}`)
	def := `{"Type":"Pass","Parameters":{"v.$":"$..[?($..x)]"},"End":true}`
	ctx := &countdownCtx{Context: context.Background(), n: 5}
	var err error
	bounded(t, "TestState", func() {
		_, err = h.e.TestState(ctx, TestStateInput{Definition: def, Input: b.String()})
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
