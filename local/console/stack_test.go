package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/local/sfnapi"
	"github.com/stepwise-dev/stepwise/local/stack"
	"github.com/stepwise-dev/stepwise/steps"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// testStack is a local stack running the real export steps, whose Step
// Functions endpoint also serves the console (GET /).
type testStack struct {
	*stack.Stack
	sfn  *sfn.Client
	s3   *awss3.Client
	url  string // the console, http://127.0.0.1:PORT
	gate chan struct{}
}

// openStack starts the stack. With gated, the plan step waits until
// gate is closed, so a test can watch an execution change.
func openStack(t *testing.T, gated bool) *testStack {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the export workflow on a local stack; skipped with -short")
	}
	ctx := context.Background()
	// The steps build their S3 clients from the environment, as on
	// Lambda: point it at the S3 port the stack will serve on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s3Addr := l.Addr().String()
	l.Close()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3": "http://" + s3Addr, "AWS_ACCESS_KEY_ID": locals3.DefaultAccessKey,
		"AWS_SECRET_ACCESS_KEY": locals3.DefaultSecretKey, "AWS_REGION": stack.DefaultRegion, "AWS_EC2_METADATA_DISABLED": "true",
		"STEPWISE_S3_PATH_STYLE": "true", "STEPWISE_BUCKET": stack.DefaultBucket, "AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_CA_BUNDLE": "",
	} {
		t.Setenv(k, v)
	}
	env, err := stepkit.FromOS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	env.Log = io.Discard
	handlers := steps.New(env)
	ts := &testStack{gate: make(chan struct{})}
	if gated {
		handlers["plan"] = gate(handlers["plan"], ts.gate)
	} else {
		close(ts.gate)
	}
	st, err := stack.Open(ctx, stack.Options{DataDir: t.TempDir(), Repo: os.DirFS(filepath.Join("..", "..")), S3Addr: s3Addr, Steps: handlers, NoProcessEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ts.Stack = st
	ts.url = st.Endpoints.StepFunctions
	ts.sfn = sfn.New(sfn.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}, sfnapi.ClientOptions(ts.url))
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(st.Endpoints.S3AccessKey, st.Endpoints.S3SecretKey, "")}
	ts.s3 = awss3.NewFromConfig(cfg, func(o *awss3.Options) { o.BaseEndpoint = aws.String(st.Endpoints.S3); o.UsePathStyle = true })
	orders, err := os.ReadFile(filepath.Join("..", "..", "testdata", "orders.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.s3.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(st.Endpoints.Bucket), Key: aws.String("uploads/orders.csv"), Body: strings.NewReader(string(orders))}); err != nil {
		t.Fatal(err)
	}
	return ts
}

// gate wraps an aws-lambda-go style handler func so that it first waits
// for ch to close.
func gate(h any, ch chan struct{}) any {
	v := reflect.ValueOf(h)
	return reflect.MakeFunc(v.Type(), func(args []reflect.Value) []reflect.Value {
		<-ch
		return v.Call(args)
	}).Interface()
}

// request is the sample export of testdata/export, with changes.
func request(t *testing.T, change func(map[string]any)) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "export", "request-orders-de.json"))
	if err != nil {
		t.Fatal(err)
	}
	var req map[string]any
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(req)
	}
	in, _ := json.Marshal(map[string]any{"request": req})
	return string(in)
}

func (ts *testStack) start(t *testing.T, name, input string) string {
	t.Helper()
	out, err := ts.sfn.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(ts.Endpoints.StateMachineArn), Name: aws.String(name), Input: aws.String(input)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ExecutionArn)
}

// waitFor polls DescribeExecution (and, for a pending approval, the
// record) until cond holds, for at most a minute.
func (ts *testStack) waitFor(t *testing.T, arn string, cond func(*sfn.DescribeExecutionOutput) bool) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		d, err := ts.sfn.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if cond(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %s after a minute", arn, d.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (ts *testStack) pending(arn string) bool {
	name := arn[strings.LastIndex(arn, ":")+1:]
	_, err := ts.s3.HeadObject(context.Background(), &awss3.HeadObjectInput{Bucket: aws.String(ts.Endpoints.Bucket), Key: aws.String("approvals/pending/" + name + ".json")})
	return err == nil
}

