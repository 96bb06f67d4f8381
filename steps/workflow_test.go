package steps_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	lambdalocal "github.com/stepwise-dev/stepwise/local/lambda"
	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/steps"
	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/requestapproval"
)

type workflow struct {
	engine *statemachine.Engine
	clock  *statemachine.VirtualClock
	st     *objstore.Memory
	smArn  string
	tokens chan string
}

// newWorkflow runs statemachine/export.asl.json on the engine with the
// steps in-process behind the local Lambda runtime, as the local stack
// does, over the in-memory S3.
func newWorkflow(t *testing.T) *workflow {
	t.Helper()
	st := objstore.NewMemory()
	st.PutBytes(bucket, "uploads/orders.csv", sampleData(t))
	env := newEnv(st)
	w := &workflow{st: st, tokens: make(chan string, 4), clock: statemachine.NewVirtualClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))}
	handlers := steps.New(env)
	approve := handlers["requestapproval"].(func(context.Context, requestapproval.Input) (requestapproval.Output, error))
	handlers["requestapproval"] = func(ctx context.Context, in requestapproval.Input) (requestapproval.Output, error) {
		out, err := approve(ctx, in)
		if err == nil {
			w.tokens <- in.TaskToken
		}
		return out, err
	}
	settings, err := lambdalocal.ParseSteps("steps.json", steps.SettingsJSON)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := lambdalocal.New(lambdalocal.Options{Functions: settings.Functions("stepwise"), Handlers: handlers})
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"BucketName": bucket}
	for name, s := range settings.Steps {
		vars[s.ArnPlaceholder] = lambdalocal.FunctionArn("us-east-1", "123456789012", "stepwise-"+name)
	}
	raw, err := os.ReadFile(filepath.Join("..", "statemachine", "export.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	def, err := statemachine.Render(raw, vars)
	if err != nil {
		t.Fatal(err)
	}
	w.engine, err = statemachine.New(statemachine.Options{Lambda: rt, Objects: st, Clock: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.engine.Close() })
	sm, err := w.engine.CreateStateMachine(context.Background(), statemachine.CreateStateMachineInput{Name: "stepwise-export", Definition: string(def), RoleArn: "arn:aws:iam::123456789012:role/stepwise"})
	if err != nil {
		t.Fatal(err)
	}
	w.smArn = sm.Arn
	return w
}

func (w *workflow) start(t *testing.T, name, request string) string {
	t.Helper()
	ex, err := w.engine.StartExecution(context.Background(), statemachine.StartExecutionInput{StateMachineArn: w.smArn, Name: name, Input: `{"request":` + request + `}`, InputSet: true})
	if err != nil {
		t.Fatal(err)
	}
	return ex.ExecutionArn
}

func (w *workflow) wait(t *testing.T, arn string) *statemachine.Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ex, err := w.engine.WaitExecution(ctx, arn)
	if err != nil {
		events, _ := w.engine.GetExecutionHistory(context.Background(), arn)
		var b strings.Builder
		for _, e := range events {
			fmt.Fprintf(&b, "  %d %s\n", e.ID, e.Type)
		}
		t.Fatalf("%v; %d timers pending on the virtual clock; history so far:\n%s", err, w.clock.Pending(), b.String())
	}
	return ex
}

func (w *workflow) token(t *testing.T, arn string) string {
	t.Helper()
	ended := make(chan *statemachine.Execution, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		if ex, err := w.engine.WaitExecution(ctx, arn); err == nil {
			ended <- ex
		}
	}()
	select {
	case tok := <-w.tokens:
		return tok
	case ex := <-ended:
		t.Fatalf("execution ended before asking for approval: %s %s: %s", ex.Status, deref(ex.Error), deref(ex.Cause))
		return ""
	}
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
	if err := w.engine.SendTaskSuccess(context.Background(), tok, `{"decision":"approve","approver":"ann"}`); err != nil {
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
				if err := w.engine.SendTaskSuccess(context.Background(), tok, `{"decision":"reject","approver":"bob"}`); err != nil {
					t.Fatal(err)
				}
			} else {
				w.clock.WaitPending(1, nil)
				w.clock.Advance(601 * time.Second)
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
	w.clock.SetAuto(true)
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
