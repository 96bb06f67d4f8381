package stack

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/steps"
	"github.com/stepwise-dev/stepwise/steps/approval"
	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// TestApprovalByLink is issue 16's end-to-end check on a local stack
// running the real steps: two exports wait for approval; each one's
// notification lands in the outbox; the link from it opens the decision
// page, whose form (with its token) approves the first — it succeeds and
// its manifest names the approver and the comment — and rejects the
// second — it fails ExportRejected and publishes nothing. A second POST
// changes nothing.
func TestApprovalByLink(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the export workflow on a local stack; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := startApprovalExports(ctx, t, "approve-me", "reject-me")
	st, c, get, links, execs, dir := e.st, e.c, e.get, e.links, e.execs, e.dir
	decide := func(link, decision, approver, comment string) (int, string) {
		t.Helper()
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := regexp.MustCompile(`name="form" value="([^"]+)"`).FindSubmatch(page)
		if resp.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("GET %s = %d, no form token:\n%s", link, resp.StatusCode, page)
		}
		form := url.Values{"form": {html.UnescapeString(string(m[1]))}, "decision": {decision}, "approver": {approver}, "comment": {comment}}
		resp, err = http.PostForm(link, form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(body)
	}

	// Approve.
	if code, body := decide(links["requests/approve-me.json"], "approve", "ana@example.com", "numbers checked"); code != http.StatusOK {
		t.Fatalf("approve: %d\n%s", code, body)
	}
	d := waitForEnd(ctx, t, c, execs["requests/approve-me.json"], st.Endpoints.StateMachineArn)
	if d.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("approved export: %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	var out struct{ Approval *export.Decision }
	if err := json.Unmarshal([]byte(aws.ToString(d.Output)), &out); err != nil || out.Approval == nil || out.Approval.Approver != "ana@example.com" || out.Approval.Comment != "numbers checked" {
		t.Fatalf("the execution's output does not name the approver and the comment: %s", aws.ToString(d.Output))
	}
	manifest, err := get("exports/approve-me.csv.manifest.json")
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	var man export.Manifest
	json.Unmarshal(manifest, &man)
	if man.Approval == nil || man.Approval.Decision != "approve" || man.Approval.Approver != "ana@example.com" || man.Approval.Comment != "numbers checked" {
		t.Fatalf("manifest approval %+v", man.Approval)
	}

	// Reject.
	if code, body := decide(links["requests/reject-me.json"], "reject", "bob", "wrong month"); code != http.StatusOK {
		t.Fatalf("reject: %d\n%s", code, body)
	}
	d = waitForEnd(ctx, t, c, execs["requests/reject-me.json"], st.Endpoints.StateMachineArn)
	if d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != "ExportRejected" {
		t.Fatalf("rejected export: %s %s", d.Status, aws.ToString(d.Error))
	}
	if _, err := get("exports/reject-me.csv"); err == nil {
		t.Fatal("a rejected export was published")
	}

	// A second POST on either link changes nothing.
	for key, want := range map[string]string{"requests/approve-me.json": "already approved by ana@example.com", "requests/reject-me.json": "already rejected by bob"} {
		q, _ := url.Parse(links[key])
		form := url.Values{"form": {approval.FormToken(mustKey(t, dir), q.Query())}, "decision": {"reject"}}
		resp, err := http.PostForm(links[key], form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusConflict || !strings.Contains(string(body), want) {
			t.Fatalf("second POST on %s = %d, want 409 with %q:\n%s", key, resp.StatusCode, want, body)
		}
	}
	d = waitForEnd(ctx, t, c, execs["requests/approve-me.json"], st.Endpoints.StateMachineArn)
	if d.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("after a second POST the approved export is %s", d.Status)
	}
}

// approvalExports is a local stack running the real steps with exports
// waiting for approval, each with its notification's link.
type approvalExports struct {
	st    *Stack
	c     *sfn.Client
	get   func(key string) ([]byte, error)
	links map[string]string // request key → decision link
	execs map[string]string // request key → execution name
	dir   string
}

// startApprovalExports starts a stack and one export per name (request
// requests/<name>.json, output exports/<name>.csv), and waits for each
// one's notification in the outbox.
func startApprovalExports(ctx context.Context, t *testing.T, names ...string) *approvalExports {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s3Addr := l.Addr().String()
	l.Close()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3": "http://" + s3Addr, "AWS_ACCESS_KEY_ID": locals3.DefaultAccessKey,
		"AWS_SECRET_ACCESS_KEY": locals3.DefaultSecretKey, "AWS_REGION": DefaultRegion, "AWS_EC2_METADATA_DISABLED": "true",
		"STEPWISE_S3_PATH_STYLE": "true", "STEPWISE_BUCKET": DefaultBucket, "AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_CA_BUNDLE": "",
		approval.EnvURL: "", approval.EnvKeyFile: "", approval.EnvTopicARN: "", approval.EnvKeyParameter: "",
	} {
		t.Setenv(k, v)
	}
	env, err := stepkit.FromOS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	env.Log = io.Discard
	dir := t.TempDir()
	st, err := Open(ctx, Options{DataDir: dir, Repo: repo, S3Addr: s3Addr, Steps: steps.New(env), NoProcessEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if fi, err := os.Stat(filepath.Join(dir, ApprovalKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("approval key file: %v %v", fi, err)
	}
	// Open pointed the in-process steps at the page (NoProcessEnv or not).
	if got := os.Getenv(approval.EnvURL); got != st.ApprovalURL || !strings.HasSuffix(got, ApprovalPath) {
		t.Fatalf("%s = %q, want the page %q", approval.EnvURL, got, st.ApprovalURL)
	}

	s3c, err := newS3Client(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	bucket := aws.String(st.Endpoints.Bucket)
	put := func(key string, body []byte) {
		t.Helper()
		if _, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: bucket, Key: aws.String(key), Body: strings.NewReader(string(body))}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(key string) ([]byte, error) {
		o, err := s3c.GetObject(ctx, &awss3.GetObjectInput{Bucket: bucket, Key: aws.String(key)})
		if err != nil {
			return nil, err
		}
		defer o.Body.Close()
		return io.ReadAll(o.Body)
	}
	orders, err := os.ReadFile(filepath.Join("..", "..", "testdata", "orders.csv"))
	if err != nil {
		t.Fatal(err)
	}
	put("uploads/orders.csv", orders)
	req, err := os.ReadFile(filepath.Join("..", "..", "testdata", "export", "request-orders-de.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		var r map[string]any
		json.Unmarshal(req, &r)
		r["output"] = map[string]any{"format": "csv", "key": "exports/" + name + ".csv"}
		b, _ := json.Marshal(r)
		put("requests/"+name+".json", b)
	}

	c := sfnClient(st.Endpoints.StepFunctions)
	execs := waitForExecutions(ctx, t, c, st.Endpoints.StateMachineArn, len(names))
	links := map[string]string{}
	for key, name := range execs {
		for links[key] == "" {
			text, err := get("approvals/outbox/" + name + ".txt")
			if err == nil {
				m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(st.ApprovalURL) + `\?\S+$`).Find(text)
				if m == nil {
					t.Fatalf("the notification of %s has no link to %s:\n%s", name, st.ApprovalURL, text)
				}
				links[key] = string(m)
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("no notification for %s in the outbox", name)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	return &approvalExports{st: st, c: c, get: get, links: links, execs: execs, dir: dir}
}

func mustKey(t *testing.T, dir string) []byte {
	t.Helper()
	k, err := approval.LoadOrCreateKey(filepath.Join(dir, ApprovalKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// waitForExecutions returns the names of n executions, keyed by the
// request object that started each.
func waitForExecutions(ctx context.Context, t *testing.T, c *sfn.Client, machine string, n int) map[string]string {
	t.Helper()
	for {
		list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine)})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Executions) >= n {
			out := map[string]string{}
			for _, x := range list.Executions {
				d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: x.ExecutionArn})
				if err != nil {
					t.Fatal(err)
				}
				var in struct{ Request struct{ Key string } }
				json.Unmarshal([]byte(aws.ToString(d.Input)), &in)
				out[in.Request.Key] = aws.ToString(x.Name)
			}
			return out
		}
		if ctx.Err() != nil {
			t.Fatalf("%d of %d executions started", len(list.Executions), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitForEnd(ctx context.Context, t *testing.T, c *sfn.Client, name, machine string) *sfn.DescribeExecutionOutput {
	t.Helper()
	arn := strings.Replace(machine, ":stateMachine:", ":execution:", 1) + ":" + name
	for {
		d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != types.ExecutionStatusRunning {
			return d
		}
		if ctx.Err() != nil {
			t.Fatalf("%s still running", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
