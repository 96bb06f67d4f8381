package report

import (
	"bytes"
	"math/rand/v2"
	"strconv"
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

// genSales returns rows shaped like bench/report's generated source: 32
// groups (8 regions with quoted and non-ASCII keys x 4 channels), 5,000
// users, a quoted note with a comma, empty values.
func genSales(rows int) []byte {
	regions := []string{"Zürich", "東京", "São Paulo", "\"a \"\"quoted\"\"\nregion\"", "", "\"x,y\"", "Kraków", "Ελλάδα"}
	channels := []string{"web", "shop", "Straße", ""}
	rng := rand.New(rand.NewPCG(1, 2))
	var w []byte
	for id := 1; id <= rows; id++ {
		w = strconv.AppendInt(w, int64(id), 10)
		w = append(w, ',')
		w = append(w, regions[rng.IntN(len(regions))]...)
		w = append(w, ',')
		w = append(w, channels[rng.IntN(len(channels))]...)
		w = append(w, ',')
		if rng.IntN(10) != 0 {
			w = strconv.AppendInt(w, int64(rng.IntN(3000)-1000), 10)
			c := rng.IntN(100)
			w = append(w, '.', byte('0'+c/10), byte('0'+c%10))
		}
		w = append(w, ',')
		if rng.IntN(10) != 0 {
			w = append(w, 'u')
			w = strconv.AppendInt(w, int64(rng.IntN(5000)), 10)
		}
		w = append(w, ",\"delivered to the side door, thank you\"\n"...)
	}
	return w
}

// BenchmarkAggregateSales is the part step's loop on bench/report's rows
// and request (six aggregates, two group-by columns): 160,000 distinct
// (group, user) pairs, so count_distinct's lookups miss the caches as
// they do in a 64 MiB part.
func BenchmarkAggregateSales(b *testing.B) {
	benchAggregateSales(b, []string{"region", "channel"}, []Aggregate{{Op: "count"}, {Op: "sum", Column: "amount"}, {Op: "avg", Column: "amount"},
		{Op: "min", Column: "amount"}, {Op: "max", Column: "amount"}, {Op: "count_distinct", Column: "user"}})
}

// benchAggregateSales runs AggregateRecords over 400,000 of
// bench/report's rows, grouped by groupBy, into aggs.
func benchAggregateSales(b *testing.B, groupBy []string, aggs []Aggregate) {
	data := genSales(400_000)
	o := Options{Header: []string{"order_id", "region", "channel", "amount", "user", "note"}, GroupBy: groupBy}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		p := NewPartial(aggs, 1000)
		if _, err := AggregateRecords(bytes.NewReader(data), o, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScan is the scanner alone on bench/report's rows.
func BenchmarkScan(b *testing.B) {
	data := genSales(400_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		sc := newScanner(bytes.NewReader(data), ',')
		for {
			if _, err := sc.next(); err != nil {
				break
			}
		}
	}
}

// BenchmarkAggregateUniqueDistinct is count_distinct of a column whose
// every value is new (order_id) per region: the dictionary and the
// groups' sets grow with every row, the worst case for count_distinct.
func BenchmarkAggregateUniqueDistinct(b *testing.B) {
	benchAggregateSales(b, []string{"region"}, []Aggregate{{Op: "count"}, {Op: "count_distinct", Column: "order_id"}})
}
