package console

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// fakeAPI serves a fixed set of state machines and executions; methods a
// test does not set panic through the nil embedded interface.
type fakeAPI struct {
	API
	machines   []types.StateMachineListItem
	definition string
	executions []types.ExecutionListItem
	exec       *sfn.DescribeExecutionOutput
	events     []types.HistoryEvent
	listCalls  int
	stopped    []string
}

func (f *fakeAPI) ListStateMachines(context.Context, *sfn.ListStateMachinesInput, ...func(*sfn.Options)) (*sfn.ListStateMachinesOutput, error) {
	return &sfn.ListStateMachinesOutput{StateMachines: f.machines}, nil
}

func (f *fakeAPI) ListStateMachineVersions(context.Context, *sfn.ListStateMachineVersionsInput, ...func(*sfn.Options)) (*sfn.ListStateMachineVersionsOutput, error) {
	return &sfn.ListStateMachineVersionsOutput{}, nil
}

func (f *fakeAPI) ListStateMachineAliases(context.Context, *sfn.ListStateMachineAliasesInput, ...func(*sfn.Options)) (*sfn.ListStateMachineAliasesOutput, error) {
	return &sfn.ListStateMachineAliasesOutput{}, nil
}

func (f *fakeAPI) DescribeStateMachine(_ context.Context, in *sfn.DescribeStateMachineInput, _ ...func(*sfn.Options)) (*sfn.DescribeStateMachineOutput, error) {
	return &sfn.DescribeStateMachineOutput{StateMachineArn: in.StateMachineArn, Name: aws.String("m"), Definition: aws.String(f.definition)}, nil
}

func (f *fakeAPI) DescribeStateMachineForExecution(context.Context, *sfn.DescribeStateMachineForExecutionInput, ...func(*sfn.Options)) (*sfn.DescribeStateMachineForExecutionOutput, error) {
	return &sfn.DescribeStateMachineForExecutionOutput{Definition: aws.String(f.definition)}, nil
}

// ListExecutions pages through f.executions with a numeric NextToken, as
// the real API pages with an opaque one.
func (f *fakeAPI) ListExecutions(_ context.Context, in *sfn.ListExecutionsInput, _ ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error) {
	f.listCalls++
	all := f.executions
	if in.StatusFilter != "" {
		all = nil
		for _, e := range f.executions {
			if e.Status == in.StatusFilter {
				all = append(all, e)
			}
		}
	}
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &start)
	}
	n := int(in.MaxResults)
	if n == 0 {
		n = 100
	}
	end := min(len(all), start+n)
	out := &sfn.ListExecutionsOutput{Executions: all[start:end]}
	if end < len(all) {
		out.NextToken = aws.String(fmt.Sprint(end))
	}
	return out, nil
}

func (f *fakeAPI) DescribeExecution(context.Context, *sfn.DescribeExecutionInput, ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	return f.exec, nil
}

func (f *fakeAPI) GetExecutionHistory(_ context.Context, in *sfn.GetExecutionHistoryInput, _ ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error) {
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &start)
	}
	end := min(len(f.events), start+int(in.MaxResults))
	out := &sfn.GetExecutionHistoryOutput{Events: f.events[start:end]}
	if end < len(f.events) {
		out.NextToken = aws.String(fmt.Sprint(end))
	}
	return out, nil
}

func (f *fakeAPI) StopExecution(_ context.Context, in *sfn.StopExecutionInput, _ ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error) {
	f.stopped = append(f.stopped, *in.ExecutionArn)
	return &sfn.StopExecutionOutput{}, nil
}

const hostile = `<script>window.pwned=1</script>"onmouseover=alert(1) x='`

func get(t *testing.T, h http.Handler, target string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
	return rec.Code, rec.Body.String()
}

func assertEscaped(t *testing.T, page, body string) {
	t.Helper()
	for _, bad := range []string{"<script>window", `"onmouseover=`, "x='"} {
		if strings.Contains(body, bad) {
			i := strings.Index(body, bad)
			t.Errorf("%s: unescaped %q near %q", page, bad, body[max(0, i-80):min(len(body), i+80)])
		}
	}
}

