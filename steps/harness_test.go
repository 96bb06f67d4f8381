package steps_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stepwise-dev/stepwise/sfntest"
	"github.com/stepwise-dev/stepwise/steps"
	"github.com/stepwise-dev/stepwise/steps/objstore"
)

// TestHarnessExportApproved runs the export workflow on the sfntest
// harness with every real step in-process over the in-memory S3 (no mock):
// Plan writes the part manifest the Distributed Map's ItemReader reads,
// the approval's task token is answered from the test, and the published
// export equals the sequential reference. It is the hand-wired
// TestWorkflowApprovePublishes in a dozen lines.
func TestHarnessExportApproved(t *testing.T) {
	st := objstore.NewMemory()
	st.PutBytes(bucket, "uploads/orders.csv", sampleData(t))
	opts := []sfntest.Option{sfntest.ObjectStore(st), sfntest.Steps("steps.json", steps.SettingsJSON)}
	for name, h := range steps.New(newEnv(st)) {
		opts = append(opts, sfntest.Handler(name, h))
	}
	w, err := sfntest.Load("../statemachine/export.asl.json", opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := sfntest.Context(t)
	x, err := w.Start(ctx, `{"request":`+workflowRequest+`}`)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := x.Token(ctx, "RequestApproval")
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Succeed(ctx, map[string]string{"decision": "approve", "approver": "ann"}); err != nil {
		t.Fatal(err)
	}
	r, err := x.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.ExpectSucceeded(t).ExpectPath(t, "Plan", "ExportParts", "Merge", "NeedsApproval", "RequestApproval", "Decision", "Publish")
	var out struct {
		Bucket, Key string
		Rows        int64
	}
	if err := json.Unmarshal([]byte(r.Output), &out); err != nil {
		t.Fatal(err)
	}
	got, ok := st.Object(out.Bucket, out.Key)
	if !ok {
		t.Fatalf("no published object at %s/%s", out.Bucket, out.Key)
	}
	want := reference(t, sampleData(t), []string{"order_id", "customer", "total", "notes"}, keepDE100)
	if recs := readCSV(t, got, false); !reflect.DeepEqual(recs[1:], want) || out.Rows != int64(len(want)) {
		t.Fatalf("published export differs from the reference (%d rows, want %d)", len(recs)-1, len(want))
	}
	if parts := r.Visits("ExportPart"); len(parts) < 2 || len(r.Children) != len(parts) {
		t.Fatalf("%d ExportPart visits in %d Distributed Map children", len(parts), len(r.Children))
	}
}
