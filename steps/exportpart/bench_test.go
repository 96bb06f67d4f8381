package exportpart

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/stepwise-dev/stepwise/steps/datagen"
	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// BenchmarkExportPart measures one part of 16 MiB of generated orders:
// parse, filter (total > 1000 on a typed column), project four columns,
// encode, upload to the in-memory store. Reports source MB/s and rows/s.
func BenchmarkExportPart(b *testing.B) {
	for _, format := range []string{"csv", "csv+gzip", "jsonl", "parquet"} {
		b.Run(format, func(b *testing.B) { benchPart(b, format) })
	}
}

func benchPart(b *testing.B, format string) {
	var src bytes.Buffer
	rows, err := datagen.Write(&src, datagen.Options{Bytes: 16 << 20, Seed: 3})
	if err != nil {
		b.Fatal(err)
	}
	st := objstore.NewMemory()
	st.PutBytes("bench", "uploads/orders.csv", src.Bytes())
	env := &stepkit.Env{Store: st, Bucket: "bench", Prefixes: export.DefaultPrefixes, Log: io.Discard}
	out := `{"format":"csv"}`
	switch format {
	case "csv+gzip":
		out = `{"format":"csv","gzip":true}`
	case "jsonl", "parquet":
		out = `{"format":"` + format + `"}`
	}
	req, err := export.ParseRequest([]byte(`{"source":{"bucket":"bench","key":"uploads/orders.csv"},"columns":["order_id","customer","total","created_at"],"types":{"total":"number"},"where":"total != nil && total > 1000","output":` + out + `}`))
	if err != nil {
		b.Fatal(err)
	}
	header := datagen.Header
	cols, _ := req.CheckColumns(header)
	headerEnd := int64(bytes.IndexByte(src.Bytes(), '\n') + 1)
	p := export.Plan{Job: export.Job{Execution: "bench", Bucket: "bench"}, Request: *req, Header: header, Columns: cols, Parts: 1}
	plan, _ := json.Marshal(p)
	st.PutBytes("bench", "work/bench/plan.json", plan)
	part := export.PartSpec{Bucket: "bench", Key: "uploads/orders.csv", Start: headerEnd, End: int64(src.Len()), FirstRow: 1, FirstLine: 2}
	b.SetBytes(int64(src.Len()))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Run(context.Background(), env, nil, Input{Job: p.Job, Part: part}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
