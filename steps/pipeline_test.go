package steps_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/steps/cleanup"
	"github.com/stepwise-dev/stepwise/steps/csvsplit"
	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/exportpart"
	"github.com/stepwise-dev/stepwise/steps/merge"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/plan"
	"github.com/stepwise-dev/stepwise/steps/publish"
	"github.com/stepwise-dev/stepwise/steps/requestapproval"
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

// readRecords reads CSV text with csvsplit.Reader, which keeps every byte
// of every field (encoding/csv turns "\r\n" inside quotes into "\n": a
// reference read with it hid exactly the bug of issue 10). The reader
// itself is checked against Python's csv module in TestFidelityAgainstPython
// and against a transcription of it in the csvsplit tests.
func readRecords(t *testing.T, r io.Reader) [][]string {
	t.Helper()
	cr := csvsplit.NewReader(r, ",")
	var recs [][]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return recs
		}
		if err != nil {
			t.Fatalf("line %d: %v", cr.Line(), err)
		}
		recs = append(recs, slices.Clone(rec))
	}
}

// reference computes the expected export rows with an independent
// sequential pass: keep rows where keep is true, project cols.
func reference(t *testing.T, data []byte, cols []string, keep func(map[string]string) bool) [][]string {
	t.Helper()
	recs := readRecords(t, bytes.NewReader(data))
	var out [][]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		if !keep(row) {
			continue
		}
		var o []string
		for _, c := range cols {
			o = append(o, row[c])
		}
		out = append(out, o)
	}
	return out
}

// runPipeline runs plan → exportpart (every part) → merge like the state
// machine does, through the handlers' JSON-facing Run functions.
func runPipeline(t *testing.T, env *stepkit.Env, execution string, request string) (plan.Output, export.MergeResult) {
	t.Helper()
	ctx := context.Background()
	var in plan.Input
	in.Execution, in.ExecutionID, in.StartTime = execution, "arn:aws:states:us-east-1:123456789012:execution:stepwise-export:"+execution, "2026-11-23T11:00:00Z"
	in.Input.Request = json.RawMessage(request)
	po, err := plan.Run(ctx, env, in)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	var parts []export.PartSpec
	if err := stepkit.ReadJSON(ctx, env.Store, po.Manifest.Bucket, po.Manifest.Key, &parts); err != nil {
		t.Fatal(err)
	}
	if len(parts) != po.Parts {
		t.Fatalf("manifest has %d parts, plan says %d", len(parts), po.Parts)
	}
	handler := exportpart.New(env)
	for _, p := range parts {
		if _, err := handler(ctx, exportpart.Input{Job: po.Job, Part: p}); err != nil {
			t.Fatalf("exportpart %d: %v", p.Part, err)
		}
	}
	mo, err := merge.Run(ctx, env, merge.Input{Job: po.Job})
	if err != nil {
		t.Fatalf("merge: %v", err)
	}
	return po, mo
}

