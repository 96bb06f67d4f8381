package reportsteps_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/reportsteps"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

const bucket = "stepwise-test"

func newEnv(st objstore.Store) *stepkit.Env {
	return &stepkit.Env{Store: st, Bucket: bucket, Prefixes: export.DefaultPrefixes, Log: io.Discard,
		Now: func() time.Time { return time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC) }}
}

func TestParseRequestErrors(t *testing.T) {
	base := `"source":{"key":"uploads/orders.csv"},"aggregates":[{"op":"count"}]`
	for _, c := range []struct{ req, field, msg string }{
		{`[]`, "", "must be an object"},
		{`{` + base + `,"groupby":["x"]}`, "/groupby", "unknown field"},
		{`{` + base + `,"group_by":["a","a"]}`, "/group_by/1", `duplicate column "a"`},
		{`{"source":{"key":"k"}}`, "/aggregates", "required"},
		{`{"source":{"key":"k"},"aggregates":[{"op":"median","column":"x"}]}`, "/aggregates/0/op", `not "median"`},
		{`{"source":{"key":"k"},"aggregates":[{"op":"sum"}]}`, "/aggregates/0/column", "required for sum"},
		{`{"source":{"key":"k"},"aggregates":[{"op":"sum","colum":"x"}]}`, "/aggregates/0/colum", "unknown field"},
		{`{` + base + `,"max_groups":-1}`, "/max_groups", "between 1 and"},
		{`{` + base + `,"max_groups":"many"}`, "/max_groups", "must be int"},
		{`{` + base + `,"max_distinct":0.5}`, "/max_distinct", "must be int"},
		{`{` + base + `,"max_distinct":9000000}`, "/max_distinct", "between 1 and 2000000"},
		{`{` + base + `,"part_size":10}`, "/part_size", "between"},
		{`{` + base + `,"output":{"prefix":"work/"}}`, "/output/prefix", `under "work/"`},
		{`{` + base + `,"output":{"prefix":"reports"}}`, "/output/prefix", `must end with "/"`},
		{`{"source":{"key":"k","csv":{"delim":";"}},"aggregates":[{"op":"count"}]}`, "/source/csv/delim", "unknown field"},
	} {
		_, err := reportsteps.ParseRequest([]byte(c.req), bucket)
		var ie *reportsteps.InvalidReportRequest
		if !errors.As(err, &ie) || ie.Field != c.field || !strings.Contains(ie.Message, c.msg) {
			t.Errorf("%s: err = %v, want %s: ...%s...", c.req, err, c.field, c.msg)
		}
	}
	r, err := reportsteps.ParseRequest([]byte(`{`+base+`}`), bucket)
	if err != nil || r.Source.Bucket != bucket || r.MaxGroups != reportsteps.DefaultMaxGroups || r.Output.Prefix != "reports/" {
		t.Fatalf("defaults: %+v %v", r, err)
	}
}

type env struct {
	*stepkit.Env
	st *objstore.Memory
}

func setup(t *testing.T) env {
	st := objstore.NewMemory()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "orders.csv"))
	if err != nil {
		t.Fatal(err)
	}
	st.PutBytes(bucket, "uploads/orders.csv", data)
	return env{newEnv(st), st}
}

// run drives plan → every part → reduce as the state machine does.
func run(t *testing.T, e env, execution, request string) (reportsteps.ReduceOutput, error) {
	t.Helper()
	ctx := context.Background()
	var in reportsteps.PlanInput
	in.Execution = execution
	in.Input.Request = json.RawMessage(request)
	po, err := reportsteps.NewPlan(e.Env)(ctx, in)
	if err != nil {
		return reportsteps.ReduceOutput{}, err
	}
	var parts []reportsteps.PartSpec
	if err := stepkit.ReadJSON(ctx, e.st, po.Manifest.Bucket, po.Manifest.Key, &parts); err != nil {
		t.Fatal(err)
	}
	part := reportsteps.NewPart(e.Env)
	for _, p := range parts {
		if _, err := part(ctx, reportsteps.PartInput{Job: po.Job, PlanKey: po.PlanKey, Part: p}); err != nil {
			return reportsteps.ReduceOutput{}, err
		}
	}
	return reportsteps.NewReduce(e.Env)(ctx, reportsteps.ReduceInput{Job: po.Job, PlanKey: po.PlanKey, Parts: po.Parts, GeneratedAt: "2026-12-05T06:00:00Z"})
}

