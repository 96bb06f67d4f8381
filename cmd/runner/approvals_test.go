package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/stepwise-dev/stepwise/local/stack"
	"github.com/stepwise-dev/stepwise/steps/export"
)

// TestApprovalScripts runs the scripts of approvals, approve and reject
// (testdata/approvals) against a `runner up` each script starts. Beside
// waitfile and waitapproval (as in TestScripts) they may put objects into
// the local bucket (s3put) and generate large files (bigcsv).
func TestApprovalScripts(t *testing.T) {
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/approvals",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("STEPWISE_DATA_DIR", env.WorkDir+"/.stepwise")
			env.Setenv("STEPWISE_REPO", repo)
			env.Setenv("AWS_CA_BUNDLE", "")
			return nil
		},
		Cmds: withScriptCmds(map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// s3put KEY FILE: put FILE into the bucket of the stack that
			// `runner up` serves on the script's data directory.
			"s3put": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: s3put KEY FILE")
				}
				data, err := os.ReadFile(ts.MkAbs(args[1]))
				ts.Check(err)
				ep, err := stack.ReadEndpoints(ts.Getenv("STEPWISE_DATA_DIR"))
				ts.Check(err)
				ctx := context.Background()
				tg, err := localTarget(ctx, ep)
				ts.Check(err)
				_, err = tg.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(ep.Bucket), Key: aws.String(args[0]), Body: bytes.NewReader(data)})
				ts.Check(err)
			},
			// decidelink NAME approve|reject [APPROVER [COMMENT]]: decide
			// NAME's approval as an approver does, through the decision
			// link of its notification: GET the page, POST the button with
			// the page's form token. It prints "status CODE" and the page's
			// text. When the page shows no form (decided already), it posts
			// with the form token of its last page for NAME.
			"decidelink": decideLink,
			// bigcsv FILE ROWS BYTES: write a CSV (id,notes,status) whose
			// ROWS rows each carry a notes value of BYTES bytes.
			"bigcsv": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 3 {
					ts.Fatalf("usage: bigcsv FILE ROWS BYTES")
				}
				rows, err := strconv.Atoi(args[1])
				ts.Check(err)
				n, err := strconv.Atoi(args[2])
				ts.Check(err)
				var b bytes.Buffer
				b.WriteString("id,notes,status\n")
				for i := 1; i <= rows; i++ {
					fmt.Fprintf(&b, "%d,%s,ok\n", i, strings.Repeat("n", n))
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), b.Bytes(), 0o644))
			},
		}),
	})
}

// withScriptCmds adds the commands every script has (scriptCmds) to cmds.
func withScriptCmds(cmds map[string]func(ts *testscript.TestScript, neg bool, args []string)) map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	for name, fn := range scriptCmds {
		cmds[name] = fn
	}
	return cmds
}

// TestPrintable: what `runner approvals` shows of a value stays on one
// line of a terminal and sample cells are cut with "…" (issue 10.9).
func TestPrintable(t *testing.T) {
	tests := []struct{ in, printable, cell string }{
		{"plain", "plain", "plain"},
		{"a\nb\r\nc\td", `a\nb\r\nc\td`, `a\nb\r\nc\td`},
		{"bell\x07 esc\x1b[31m del\x7f", `bell\u0007 esc\u001b[31m del\u007f`, `bell\u0007 esc\u001b[31m del\u007f`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`, `bad \xff\xfe utf8`},
		{"line\u2028sep", `line\u2028sep`, `line\u2028sep`},
		{"ünïcödé stays", "ünïcödé stays", "ünïcödé stays"},
		{strings.Repeat("é", 45), strings.Repeat("é", 45), strings.Repeat("é", 39) + "…"},
	}
	for _, tt := range tests {
		if got := printable(tt.in); got != tt.printable {
			t.Errorf("printable(%q) = %q, want %q", tt.in, got, tt.printable)
		}
		if got := cell(tt.in); got != tt.cell {
			t.Errorf("cell(%q) = %q, want %q", tt.in, got, tt.cell)
		}
	}
}

// TestPrintApprovalWhereAndTruncation: a multi-line filter stays on one
// line, an empty name prints no "()", and a shortened record says what it
// left out.
func TestPrintApprovalWhereAndTruncation(t *testing.T) {
	var b strings.Builder
	printApproval(&b, export.ApprovalRecord{
		Execution: "e-1", Where: "total > 100 &&\n  country == \"DE\"", Columns: []string{"a", "b"}, ColumnCount: 300,
		Output: "s3://b/k", SampleRows: [][]string{{"1", "x"}}, Truncated: true, Truncation: []string{"the first 2 of 300 columns are listed"},
	})
	for _, want := range []string{
		"e-1\n",
		"  columns: a, b, … (2 of 300 listed)\n",
		"  where:   total > 100 &&\\n  country == \"DE\"\n",
		"  (shortened record: the first 2 of 300 columns are listed)\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}

var (
	formTokenRE = regexp.MustCompile(`name="form" value="([^"]+)"`)
	tagRE       = regexp.MustCompile(`<[^>]*>`)
)

// decideLink is the decidelink script command.
func decideLink(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || len(args) > 4 {
		ts.Fatalf("usage: decidelink NAME approve|reject [APPROVER [COMMENT]]")
	}
	var out strings.Builder
	if code := run(context.Background(), []string{"approvals", "--output", "json", "--data-dir", ts.Getenv("STEPWISE_DATA_DIR")}, strings.NewReader(""), &out, io.Discard); code != 0 {
		ts.Fatalf("runner approvals: exit %d", code)
	}
	var listed struct{ Links map[string]string }
	ts.Check(json.Unmarshal([]byte(out.String()), &listed))
	link := listed.Links[args[0]]
	if link == "" {
		// Decided already: the link of the earlier call.
		link = ts.Getenv("DECIDELINK_URL_" + args[0])
	}
	if link == "" {
		ts.Fatalf("no decision link for %s in `runner approvals`", args[0])
	}
	ts.Setenv("DECIDELINK_URL_"+args[0], link)
	resp, err := http.Get(link)
	ts.Check(err)
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	ts.Check(err)
	form := ts.Getenv("DECIDELINK_FORM_" + args[0])
	if m := formTokenRE.FindSubmatch(page); m != nil {
		form = html.UnescapeString(string(m[1]))
		ts.Setenv("DECIDELINK_FORM_"+args[0], form)
	}
	if form == "" {
		ts.Fatalf("the page of %s has no form:\n%s", link, page)
	}
	v := url.Values{"form": {form}, "decision": {args[1]}}
	if len(args) > 2 {
		v.Set("approver", args[2])
	}
	if len(args) > 3 {
		v.Set("comment", args[3])
	}
	resp, err = http.PostForm(link, v)
	ts.Check(err)
	page, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "status %d\n%s\n", resp.StatusCode, html.UnescapeString(tagRE.ReplaceAllString(string(page), "")))
}
