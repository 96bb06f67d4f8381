package csvsplit_test

import (
	"bytes"
	"encoding/csv"
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

// BenchmarkRead compares the record reader with encoding/csv (which the
// export used before, and which folds "\r\n" inside quotes) on 16 MiB of
// generated orders.
func BenchmarkRead(b *testing.B) {
	var buf bytes.Buffer
	if _, err := datagen.Write(&buf, datagen.Options{Bytes: 16 << 20, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.Run("csvsplit", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			r := csvsplit.NewReader(bytes.NewReader(data), ",")
			for {
				if _, err := r.Read(); err != nil {
					break
				}
			}
		}
	})
	b.Run("encoding-csv", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			r := csv.NewReader(bytes.NewReader(data))
			r.ReuseRecord = true
			for {
				if _, err := r.Read(); err != nil {
					break
				}
			}
		}
	})
}