func TestWorkflowsPageEscapesAndChecksHost(t *testing.T) {
	h := New(Options{SFN: &fakeAPI{machines: []types.StateMachineListItem{{Name: aws.String(hostile), StateMachineArn: aws.String("arn:x")}}}})
	code, body := get(t, h, "http://127.0.0.1:8083/")
	if code != 200 || !strings.Contains(body, "&lt;script&gt;") {
		t.Fatalf("code %d, body:\n%s", code, body)
	}
	assertEscaped(t, "workflows", body)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1:8083/", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP = %q", csp)
	}
	if code, _ := get(t, h, "http://evil.example:8083/"); code != 403 {
		t.Errorf("Host evil.example: code %d, want 403", code)
	}
}

// TestStateChangesNeedSameOriginAndToken: a stop without the token, from
// another origin, with no origin at all, or as a GET is refused and never
// reaches the API; with both it goes through.
func TestStateChangesNeedSameOriginAndToken(t *testing.T) {
	api := &fakeAPI{}
	h := New(Options{SFN: api})
	post := func(origin, token string) int {
		form := url.Values{"execution": {"arn:e"}}
		if token != "" {
			form.Set("csrf", token)
		}
		req := httptest.NewRequest("POST", "http://127.0.0.1:8083/actions/stop", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for _, c := range []struct {
		name, origin, token string
	}{
		{"no token", "http://127.0.0.1:8083", ""},
		{"wrong token", "http://127.0.0.1:8083", "guess"},
		{"cross origin", "http://evil.example", h.CSRFToken()},
		{"other port", "http://127.0.0.1:9999", h.CSRFToken()},
		{"no origin", "", h.CSRFToken()},
	} {
		if code := post(c.origin, c.token); code != http.StatusForbidden {
			t.Errorf("%s: code %d, want 403", c.name, code)
		}
	}
	if code, _ := get(t, h, "http://127.0.0.1:8083/actions/stop?execution=arn:e&csrf="+h.CSRFToken()); code != http.StatusMethodNotAllowed {
		t.Errorf("GET stop: code %d, want 405", code)
	}
	if len(api.stopped) != 0 {
		t.Fatalf("refused requests reached the API: %v", api.stopped)
	}
	if code := post("http://127.0.0.1:8083", h.CSRFToken()); code != http.StatusSeeOther || len(api.stopped) != 1 {
		t.Errorf("same origin with token: code %d, stopped %v", code, api.stopped)
	}
}

// TestExecutionsPaginate: 10,000 executions are listed one page (one
// ListExecutions call) at a time; the Next link walks on with NextToken;
// the status filter and the name search work.
func TestExecutionsPaginate(t *testing.T) {
	api := &fakeAPI{definition: `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10000 {
		st := types.ExecutionStatusSucceeded
		if i%100 == 7 {
			st = types.ExecutionStatusFailed
		}
		api.executions = append(api.executions, types.ExecutionListItem{Name: aws.String(fmt.Sprintf("run-%05d", i)),
			ExecutionArn: aws.String(fmt.Sprintf("arn:aws:states:us-east-1:1:execution:m:run-%05d", i)), Status: st, StartDate: aws.Time(t0)})
	}
	h := New(Options{SFN: api})
	code, body := get(t, h, "http://127.0.0.1/workflow?arn=arn:sm")
	if code != 200 || strings.Count(body, "/execution?arn=") != pageSize || api.listCalls != 1 {
		t.Fatalf("code %d, %d rows, %d ListExecutions calls", code, strings.Count(body, "/execution?arn="), api.listCalls)
	}
	pages := 1
	for {
		i := strings.Index(body, `id="next-page" href="`)
		if i < 0 {
			break
		}
		href := body[i+len(`id="next-page" href="`):]
		href = strings.ReplaceAll(href[:strings.Index(href, `"`)], "&amp;", "&")
		if _, body = get(t, h, "http://127.0.0.1"+href); !strings.Contains(body, fmt.Sprintf("run-%05d", pages*pageSize)) {
			t.Fatalf("page %d does not start at run-%05d", pages+1, pages*pageSize)
		}
		pages++
	}
	if pages != 10000/pageSize {
		t.Errorf("walked %d pages, want %d", pages, 10000/pageSize)
	}
	_, body = get(t, h, "http://127.0.0.1/workflow?arn=arn:sm&status=FAILED")
	if n := strings.Count(body, "s-failed"); n != pageSize {
		t.Errorf("status filter: %d failed rows, want %d", n, pageSize)
	}
	_, body = get(t, h, "http://127.0.0.1/workflow?arn=arn:sm&q=run-0999")
	if n := strings.Count(body, "/execution?arn="); n != 10 {
		t.Errorf("search run-0999: %d rows, want 10", n)
	}
}
