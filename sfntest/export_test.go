package sfntest_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/sfntest"
)

const exportASL = "../statemachine/export.asl.json"

// TestExportWorkflow runs every test case of testdata/export.mock.json
// against the project's own export workflow (statemachine/export.asl.json)
// and then requires 100% of its states, Choice rules and Catch handlers to
// be covered. With STEPWISE_COVER=1 the table is printed after the tests,
// with STEPWISE_COVER_JSON=<file> it is written as JSON.
func TestExportWorkflow(t *testing.T) {
	cfg, err := sfntest.LoadMockConfig("testdata/export.mock.json")
	if err != nil {
		t.Fatal(err)
	}
	w, err := sfntest.Load(exportASL, sfntest.Object("sfntest-bucket", "work/x/parts.json", []byte(`[{"part":0},{"part":1},{"part":2}]`)))
	if err != nil {
		t.Fatal(err)
	}
	published := `{"bucket":"sfntest-bucket","key":"exports/x/eu.csv","manifestKey":"exports/x/eu.csv.manifest.json","url":"http://127.0.0.1/presigned","rows":20,"bytes":200,"sha256":"bb"}`
	want := map[string]struct {
		status, err string
		path        string
	}{
		"NoApproval":     {"SUCCEEDED", "", "Plan ExportParts Merge NeedsApproval ApprovalNotRequired Publish"},
		"PlanRetried":    {"SUCCEEDED", "", "Plan ExportParts Merge NeedsApproval ApprovalNotRequired Publish"},
		"Approved":       {"SUCCEEDED", "", "Plan ExportParts Merge NeedsApproval RequestApproval Decision Publish"},
		"Rejected":       {"FAILED", "ExportRejected", "Plan ExportParts Merge NeedsApproval RequestApproval Decision Rejected Cleanup Failed"},
		"NoDecision":     {"FAILED", "ExportRejected", "Plan ExportParts Merge NeedsApproval RequestApproval Decision Rejected Cleanup Failed"},
		"Expired":        {"FAILED", "ApprovalExpired", "Plan ExportParts Merge NeedsApproval RequestApproval ApprovalExpired Cleanup Failed"},
		"ApprovalBroken": {"FAILED", "ApprovalStoreDown", "Plan ExportParts Merge NeedsApproval RequestApproval Cleanup Failed"},
		"PlanInvalid":    {"FAILED", "InvalidExportRequest", "Plan Cleanup Failed"},
		"PartFails":      {"FAILED", "States.ExceedToleratedFailureThreshold", "Plan ExportParts Cleanup Failed"},
		"MergeFails":     {"FAILED", "TooManyRejectedRows", "Plan ExportParts Merge Cleanup Failed"},
		"PublishFails":   {"FAILED", "AccessDenied", "Plan ExportParts Merge NeedsApproval ApprovalNotRequired Publish Cleanup Failed"},
		"CleanupFails":   {"FAILED", "InvalidExportRequest", "Plan Cleanup Failed"},
	}
	cases := cfg.TestCases("export")
	if len(cases) != len(want) {
		t.Fatalf("test cases %v, want %d", cases, len(want))
	}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			tc, err := w.TestCase(cfg, "", name)
			if err != nil {
				t.Fatal(err)
			}
			r := tc.Test(t, `{"request":{"name":"eu"}}`)
			wt := want[name]
			if wt.status == "SUCCEEDED" {
				r.ExpectOutput(t, published)
			} else {
				r.ExpectFailed(t, wt.err)
			}
			r.ExpectPath(t, strings.Fields(wt.path)...)
			if n := len(r.Children); r.Visits("ExportPart") != nil && n != 3 {
				t.Errorf("%d Distributed Map children, want 3", n)
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