func readCSV(t *testing.T, data []byte, gz bool) [][]string {
	t.Helper()
	var r io.Reader = bytes.NewReader(data)
	if gz {
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	return readRecords(t, r)
}

func sampleData(t *testing.T) []byte {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "orders.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func keepDE100(row map[string]string) bool {
	total, err := strconv.ParseFloat(row["total"], 64)
	return (row["country"] == "DE" || row["country"] == "FR") && err == nil && total > 100
}

// TestPipelineMatchesReference runs the sample through plan, exportpart and
// merge with a filter and a projection and compares the output, row for
// row, with the sequential reference, for several part sizes and formats.
func TestPipelineMatchesReference(t *testing.T) {
	data := sampleData(t)
	cols := []string{"order_id", "customer", "total", "notes"}
	want := reference(t, data, cols, keepDE100)
	if len(want) < 50 {
		t.Fatalf("reference has only %d rows; the filter is too narrow to test much", len(want))
	}
	for _, tc := range []struct {
		partSize int
		gzip     bool
	}{{1024, false}, {4096, true}, {1 << 20, false}, {7777, false}} {
		t.Run(fmt.Sprintf("part%d-gzip%v", tc.partSize, tc.gzip), func(t *testing.T) {
			st := objstore.NewMemory()
			st.PutBytes(bucket, "uploads/orders.csv", data)
			env := newEnv(st)
			req := fmt.Sprintf(`{"source":{"bucket":%q,"key":"uploads/orders.csv"},
				"columns":["order_id",{"name":"customer","as":"name"},"total","notes"],
				"types":{"total":"number"},
				"where":"country in [\"DE\", \"FR\"] && total != nil && total > 100",
				"output":{"gzip":%v},"partSize":%d}`, bucket, tc.gzip, tc.partSize)
			po, mo := runPipeline(t, env, "exec-1", req)
			if tc.partSize == 1024 && po.Parts < 20 {
				t.Fatalf("only %d parts for part size 1024", po.Parts)
			}
			got, ok := st.Object(bucket, mo.Key)
			if !ok {
				t.Fatalf("no merged object %s", mo.Key)
			}
			recs := readCSV(t, got, tc.gzip)
			if !reflect.DeepEqual(recs[0], []string{"order_id", "name", "total", "notes"}) {
				t.Fatalf("header %q", recs[0])
			}
			if !reflect.DeepEqual(recs[1:], want) {
				t.Fatalf("output differs from the reference: %d rows, want %d", len(recs)-1, len(want))
			}
			if mo.Rows != int64(len(want)) || mo.RowsRead != 1000 || mo.Rejected != 0 {
				t.Fatalf("merge counts rows %d read %d rejected %d", mo.Rows, mo.RowsRead, mo.Rejected)
			}
			// Idempotent: a second run of the same execution writes the same bytes.
			_, mo2 := runPipeline(t, env, "exec-1", req)
			again, _ := st.Object(bucket, mo2.Key)
			if !bytes.Equal(got, again) || mo2.SHA256 != mo.SHA256 {
				t.Fatal("a rerun wrote different bytes")
			}
		})
	}
}

// TestPipelineMultipartMerge exports enough data that merge uses a real
// multipart upload with UploadPartCopy (parts ≥ 5 MiB) and buffered small
// parts; the memory store rejects parts under 5 MiB as S3 does.
func TestPipelineMultipartMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the 24 MiB multipart merge")
	}
	var src bytes.Buffer
	w := csv.NewWriter(&src)
	w.Write([]string{"id", "text"})
	pad := strings.Repeat("x,\"y\"\n", 20)
	for i := range 120000 {
		w.Write([]string{strconv.Itoa(i), pad})
	}
	w.Flush()
	st := objstore.NewMemory()
	st.PutBytes(bucket, "uploads/big.csv", src.Bytes())
	env := newEnv(st)
	req := fmt.Sprintf(`{"source":{"bucket":%q,"key":"uploads/big.csv"},"types":{"id":"integer"},"where":"id %% 97 != 3","partSize":%d}`, bucket, 3<<20)
	po, mo := runPipeline(t, env, "exec-mpu", req)
	if mo.Method != "multipart" || po.Parts < 4 {
		t.Fatalf("method %s with %d parts; want multipart", mo.Method, po.Parts)
	}
	got, _ := st.Object(bucket, mo.Key)
	recs := readCSV(t, got, false)
	n := 0
	for i := range 120000 {
		if i%97 == 3 {
			continue
		}
		if recs[n+1][0] != strconv.Itoa(i) || recs[n+1][1] != pad {
			t.Fatalf("row %d = %q", n+1, recs[n+1][0])
		}
		n++
	}
	if len(recs)-1 != n || st.OpenUploads() != 0 {
		t.Fatalf("%d rows, want %d; %d uploads left open", len(recs)-1, n, st.OpenUploads())
	}
}

