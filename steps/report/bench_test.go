package report

import (
	"strings"
	"testing"
)

// BenchmarkAggregateCSV measures the part step's inner loop (parse +
// group + aggregate) on generated rows held in memory.
func BenchmarkAggregateCSV(b *testing.B) {
	data := genCSV(200_000)
	aggs := []Aggregate{{Op: "count"}, {Op: "sum", Column: "amount"}, {Op: "count_distinct", Column: "user"}}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		p := NewPartial(aggs, 100)
		if err := AggregateCSV(strings.NewReader(data), "bench", []string{"region", "amount", "user"}, []string{"region"}, p); err != nil {
			b.Fatal(err)
		}
	}
}
