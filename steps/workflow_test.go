package steps_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stepwise-dev/stepwise/sfntest"
	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/steps"
	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
)

type workflow struct {
	wf *sfntest.Workflow
	st *objstore.Memory
}

// newWorkflow runs statemachine/export.asl.json on the sfntest harness with
// every step's real handler in-process (through aws-lambda-go, as the local
// stack runs them) over the in-memory S3, on virtual time.
func newWorkflow(t *testing.T) *workflow {
	t.Helper()
	st := objstore.NewMemory()
	st.PutBytes(bucket, "uploads/orders.csv", sampleData(t))
	opts := []sfntest.Option{sfntest.ObjectStore(st), sfntest.Steps("steps.json", steps.SettingsJSON), sfntest.Vars(map[string]string{"BucketName": bucket})}
	for name, h := range steps.New(newEnv(st)) {
		opts = append(opts, sfntest.Handler(name, h))
	}
	wf, err := sfntest.Load(filepath.Join("..", "statemachine", "export.asl.json"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &workflow{wf: wf, st: st}
}

func (w *workflow) start(t *testing.T, name, request string) *sfntest.Execution {
	t.Helper()
	x, err := w.wf.StartNamed(sfntest.Context(t), name, `{"request":`+request+`}`)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// wait waits for the end of x and returns it as DescribeExecution does; a
// run that cannot end fails the test with what it waits for and its path.
func (w *workflow) wait(t *testing.T, x *sfntest.Execution) *statemachine.Execution {
	t.Helper()
	r, err := x.Wait(sfntest.Context(t))
	if err != nil {
		t.Fatalf("%v; problems: %q; path: %v", err, r.Problems, r.Path)
	}
	ex := &statemachine.Execution{ExecutionArn: r.ExecutionArn, Status: r.Status}
	if r.Status == statemachine.StatusSucceeded {
		ex.Output = &r.Output
	}
	if r.Error != "" || r.Cause != "" {
		ex.Error, ex.Cause = &r.Error, &r.Cause
	}
	return ex
}

// token waits for the approval's task token; the virtual clock stands
// still until it is answered or released.
func (w *workflow) token(t *testing.T, x *sfntest.Execution) *sfntest.Token {
	t.Helper()
	tok, err := x.Token(sfntest.Context(t), "RequestApproval")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

const workflowRequest = `{"name":"eu","source":{"bucket":"stepwise-test","key":"uploads/orders.csv"},
	"columns":["order_id",{"name":"customer","as":"name"},"total","notes"],"types":{"total":"number"},
	"where":"country in [\"DE\", \"FR\"] && total != nil && total > 100","partSize":4096,"maxConcurrency":3,
	"approval":{"timeoutSeconds":600}}`

// TestWorkflowApprovePublishes runs the whole state machine on the engine:
// plan, the Distributed Map over the part manifest, merge, approval and
// publish; the published export equals the sequential reference.
func TestWorkflowApprovePublishes(t *testing.T) {
	w := newWorkflow(t)
	arn := w.start(t, "eu-approve", workflowRequest)
	tok := w.token(t, arn)
	if err := tok.Succeed(context.Background(), `{"decision":"approve","approver":"ann"}`); err != nil {
		t.Fatal(err)
	}
	ex := w.wait(t, arn)
	if ex.Status != "SUCCEEDED" {
		t.Fatalf("status %s: %s: %s", ex.Status, deref(ex.Error), deref(ex.Cause))
	}
	var out struct {
		Bucket, Key string
		Rows        int64
	}
	json.Unmarshal([]byte(*ex.Output), &out)
	got, ok := w.st.Object(out.Bucket, out.Key)
	if !ok || out.Key != "exports/eu-approve/eu.csv" {
		t.Fatalf("output %s", *ex.Output)
	}
	want := reference(t, sampleData(t), []string{"order_id", "customer", "total", "notes"}, keepDE100)
	if recs := readCSV(t, got, false); !reflect.DeepEqual(recs[1:], want) || out.Rows != int64(len(want)) {
		t.Fatalf("published export differs from the reference (%d rows, want %d)", len(recs)-1, len(want))
	}
	if keys := w.st.Keys(bucket, "approvals/"); !reflect.DeepEqual(keys, []string{"approvals/decided/eu-approve.json"}) {
		t.Fatalf("approvals: %v", keys)
	}
}

// TestWorkflowRejectAndExpire checks the two unhappy approval endings:
// reject → ExportRejected, expiry (virtual clock) → ApprovalExpired, both
// after cleanup removed the work files and the pending record.
func TestWorkflowRejectAndExpire(t *testing.T) {
	for _, tc := range []struct{ name, wantErr string }{{"reject", "ExportRejected"}, {"expire", "ApprovalExpired"}} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorkflow(t)
			arn := w.start(t, "eu-"+tc.name, workflowRequest)
			tok := w.token(t, arn)
			if tc.name == "reject" {
				if err := tok.Succeed(context.Background(), `{"decision":"reject","approver":"bob"}`); err != nil {
					t.Fatal(err)
				}
			} else {
				tok.Release() // the virtual clock runs to half the request's 600 s approval timeout
				rem, err := arn.Token(sfntest.Context(t), "RemindApproval")
				if err != nil {
					t.Fatal(err)
				}
				rem.Release() // and on to the timeout
			}
			ex := w.wait(t, arn)
			if ex.Status != "FAILED" || deref(ex.Error) != tc.wantErr {
				t.Fatalf("status %s error %s cause %s", ex.Status, deref(ex.Error), deref(ex.Cause))
			}
			if left := append(w.st.Keys(bucket, "work/eu-"+tc.name+"/"), w.st.Keys(bucket, "approvals/")...); len(left) != 0 {
				t.Fatalf("not cleaned up: %v", left)
			}
			if keys := w.st.Keys(bucket, "exports/"); len(keys) != 0 {
				t.Fatalf("published although %s: %v", tc.name, keys)
			}
		})
	}
}

// TestWorkflowInvalidRequest checks that a bad request fails the execution
// with InvalidExportRequest, its cause naming the field.
func TestWorkflowInvalidRequest(t *testing.T) {
	w := newWorkflow(t)
	arn := w.start(t, "bad", `{"source":{"bucket":"stepwise-test","key":"uploads/orders.csv"},"columns":["order_id","nope"]}`)
	ex := w.wait(t, arn)
	if ex.Status != "FAILED" || deref(ex.Error) != "InvalidExportRequest" || !strings.Contains(deref(ex.Cause), "/columns/1/name") {
		t.Fatalf("status %s error %s cause %s", ex.Status, deref(ex.Error), deref(ex.Cause))
	}
}

// TestWorkflowPartRetried injects one S3 slow-down into a part's upload;
// the Map's Retry re-runs the part and the export is still exact.
func TestWorkflowPartRetried(t *testing.T) {
	w := newWorkflow(t)
	var failed atomic.Int32
	w.st.Fail = func(op, b, key string) error {
		if op == "Put" && strings.HasSuffix(key, "/parts/00003.csv") && failed.CompareAndSwap(0, 1) {
			return &export.S3Unavailable{Op: "PutObject " + key, Err: fmt.Errorf("503 SlowDown")}
		}
		return nil
	}
	req := strings.Replace(workflowRequest, `"timeoutSeconds":600}`, `"required":false}`, 1)
	arn := w.start(t, "eu-retry", req)
	ex := w.wait(t, arn)
	if ex.Status != "SUCCEEDED" || failed.Load() != 1 {
		t.Fatalf("status %s (%s: %s), injected failures %d", ex.Status, deref(ex.Error), deref(ex.Cause), failed.Load())
	}
	got, _ := w.st.Object(bucket, "exports/eu-retry/eu.csv")
	want := reference(t, sampleData(t), []string{"order_id", "customer", "total", "notes"}, keepDE100)
	if recs := readCSV(t, got, false); !reflect.DeepEqual(recs[1:], want) {
		t.Fatal("export after a retried part differs from the reference")
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