func TestPipelineJSONLAndParquet(t *testing.T) {
	data := sampleData(t)
	want := reference(t, data, []string{"order_id", "country", "total"}, keepDE100)
	for _, format := range []string{"jsonl", "parquet"} {
		t.Run(format, func(t *testing.T) {
			st := objstore.NewMemory()
			st.PutBytes(bucket, "uploads/orders.csv", data)
			env := newEnv(st)
			req := fmt.Sprintf(`{"source":{"bucket":%q,"key":"uploads/orders.csv"},"columns":["order_id","country","total"],
				"types":{"total":"number","order_id":"integer"},"where":"country in [\"DE\",\"FR\"] && total != nil && total > 100",
				"output":{"format":%q},"partSize":3000}`, bucket, format)
			_, mo := runPipeline(t, env, "exec-"+format, req)
			sample, err := requestapproval.Sample(context.Background(), st, bucket, mo.Key, &export.Request{Output: export.Output{Format: format}}, mo.Columns, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(sample) != len(want) {
				t.Fatalf("%d rows, want %d", len(sample), len(want))
			}
			for i, row := range sample {
				total, _ := strconv.ParseFloat(want[i][2], 64)
				if row[0] != want[i][0] || row[1] != want[i][1] || row[2] != strconv.FormatFloat(total, 'g', -1, 64) && row[2] != want[i][2] {
					t.Fatalf("row %d = %q, want %q", i, row, want[i])
				}
			}
		})
	}
}

// TestRejectedRows checks that malformed rows are counted, written with
// their row and line numbers, and fail the export only past the limit.
func TestRejectedRows(t *testing.T) {
	src := "id,name,amount\n1,a,10\n2,\"b\nb\",x\n3,c\n4,d,5\n5,e\"e,6\n6,f,7\n"
	for _, tc := range []struct {
		limit   int
		wantErr bool
	}{{3, false}, {2, true}} {
		st := objstore.NewMemory()
		st.PutBytes(bucket, "uploads/bad.csv", []byte(src))
		env := newEnv(st)
		var in plan.Input
		in.Execution = "exec-bad"
		in.Input.Request = json.RawMessage(fmt.Sprintf(`{"source":{"bucket":%q,"key":"uploads/bad.csv"},"types":{"amount":"integer"},"maxRejectedRows":%d,"partSize":1024}`, bucket, tc.limit))
		po, err := plan.Run(context.Background(), env, in)
		if err != nil {
			t.Fatal(err)
		}
		var parts []export.PartSpec
		stepkit.ReadJSON(context.Background(), st, bucket, po.Manifest.Key, &parts)
		res, err := exportpart.New(env)(context.Background(), exportpart.Input{Job: po.Job, Part: parts[0]})
		var tm *export.TooManyRejectedRows
		if tc.wantErr {
			if !errors.As(err, &tm) || tm.Rejected != 3 {
				t.Fatalf("limit %d: err %v, want TooManyRejectedRows with 3", tc.limit, err)
			}
			continue
		}
		if err != nil || res.Rejected != 3 || res.RowsWritten != 3 {
			t.Fatalf("limit %d: %+v %v", tc.limit, res, err)
		}
		rej, _ := st.Object(bucket, res.RejectedKey)
		recs := readCSV(t, rej, false)
		var got []string
		for _, r := range recs[1:] {
			got = append(got, r[0]+"@"+r[1]+": "+r[2])
		}
		want := []string{
			`2@3: column "amount": "x" is not an integer`,
			"3@5: wrong number of fields: 2, the header has 3",
			`5@7: bare " in non-quoted-field (field 2)`,
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("rejected rows\n got %q\nwant %q", got, want)
		}
	}
}

func TestPlanErrors(t *testing.T) {
	st := objstore.NewMemory()
	st.PutBytes(bucket, "uploads/orders.csv", sampleData(t))
	st.PutBytes(bucket, "requests/bad.json", []byte(`{"source":{"bucket":"stepwise-test","key":"uploads/orders.csv"},"columns":["order_id","nope"]}`))
	env := newEnv(st)
	tests := []struct{ request, want string }{
		{`{"source":{"bucket":"stepwise-test","key":"uploads/missing.csv"}}`, "invalid export request: /source/key: s3://stepwise-test/uploads/missing.csv does not exist"},
		{`{"source":{"bucket":"stepwise-test","prefix":"nothing/"}}`, "invalid export request: /source/prefix: no objects under s3://stepwise-test/nothing/"},
		{`{"bucket":"stepwise-test","key":"requests/bad.json","etag":"\"x\""}`, `invalid export request: /columns/1/name: no column "nope" in the source (have: order_id, customer, country, total, created_at, status, notes) (in s3://stepwise-test/requests/bad.json)`},
		{`{"source":{"bucket":"stepwise-test","key":"uploads/orders.csv"},"where":"total >"}`, "invalid export request: /where: unexpected token EOF (1:7)"},
	}
	for _, tt := range tests {
		var in plan.Input
		in.Execution = "e"
		in.Input.Request = json.RawMessage(tt.request)
		_, err := plan.Run(context.Background(), env, in)
		var ie *export.InvalidExportRequest
		if !errors.As(err, &ie) || err.Error() != tt.want {
			t.Errorf("%s:\n got  %v\n want %s", tt.request, err, tt.want)
		}
	}
}

// TestApprovePublishAndCleanup follows an export through approval and
// publish, and a failed one through cleanup, checking the S3 key layout.
func TestApprovePublishAndCleanup(t *testing.T) {
	ctx := context.Background()
	st := objstore.NewMemory()
	st.PutBytes(bucket, "uploads/orders.csv", sampleData(t))
	env := newEnv(st)
	req := `{"name":"de orders","source":{"bucket":"stepwise-test","key":"uploads/orders.csv"},"columns":["order_id","country"],"where":"country == \"DE\"","partSize":10000,"approval":{"timeoutSeconds":3600}}`
	po, mo := runPipeline(t, env, "exec-ok", req)
	ao, err := requestapproval.Run(ctx, env, requestapproval.Input{Job: po.Job, TaskToken: "tok-1", RequestedAt: "2026-11-23T12:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	var rec export.ApprovalRecord
	if err := stepkit.ReadJSON(ctx, st, bucket, "approvals/pending/exec-ok.json", &rec); err != nil {
		t.Fatal(err)
	}
	if ao.Key != "approvals/pending/exec-ok.json" || rec.TaskToken != "tok-1" || rec.Rows != mo.Rows || len(rec.SampleRows) != requestapproval.SampleRows ||
		rec.ExpiresAt != time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC) || rec.Output != "s3://stepwise-test/exports/exec-ok/de_orders.csv" {
		t.Fatalf("approval record %+v", rec)
	}
	// A rejection reaching publish (it should not: the Choice routes it) fails with ExportRejected.
	_, err = publish.Run(ctx, env, publish.Input{Job: po.Job, Approval: &export.Decision{Decision: "reject", Approver: "ann"}})
	var rj *export.ExportRejected
	if !errors.As(err, &rj) {
		t.Fatalf("publish of a rejected export: %v", err)
	}
	out, err := publish.Run(ctx, env, publish.Input{Job: po.Job, Approval: &export.Decision{Decision: "approve", Approver: "ann"}, PublishedAt: "2026-11-23T12:30:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	published, _ := st.Object(bucket, out.Key)
	merged, _ := st.Object(bucket, mo.Key)
	if !bytes.Equal(published, merged) || out.ManifestKey != "exports/exec-ok/de_orders.csv.manifest.json" || !strings.HasPrefix(out.URL, "memory://") {
		t.Fatalf("publish output %+v", out)
	}
	var man export.Manifest
	stepkit.ReadJSON(ctx, st, bucket, out.ManifestKey, &man)
	if man.Rows != mo.Rows || man.SHA256 != mo.SHA256 || man.Sources[0].ETag == "" || man.Timings["total"] != "1h30m0s" {
		t.Fatalf("manifest %+v", man)
	}
	if keys := st.Keys(bucket, "approvals/"); !reflect.DeepEqual(keys, []string{"approvals/decided/exec-ok.json"}) {
		t.Fatalf("approval keys %v", keys)
	}
	// Cleanup after a failure removes work files and the pending record,
	// never the published export.
	if _, err := requestapproval.Run(ctx, env, requestapproval.Input{Job: po.Job, TaskToken: "tok-2"}); err != nil {
		t.Fatal(err)
	}
	co, err := cleanup.Run(ctx, env, cleanup.Input{Execution: "exec-ok", Failure: &cleanup.Failure{Error: "ApprovalExpired"}})
	if err != nil || co.Deleted == 0 {
		t.Fatalf("cleanup %+v %v", co, err)
	}
	if left := append(st.Keys(bucket, "work/"), st.Keys(bucket, "approvals/pending/")...); len(left) != 0 {
		t.Fatalf("left after cleanup: %v", left)
	}
	if _, ok := st.Object(bucket, out.Key); !ok {
		t.Fatal("cleanup removed the published export")
	}
}

// TestPartRetryAfterInjectedFailure fails one part's upload once; the
// retried part (as the state machine's Retry runs it) yields exact output.
func TestPartRetryAfterInjectedFailure(t *testing.T) {
	ctx := context.Background()
	data := sampleData(t)
	st := objstore.NewMemory()
	st.PutBytes(bucket, "uploads/orders.csv", data)
	env := newEnv(st)
	failed := false
	st.Fail = func(op, b, key string) error {
		if op == "Put" && strings.HasSuffix(key, "parts/00002.csv") && !failed {
			failed = true
			return &export.S3Unavailable{Op: "PutObject " + key, Err: errors.New("503 SlowDown")}
		}
		return nil
	}
	var in plan.Input
	in.Execution = "exec-retry"
	in.Input.Request = json.RawMessage(`{"source":{"bucket":"stepwise-test","key":"uploads/orders.csv"},"partSize":5000}`)
	po, err := plan.Run(ctx, env, in)
	if err != nil {
		t.Fatal(err)
	}
	var parts []export.PartSpec
	stepkit.ReadJSON(ctx, st, bucket, po.Manifest.Key, &parts)
	h := exportpart.New(env)
	for _, p := range parts {
		_, err := h(ctx, exportpart.Input{Job: po.Job, Part: p})
		var su *export.S3Unavailable
		if errors.As(err, &su) {
			_, err = h(ctx, exportpart.Input{Job: po.Job, Part: p}) // the Retry
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !failed {
		t.Fatal("the failure was not injected")
	}
	mo, err := merge.Run(ctx, env, merge.Input{Job: po.Job})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := st.Object(bucket, mo.Key)
	want := reference(t, data, []string{"order_id", "customer", "country", "total", "created_at", "status", "notes"}, func(map[string]string) bool { return true })
	if recs := readCSV(t, got, false); !reflect.DeepEqual(recs[1:], want) {
		t.Fatal("output after a retried part differs from the reference")
	}
}

// TestPartStopsBeforeDeadline checks the deadline guard: with less time
// left than the margin, exportpart returns PartDeadlineExceeded.
func TestPartStopsBeforeDeadline(t *testing.T) {
	st := objstore.NewMemory()
	st.PutBytes(bucket, "uploads/orders.csv", sampleData(t))
	env := newEnv(st)
	var in plan.Input
	in.Execution = "exec-deadline"
	in.Input.Request = json.RawMessage(`{"source":{"bucket":"stepwise-test","key":"uploads/orders.csv"}}`)
	po, err := plan.Run(context.Background(), env, in)
	if err != nil {
		t.Fatal(err)
	}
	var parts []export.PartSpec
	stepkit.ReadJSON(context.Background(), st, bucket, po.Manifest.Key, &parts)
	env.DeadlineMargin = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = exportpart.New(env)(ctx, exportpart.Input{Job: po.Job, Part: parts[0]})
	var pd *export.PartDeadlineExceeded
	if !errors.As(err, &pd) || st.OpenUploads() != 0 {
		t.Fatalf("err %v (open uploads %d), want PartDeadlineExceeded", err, st.OpenUploads())
	}
}
