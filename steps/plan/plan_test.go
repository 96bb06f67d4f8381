package plan_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/plan"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

const bucket = "stepwise-test"

func newEnv(st objstore.Store) *stepkit.Env {
	return &stepkit.Env{
		Store: st, Bucket: bucket, Prefixes: export.DefaultPrefixes,
		Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) },
		Log: io.Discard,
	}
}

// TestPlanRejectsOutputPlacement: a request whose output would replace its
// own source, start more exports from requests/, land in the work or
// approvals prefixes, or name a ".." key fails at plan with
// InvalidExportRequest naming /output/... — before any work file is
// written. On the old code such exports SUCCEEDED (replacing the source,
// starting two more executions) or failed only at publish with wrapError
// (issues 11.6 and 11.10).
func TestPlanRejectsOutputPlacement(t *testing.T) {
	const src = `"source":{"bucket":"stepwise-test","key":"uploads/orders.csv"}`
	tests := []struct{ name, request, want string }{
		{"own source", `{` + src + `,"output":{"key":"uploads/orders.csv"}}`,
			"invalid export request: /output/key: s3://stepwise-test/uploads/orders.csv is the export's own source; publishing would replace it (choose another key)"},
		{"requests prefix", `{` + src + `,"output":{"key":"requests/again.json"}}`,
			`invalid export request: /output/key: s3://stepwise-test/requests/again.json is under "requests/": every object there starts an export, so the output and its manifest would start two more exports (publish under "exports/" or another prefix)`},
		{"work prefix", `{` + src + `,"output":{"key":"work/other/merged.csv"}}`,
			`invalid export request: /output/key: s3://stepwise-test/work/other/merged.csv is under "work/": that prefix holds per-execution scratch files, which cleanup deletes and lifecycle rules expire (publish under "exports/" or another prefix)`},
		{"dot dot key", `{` + src + `,"output":{"key":".."}}`,
			`invalid export request: /output/key: ".." has a ".." path segment; S3 keys are not paths, so it would be stored literally (name the object directly)`},
		{"dot dot bucket", `{` + src + `,"output":{"bucket":".."}}`,
			`invalid export request: /output/bucket: ".." is not a valid S3 bucket name: must be 3 to 63 characters long, not 2`},
		{"request object", `{"bucket":"stepwise-test","key":"requests/self.json"}`,
			`invalid export request: /output/key: s3://stepwise-test/requests/self.json is under "requests/": every object there starts an export, so the output and its manifest would start two more exports (publish under "exports/" or another prefix) (in s3://stepwise-test/requests/self.json)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := objstore.NewMemory()
			st.PutBytes(bucket, "uploads/orders.csv", []byte("id,total\n1,5\n"))
			st.PutBytes(bucket, "requests/self.json", []byte(`{`+src+`,"output":{"key":"requests/self.json"}}`))
			var in plan.Input
			in.Execution = "e1"
			in.Input.Request = json.RawMessage(tt.request)
			_, err := plan.New(newEnv(st))(context.Background(), in)
			var ie *export.InvalidExportRequest
			if !errors.As(err, &ie) || err.Error() != tt.want {
				t.Fatalf("got  %v (%T)\nwant %s", err, err, tt.want)
			}
			if !strings.HasPrefix(ie.Field, "/output/") {
				t.Errorf("field %q, want /output/...", ie.Field)
			}
			if keys := st.Keys(bucket, "work/"); len(keys) != 0 {
				t.Errorf("plan wrote %v before failing", keys)
			}
			if data, _ := st.Object(bucket, "uploads/orders.csv"); string(data) != "id,total\n1,5\n" {
				t.Errorf("source changed: %q", data)
			}
		})
	}
}

// TestPlanKeepsWhoStartedIt: the input's startedBy reaches the plan
// document (and from there the approval notification); without one, an
// export started from a request object (the S3 trigger) names the object;
// an inline request without it names nobody.
func TestPlanKeepsWhoStartedIt(t *testing.T) {
	const src = `"source":{"bucket":"stepwise-test","key":"uploads/orders.csv"}`
	tests := []struct{ name, request, startedBy, want string }{
		{"runner", `{` + src + `}`, "ann@laptop (runner export)", "ann@laptop (runner export)"},
		{"trigger", `{"bucket":"stepwise-test","key":"requests/daily.json"}`, "", "request object s3://stepwise-test/requests/daily.json"},
		{"neither", `{` + src + `}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := objstore.NewMemory()
			st.PutBytes(bucket, "uploads/orders.csv", []byte("id,total\n1,5\n"))
			st.PutBytes(bucket, "requests/daily.json", []byte(`{`+src+`}`))
			env := newEnv(st)
			var in plan.Input
			in.Execution = "e1"
			in.Input.Request, in.Input.StartedBy = json.RawMessage(tt.request), tt.startedBy
			if _, err := plan.New(env)(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			var p export.Plan
			if err := stepkit.ReadJSON(context.Background(), st, bucket, env.Layout("e1").PlanKey(), &p); err != nil {
				t.Fatal(err)
			}
			if p.StartedBy != tt.want {
				t.Fatalf("startedBy %q, want %q", p.StartedBy, tt.want)
			}
		})
	}
}
