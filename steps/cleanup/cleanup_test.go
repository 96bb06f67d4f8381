package cleanup

import (
	"context"
	"io"
	"reflect"
	"testing"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

func TestCleanupRemovesOnlyItsOwnWork(t *testing.T) {
	st := objstore.NewMemory()
	for _, k := range []string{
		"work/e/plan.json", "work/e/parts/00000.csv", "work/e/map/run/manifest.json",
		"work/e2/plan.json", "work/ee/plan.json",
		"approvals/pending/e.json", "approvals/pending/e2.json", "approvals/decided/e.json",
		"exports/e/export.csv", "exports/e/export.csv.manifest.json", "uploads/e.csv",
	} {
		st.PutBytes("b", k, []byte("x"))
	}
	env := &stepkit.Env{Store: st, Bucket: "b", Prefixes: export.DefaultPrefixes, Log: io.Discard}
	out, err := New(env)(context.Background(), Input{Execution: "e", Failure: &Failure{Error: "ExportRejected"}})
	if err != nil || out.Deleted != 3 || out.Error != "ExportRejected" {
		t.Fatalf("%+v %v", out, err)
	}
	want := []string{
		"approvals/decided/e.json", "approvals/pending/e2.json",
		"exports/e/export.csv", "exports/e/export.csv.manifest.json",
		"uploads/e.csv", "work/e2/plan.json", "work/ee/plan.json",
	}
	if got := st.Keys("b", ""); !reflect.DeepEqual(got, want) {
		t.Fatalf("left %v\nwant %v", got, want)
	}
	// Idempotent: a second run finds nothing and succeeds.
	if out, err := New(env)(context.Background(), Input{Execution: "e"}); err != nil || out.Deleted != 0 {
		t.Fatalf("second run %+v %v", out, err)
	}
}

func TestCleanupRejectsBadExecutionNames(t *testing.T) {
	env := &stepkit.Env{Store: objstore.NewMemory(), Bucket: "b", Prefixes: export.DefaultPrefixes, Log: io.Discard}
	for _, name := range []string{"", "a/b", "*"} {
		if _, err := New(env)(context.Background(), Input{Execution: name}); err == nil {
			t.Errorf("execution %q: no error", name)
		}
	}
}
