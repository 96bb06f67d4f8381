package csvsplit_test

import (
	"bytes"
	"testing"

	"github.com/stepwise-dev/stepwise/steps/csvsplit"
	"github.com/stepwise-dev/stepwise/steps/datagen"
)

// BenchmarkSplit measures the splitter's throughput on 64 MiB of generated
// orders (quoted fields, embedded newlines) held in memory.
func BenchmarkSplit(b *testing.B) {
	var buf bytes.Buffer
	if _, err := datagen.Write(&buf, datagen.Options{Bytes: 64 << 20, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		res, err := csvsplit.Split(bytes.NewReader(data), csvsplit.Options{PartSize: 8 << 20, Quote: '"', Header: true})
		if err != nil || len(res.Ranges) < 8 {
			b.Fatalf("%v, %d ranges", err, len(res.Ranges))
		}
	}
}