func (ts *testStack) waitPending(t *testing.T, arn string) {
	t.Helper()
	ts.waitFor(t, arn, func(d *sfn.DescribeExecutionOutput) bool {
		if d.Status != types.ExecutionStatusRunning {
			t.Fatalf("%s ended %s (%s: %s) before its approval", arn, d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
		}
		return ts.pending(arn)
	})
}

func ended(d *sfn.DescribeExecutionOutput) bool { return d.Status != types.ExecutionStatusRunning }

func getPage(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s\n%s", u, resp.Status, b)
	}
	return string(b)
}

// liveStates reads the execution's JSON endpoint.
func liveStates(t *testing.T, ts *testStack, arn string) map[string]struct{ Status, Detail string } {
	t.Helper()
	var v struct {
		States map[string]struct{ Status, Detail string }
	}
	if err := json.Unmarshal([]byte(getPage(t, ts.url+"/api/execution?arn="+url.QueryEscape(arn))), &v); err != nil {
		t.Fatal(err)
	}
	return v.States
}

// TestConsoleServedByStack drives the console of a local stack over
// HTTP: the graph of an export waiting for approval, approving it with a
// same-origin POST, and a failed export's error on its failing state.
func TestConsoleServedByStack(t *testing.T) {
	ts := openStack(t, false)
	if body := getPage(t, ts.url+"/"); !strings.Contains(body, "stepwise-export") || !strings.Contains(body, "export.trigger.json") {
		t.Fatalf("workflows page lists no stepwise-export with its trigger file:\n%s", body)
	}
	arn := ts.start(t, "wait-1", request(t, nil))
	ts.waitPending(t, arn)
	states := liveStates(t, ts, arn)
	for state, want := range map[string]string{"Plan": "succeeded", "ExportParts": "succeeded", "Merge": "succeeded", "NeedsApproval": "succeeded", "RequestApproval": "waiting", "Publish": ""} {
		if states[state].Status != want {
			t.Errorf("%s is %q, want %q (all: %v)", state, states[state].Status, want, states)
		}
	}
	// The approvals page shows the decision link the approvers were sent
	// (the notification lands in the outbox just after the record).
	for i := 0; ; i++ {
		list := getPage(t, ts.url+"/approvals")
		if strings.Contains(list, "Approvers were sent this decision link") && strings.Contains(list, "/approval?a=wait-1&amp;") {
			break
		}
		if i == 50 {
			t.Fatalf("approvals page shows no decision link:\n%s", list)
		}
		time.Sleep(100 * time.Millisecond)
	}
	page := getPage(t, ts.url+"/execution?arn="+url.QueryEscape(arn))
	if !strings.Contains(page, `action="/actions/decide"`) || !strings.Contains(page, "Map Run") {
		t.Errorf("execution page has no approval form or no Map Run")
	}

	// Approve as the form does: same origin, the page's CSRF token.
	token := between(page, `name="csrf" value="`, `"`)
	if code := post(t, ts, "/actions/decide", url.Values{"csrf": {token}, "execution": {arn}, "decision": {"approve"}, "comment": {"looks right"}}); code != http.StatusSeeOther {
		t.Fatalf("approve: %d", code)
	}
	d := ts.waitFor(t, arn, ended)
	if d.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("approved export ended %s %s", d.Status, aws.ToString(d.Cause))
	}
	page = getPage(t, ts.url+"/execution?arn="+url.QueryEscape(arn))
	if !strings.Contains(page, "s3://stepwise/exports/") {
		t.Errorf("no published path on the page of the approved export")
	}

	// Stop a waiting export, then redrive it, as the buttons do.
	stopMe := ts.start(t, "stop-me", request(t, nil))
	ts.waitPending(t, stopMe)
	if code := post(t, ts, "/actions/stop", url.Values{"csrf": {token}, "execution": {stopMe}}); code != http.StatusSeeOther {
		t.Fatalf("stop: %d", code)
	}
	if d := ts.waitFor(t, stopMe, ended); d.Status != types.ExecutionStatusAborted {
		t.Fatalf("stopped export is %s", d.Status)
	}
	if code := post(t, ts, "/actions/redrive", url.Values{"csrf": {token}, "execution": {stopMe}}); code != http.StatusSeeOther {
		t.Fatalf("redrive: %d", code)
	}
	ts.waitFor(t, stopMe, func(d *sfn.DescribeExecutionOutput) bool {
		return d.Status == types.ExecutionStatusRunning && aws.ToInt32(d.RedriveCount) == 1
	})

	bad := ts.start(t, "bad-1", request(t, func(r map[string]any) { r["where"] = "total >" }))
	ts.waitFor(t, bad, ended)
	states = liveStates(t, ts, bad)
	if s := states["Plan"]; s.Status != "caught" || s.Detail != "InvalidExportRequest" {
		t.Errorf("Plan of a bad request: %+v, want caught InvalidExportRequest (all %v)", s, states)
	}
	if states["Cleanup"].Status != "succeeded" || states["ExportFailed"].Status != "failed" && states["Failed"].Status != "failed" {
		t.Errorf("states of a failed export: %v", states)
	}
}

