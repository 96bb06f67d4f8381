package sfntest_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/sfntest"
)

const (
	exportASL   = "../statemachine/export.asl.json"
	exportTests = "../statemachine/tests/export"
)

// TestExportWorkflow runs every test case of the export workflow's own
// mock config (statemachine/tests/export.mock.json, with the S3 objects of
// export.s3/ and the expected endings of export.expect.json — the files
// `runner test` runs) against statemachine/export.asl.json, and then
// requires 100% of its states, Choice rules and Catch handlers to be
// covered. With STEPWISE_COVER=1 the table is printed after the tests,
// with STEPWISE_COVER_JSON=<file> it is written as JSON.
func TestExportWorkflow(t *testing.T) {
	cfg, err := sfntest.LoadMockConfig(exportTests + ".mock.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(exportTests + ".expect.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := sfntest.ParseExpectations(exportTests+".expect.json", b)
	if err != nil {
		t.Fatal(err)
	}
	w, err := sfntest.Load(exportASL, sfntest.ObjectsFrom(os.DirFS(".."), "statemachine/tests/export.s3"))
	if err != nil {
		t.Fatal(err)
	}
	cases := cfg.TestCases("export")
	if len(cases) != len(want["export"]) || len(cases) < 12 {
		t.Fatalf("test cases %v, expectations for %d", cases, len(want["export"]))
	}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			tc, err := w.TestCase(cfg, "", name)
			if err != nil {
				t.Fatal(err)
			}
			r := tc.Test(t, `{"request":{"name":"eu"}}`)
			e, ok := want["export"][name]
			if !ok {
				t.Fatalf("no expectation for %s in %s.expect.json", name, exportTests)
			}
			for _, d := range r.Check(e) {
				t.Errorf("%s: %s", name, d)
			}
			switch {
			case r.Visits("ExportPart") == nil:
			case r.Visits("Merge") != nil && len(r.Children) != 3:
				t.Errorf("%d Distributed Map children, want 3 (one per part of the manifest)", len(r.Children))
			case len(r.Children) < 1 || len(r.Children) > 3:
				// A Map Run past its failure threshold fails and starts no
				// more children (statemachine/FIDELITY.md, UpdateMapRun).
				t.Errorf("%d Distributed Map children of a failed Map Run, want 1 to 3", len(r.Children))
			}
		})
	}
	for _, c := range sfntest.Coverages() {
		if c.File != exportASL {
			continue
		}
		s := c.Summary()
		for kind, n := range map[string]sfntest.Count{"states": s.States, "Choice rules": s.Choices, "Catch handlers": s.Catches} {
			if n.Covered != n.Total {
				b, _ := json.Marshal(s.Uncovered)
				t.Errorf("export workflow: %s covered %d/%d; not covered: %s", kind, n.Covered, n.Total, b)
			}
		}
		if s.Retries.Covered == 0 {
			t.Errorf("no retrier fired: %v", s.Uncovered)
		}
		return
	}
	t.Fatal("no coverage recorded for the export workflow")
}

// TestExpectationsErrors: a bad status names the file and pointer.
func TestExpectationsErrors(t *testing.T) {
	_, err := sfntest.ParseExpectations("e.json", []byte(`{"m":{"T":{"status":"DONE"}}}`))
	if err == nil || err.Error() != `e.json: /m/T/status: "DONE" is not SUCCEEDED, FAILED, TIMED_OUT or ABORTED` {
		t.Fatal(err)
	}
	if _, err := sfntest.ParseExpectations("e.json", []byte(`{"m":{"T":{"statu":"FAILED"}}}`)); err == nil || !strings.HasPrefix(err.Error(), "e.json: not an expectations file") {
		t.Fatal(err)
	}
}
