package requestapproval_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/requestapproval"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

const bucket = "stepwise-test"

// pending runs the requestapproval step over a merged CSV export with the
// given columns and rows and returns the record it wrote and its size.
func pending(t *testing.T, columns []string, rows [][]string, sources int) (export.ApprovalRecord, int) {
	t.Helper()
	ctx := context.Background()
	st := objstore.NewMemory()
	env := &stepkit.Env{Store: st, Bucket: bucket, Prefixes: export.DefaultPrefixes, Log: io.Discard,
		Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }}
	lay := env.Layout("big-1")
	var csv strings.Builder
	line := func(fields []string) {
		for i, f := range fields {
			if i > 0 {
				csv.WriteByte(',')
			}
			csv.WriteString(`"` + strings.ReplaceAll(f, `"`, `""`) + `"`)
		}
		csv.WriteByte('\n')
	}
	line(columns)
	for _, r := range rows {
		line(r)
	}
	st.PutBytes(bucket, lay.MergedKey("csv"), []byte(csv.String()))
	req, err := export.ParseRequest([]byte(`{"name":"big","source":{"bucket":"stepwise-test","key":"uploads/big.csv"}}`))
	if err != nil {
		t.Fatal(err)
	}
	p := export.Plan{Job: export.Job{Execution: "big-1", Bucket: bucket}, Request: *req, OutputBucket: bucket, OutputKey: "exports/big-1/big.csv"}
	for i := 0; i < sources; i++ {
		p.Sources = append(p.Sources, export.SourceObject{Bucket: bucket, Key: fmt.Sprintf("uploads/daily/%06d-with-a-longish-object-name.csv", i)})
	}
	if _, err := stepkit.WriteJSON(ctx, st, bucket, lay.PlanKey(), p); err != nil {
		t.Fatal(err)
	}
	m := export.MergeResult{Key: lay.MergedKey("csv"), Rows: 123456789, Bytes: int64(csv.Len()), Rejected: 3, Columns: columns}
	if _, err := stepkit.WriteJSON(ctx, st, bucket, lay.MergeResultKey(), m); err != nil {
		t.Fatal(err)
	}
	out, err := requestapproval.Run(ctx, env, requestapproval.Input{Job: p.Job, TaskToken: "tok-" + strings.Repeat("t", 500), RequestedAt: "2026-11-23T12:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := st.Object(bucket, out.Key)
	var rec export.ApprovalRecord
	if err := stepkit.ReadJSON(ctx, st, bucket, out.Key, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.TaskToken != "tok-"+strings.Repeat("t", 500) || rec.Rows != 123456789 || rec.Rejected != 3 || rec.Output != "s3://stepwise-test/exports/big-1/big.csv" {
		t.Errorf("exact fields changed: %+v", rec)
	}
	return rec, len(data)
}

// TestRecordBounded: an export whose first rows hold 2 MB values made a
// ~10 MB approval record, which broke `runner approvals` and `runner
// approve` for every pending export (issue 11.5). The record now stays
// under MaxRecordBytes and says what it cut.
func TestRecordBounded(t *testing.T) {
	t.Run("huge values", func(t *testing.T) {
		big := strings.Repeat("é", 1<<19) // 1 MiB of UTF-8: a 5 MiB record before
		var rows [][]string
		for i := 0; i < 5; i++ {
			rows = append(rows, []string{fmt.Sprint(i), big, "short"})
		}
		rec, size := pending(t, []string{"id", "notes", "status"}, rows, 1)
		if size > requestapproval.MaxRecordBytes {
			t.Fatalf("record is %d bytes, limit %d", size, requestapproval.MaxRecordBytes)
		}
		t.Logf("record: %d bytes", size)
		if !rec.Truncated || len(rec.SampleRows) != requestapproval.SampleRows {
			t.Fatalf("truncated %v, %d sample rows; notes %q", rec.Truncated, len(rec.SampleRows), rec.Truncation)
		}
		want := strings.Repeat("é", requestapproval.MaxSampleValue-1) + "…"
		if got := rec.SampleRows[4]; got[0] != "4" || got[1] != want || got[2] != "short" {
			t.Errorf("sample row 4: %.40q", got)
		}
		if got := strings.Join(rec.Truncation, "; "); got != "5 sample values are cut to 200 characters (they end in …)" {
			t.Errorf("truncation notes %q", got)
		}
	})
	t.Run("wide rows and many sources", func(t *testing.T) {
		var cols []string
		for i := 0; i < 3000; i++ {
			cols = append(cols, fmt.Sprintf("a_rather_long_column_name_number_%04d", i))
		}
		var rows [][]string
		for i := 0; i < 5; i++ {
			row := make([]string, len(cols))
			for j := range row {
				row[j] = strings.Repeat("v", 150)
			}
			rows = append(rows, row)
		}
		rec, size := pending(t, cols, rows, 20000)
		if size > requestapproval.MaxRecordBytes {
			t.Fatalf("record is %d bytes, limit %d", size, requestapproval.MaxRecordBytes)
		}
		t.Logf("record: %d bytes", size)
		if !rec.Truncated || rec.ColumnCount != 3000 || rec.SourceCount != 20000 || len(rec.Sources) != requestapproval.MaxListedSources {
			t.Fatalf("truncated %v, columnCount %d, sourceCount %d, %d sources; notes %q", rec.Truncated, rec.ColumnCount, rec.SourceCount, len(rec.Sources), rec.Truncation)
		}
		if len(rec.SampleRows) != requestapproval.SampleRows || len(rec.SampleRows[0]) != requestapproval.MaxSampleColumns {
			t.Errorf("%d sample rows, %d columns; want %d rows of %d columns", len(rec.SampleRows), len(rec.SampleRows[0]), requestapproval.SampleRows, requestapproval.MaxSampleColumns)
		}
		want := []string{"the sample rows show the first 50 of 3000 columns", "the first 20 of 20000 sources are listed", "the first 375 of 3000 columns are listed"}
		if fmt.Sprint(rec.Truncation) != fmt.Sprint(want) {
			t.Errorf("truncation notes %q, want %q", rec.Truncation, want)
		}
		if rec.Columns[0] != cols[0] || len(rec.Columns) >= 3000 {
			t.Errorf("columns listed: %d, first %q", len(rec.Columns), rec.Columns[0])
		}
	})
	t.Run("small record untouched", func(t *testing.T) {
		rec, _ := pending(t, []string{"id", "note"}, [][]string{{"1", "a\nb"}, {"2", "plain"}}, 2)
		if rec.Truncated || len(rec.Truncation) != 0 || rec.ColumnCount != 0 || rec.SourceCount != 0 || len(rec.Sources) != 2 ||
			fmt.Sprint(rec.SampleRows) != fmt.Sprint([][]string{{"1", "a\nb"}, {"2", "plain"}}) {
			t.Errorf("record changed: %+v", rec)
		}
	})
}

// TestSampleKeepsValues: what the approver sees of a row is the exported
// value: a quoted "\r\n" stays "\r\n" (encoding/csv read it as "\n") and a
// nested JSON value keeps "<" and "&" (json.Marshal wrote \u003c, \u0026).
func TestSampleKeepsValues(t *testing.T) {
	ctx := context.Background()
	st := objstore.NewMemory()
	req, err := export.ParseRequest([]byte(`{"source":{"bucket":"b","key":"k"}}`))
	if err != nil {
		t.Fatal(err)
	}
	st.PutBytes(bucket, "out.csv", []byte("id,notes\r\n1,\"two\r\nlines\"\r\n2,\"lone\rcr\"\r\n"))
	rows, err := requestapproval.Sample(ctx, st, bucket, "out.csv", req, []string{"id", "notes"}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"1", "two\r\nlines"}, {"2", "lone\rcr"}}; fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("csv sample = %q, want %q", rows, want)
	}

	jreq, err := export.ParseRequest([]byte(`{"source":{"bucket":"b","key":"k"},"output":{"format":"jsonl"}}`))
	if err != nil {
		t.Fatal(err)
	}
	st.PutBytes(bucket, "out.jsonl", []byte(`{"id":"1","tags":{"a":"x<y & z"}}`+"\n"))
	rows, err = requestapproval.Sample(ctx, st, bucket, "out.jsonl", jreq, []string{"id", "tags"}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0][1] != `{"a":"x<y & z"}` {
		t.Errorf("jsonl sample = %q, want the nested value as written", rows)
	}
}