// post sends a form as a page of the console does: same origin.
func post(t *testing.T, ts *testStack, path string, form url.Values) int {
	t.Helper()
	req, _ := http.NewRequest("POST", ts.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", ts.url)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Logf("POST %s: %s %s", path, resp.Status, body)
	}
	return resp.StatusCode
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

// TestTenThousandExecutionsPaginate lists 10,000 executions of a local
// stack in the console: each page is one ListExecutions call of 50, and
// the Next links walk all of them, newest first, none twice.
func TestTenThousandExecutionsPaginate(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("starts 10,000 executions (~30 s); skipped with -short and under -race (TestExecutionsPaginate covers the paging logic)")
	}
	ctx := context.Background()
	st, err := stack.Open(ctx, stack.Options{DataDir: t.TempDir(), Repo: os.DirFS(filepath.Join("..", "..")), NoS3: true, NoDeploy: true, NoTrigger: true, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := sfn.New(sfn.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}, sfnapi.ClientOptions(st.Endpoints.StepFunctions))
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("many"), RoleArn: aws.String("arn:aws:iam::123456789012:role/x"),
		Definition: aws.String(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	const n = 10000
	t0 := time.Now()
	errs := make(chan error, 8)
	for w := range 8 {
		go func() {
			for i := w; i < n; i += 8 {
				if _, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String(fmt.Sprintf("run-%05d", i))}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("started %d executions in %v", n, time.Since(t0))
	t0 = time.Now()
	seen := map[string]bool{}
	next := st.Endpoints.StepFunctions + "/workflow?arn=" + url.QueryEscape(aws.ToString(sm.StateMachineArn))
	pages := 0
	for next != "" {
		body := getPage(t, next)
		pages++
		for _, part := range strings.Split(body, `execution%3amany%3a`)[1:] {
			name := part[:strings.IndexByte(part, '"')]
			if seen[name] {
				t.Fatalf("page %d lists %s again", pages, name)
			}
			seen[name] = true
		}
		next = ""
		if href := between(body, `id="next-page" href="`, `"`); href != "" {
			next = st.Endpoints.StepFunctions + strings.ReplaceAll(href, "&amp;", "&")
		}
	}
	t.Logf("walked %d pages in %v", pages, time.Since(t0))
	if len(seen) != n || pages != n/50 {
		t.Errorf("walked %d pages listing %d executions, want %d pages and %d", pages, len(seen), n/50, n)
	}
}