// TestStepsCountRowsPerGroup runs the steps over the sample with several
// part sizes; the row counts per country equal encoding/csv's, and the
// published files and manifest are where the output says.
func TestStepsCountRowsPerGroup(t *testing.T) {
	e := setup(t)
	data, _ := e.st.Object(bucket, "uploads/orders.csv")
	recs, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, r := range recs[1:] {
		want[r[2]]++
	}
	for _, size := range []int{1024, 5000, 1 << 20} {
		exec := "sizes-" + strings.Repeat("x", size%7)
		out, err := run(t, e, exec, `{"source":{"key":"uploads/orders.csv"},"group_by":["country"],"aggregates":[{"op":"count"}],"part_size":`+itoa(size)+`}`)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := e.st.Object(bucket, out.CSV)
		rows, err := csv.NewReader(strings.NewReader(string(got))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows)-1 != len(want) || out.Groups != len(want) || out.Rows != int64(len(recs)-1) {
			t.Fatalf("part size %d: %d groups, %d rows; want %d groups, %d rows", size, len(rows)-1, out.Rows, len(want), len(recs)-1)
		}
		for _, r := range rows[1:] {
			if itoa(want[r[0]]) != r[1] {
				t.Errorf("part size %d: %s = %s, want %d", size, r[0], r[1], want[r[0]])
			}
		}
		var man reportsteps.Manifest
		if err := stepkit.ReadJSON(context.Background(), e.st, bucket, out.Manifest, &man); err != nil || man.Files["html"] != out.HTML || man.Groups != out.Groups {
			t.Fatalf("manifest %+v: %v", man, err)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestStepErrorsAreNamed checks the errors Catch sees: a bad column names
// its pointer, too many groups names the limit, a non-number names the
// line, and each has the type name the state machine matches.
func TestStepErrorsAreNamed(t *testing.T) {
	e := setup(t)
	for _, c := range []struct{ req, typ, msg string }{
		{`{"source":{"key":"uploads/orders.csv"},"group_by":["land"],"aggregates":[{"op":"count"}]}`, "*reportsteps.InvalidReportRequest", `/group_by/0: no column "land"`},
		{`{"source":{"key":"uploads/orders.csv"},"aggregates":[{"op":"sum","column":"totl"}]}`, "*reportsteps.InvalidReportRequest", `/aggregates/0/column: no column "totl"`},
		{`{"source":{"key":"uploads/nope.csv"},"aggregates":[{"op":"count"}]}`, "*reportsteps.InvalidReportRequest", `/source/key: s3://stepwise-test/uploads/nope.csv does not exist`},
		{`{"source":{"key":"uploads/orders.csv"},"where":"total >","aggregates":[{"op":"count"}]}`, "*reportsteps.InvalidReportRequest", `/where:`},
		{`{"source":{"key":"uploads/orders.csv"},"group_by":["order_id"],"aggregates":[{"op":"count"}],"max_groups":100}`, "*reportsteps.TooManyGroups", "max_groups=100"},
		{`{"source":{"key":"uploads/orders.csv"},"aggregates":[{"op":"sum","column":"customer"}]}`, "*reportsteps.InvalidSourceRow", "uploads/orders.csv: line 2: column \"customer\""},
		{`{"source":{"key":"uploads/orders.csv"},"aggregates":[{"op":"count_distinct","column":"customer"}],"max_distinct":10}`, "*reportsteps.TooManyDistinctValues", "more than max_distinct=10 distinct values"},
		{`{"key":"reports/missing.json"}`, "*reportsteps.InvalidReportRequest", "/request/key: request object s3://stepwise-test/reports/missing.json does not exist"},
	} {
		_, err := run(t, e, "bad", c.req)
		if err == nil || typeName(err) != c.typ || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s:\n err = %s %v\nwant %s ...%s...", c.req, typeName(err), err, c.typ, c.msg)
		}
	}
}

func typeName(err error) string {
	if err == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%T", err)
}

// TestShippedRequestsParse checks the requests the repository ships: the
// samples in testdata/report and every schedule input of
// statemachine/report.schedule.json.
func TestShippedRequestsParse(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "report", "*.json"))
	if len(files) == 0 {
		t.Fatal("no sample requests")
	}
	var inputs []json.RawMessage
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, data)
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "statemachine", "report.schedule.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sched struct {
		Schedules []struct{ Input json.RawMessage }
	}
	if err := json.Unmarshal(data, &sched); err != nil || len(sched.Schedules) == 0 {
		t.Fatalf("report.schedule.json: %v", err)
	}
	for _, s := range sched.Schedules {
		inputs = append(inputs, s.Input)
	}
	for i, in := range inputs {
		var exec struct{ Request json.RawMessage }
		if err := json.Unmarshal(in, &exec); err != nil || exec.Request == nil {
			t.Fatalf("input %d: not {\"request\": ...}: %v", i, err)
		}
		if _, err := reportsteps.ParseRequest(exec.Request, bucket); err != nil {
			t.Errorf("input %d: %v", i, err)
		}
	}
}

// TestJSONLinesSource runs the steps over a JSON Lines source: the same
// groups as the CSV path computes for the same rows.
func TestJSONLinesSource(t *testing.T) {
	e := setup(t)
	var jl strings.Builder
	csvText := "region,amount\n"
	for i, r := range []struct{ region, amount string }{{"Zürich", "1.50"}, {"東京", "2"}, {"Zürich", ""}, {"東京", "-0.25"}, {"", "7"}} {
		a := "null"
		if r.amount != "" {
			a = r.amount
		}
		fmt.Fprintf(&jl, "{\"id\": %d, \"region\": %q, \"amount\": %s}\n", i, r.region, a)
		csvText += r.region + "," + r.amount + "\n"
	}
	e.st.PutBytes(bucket, "uploads/rows.jsonl", []byte(jl.String()))
	e.st.PutBytes(bucket, "uploads/rows.csv", []byte(csvText))
	aggs := `"group_by":["region"],"aggregates":[{"op":"count"},{"op":"sum","column":"amount"},{"op":"min","column":"amount"},{"op":"avg","column":"amount"}],"part_size":1024`
	var got [2]string
	for i, src := range []string{`{"key":"uploads/rows.jsonl","format":"jsonl"}`, `{"key":"uploads/rows.csv"}`} {
		out, err := run(t, e, fmt.Sprintf("jl-%d", i), `{"source":`+src+`,`+aggs+`}`)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := e.st.Object(bucket, out.CSV)
		got[i] = string(b)
	}
	want := "region,count,sum(amount),min(amount),avg(amount)\n,1,7,7,7.0000\nZürich,2,1.50,1.50,1.500000\n東京,2,1.75,-0.25,0.875000\n"
	if got[0] != want || got[1] != want {
		t.Fatalf("jsonl:\n%s\ncsv:\n%s\nwant:\n%s", got[0], got[1], want)
	}
}
