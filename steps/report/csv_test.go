package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// genCSV writes n rows of region,amount,user with quoted newlines, empty
// values and non-ASCII keys.
func genCSV(n int) string {
	regions := []string{"Zürich", "東京", "a \"quoted\"\nregion", "", "São Paulo", "x,y"}
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	w := csv.NewWriter(&b)
	for range n {
		amount := ""
		if rng.IntN(7) != 0 {
			amount = fmt.Sprintf("%d.%02d", rng.IntN(2000)-1000, rng.IntN(100))
			if strings.HasPrefix(amount, "-0.") || amount[0] == '-' && rng.IntN(2) == 0 {
				amount = fmt.Sprint(rng.IntN(50))
			}
		}
		user := fmt.Sprintf("u%d", rng.IntN(40))
		if rng.IntN(9) == 0 {
			user = ""
		}
		_ = w.Write([]string{regions[rng.IntN(len(regions))], amount, user})
	}
	w.Flush()
	return b.String()
}

// reference computes count, sum and count_distinct per region with the
// standard library's encoding/csv and big.Rat: no code shared with the
// package under test.
func reference(t *testing.T, data string) map[string][3]string {
	rs, err := csv.NewReader(strings.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	sum := map[string]*big.Rat{}
	seen := map[string]map[string]bool{}
	scale := map[string]int{}
	for _, r := range rs {
		count[r[0]]++
		if sum[r[0]] == nil {
			sum[r[0]], seen[r[0]] = new(big.Rat), map[string]bool{}
		}
		if r[1] != "" {
			v, _ := new(big.Rat).SetString(r[1])
			sum[r[0]].Add(sum[r[0]], v)
			if _, frac, ok := strings.Cut(r[1], "."); ok {
				scale[r[0]] = max(scale[r[0]], len(frac))
			}
		}
		if r[2] != "" {
			seen[r[0]][r[2]] = true
		}
	}
	out := map[string][3]string{}
	for k := range count {
		out[k] = [3]string{fmt.Sprint(count[k]), sum[k].FloatString(scale[k]), fmt.Sprint(len(seen[k]))}
	}
	return out
}

func checkAgainstReference(t *testing.T, rows int) {
	data := genCSV(rows)
	aggs := []Aggregate{{Op: "count"}, {Op: "sum", Column: "amount"}, {Op: "count_distinct", Column: "user"}}
	p := NewPartial(aggs, 100)
	if err := AggregateCSV(strings.NewReader(data), "gen.csv", []string{"region", "amount", "user"}, []string{"region"}, p); err != nil {
		t.Fatal(err)
	}
	want := reference(t, data)
	if len(p.Groups) != len(want) {
		t.Fatalf("%d groups, want %d", len(p.Groups), len(want))
	}
	for _, g := range p.Groups {
		w := want[g.Keys[0]]
		got := [3]string{g.Value(aggs, 0), g.Value(aggs, 1), g.Value(aggs, 2)}
		if got != w {
			t.Errorf("group %q: got %v, want %v", g.Keys[0], got, w)
		}
	}
}

func TestAggregateCSVMatchesReference(t *testing.T) { checkAgainstReference(t, 20000) }

func TestAggregateCSVMillionRows(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 1,000,000-row reference comparison")
	}
	checkAgainstReference(t, 1_000_000)
}

func TestAggregateCSVUnknownColumn(t *testing.T) {
	p := NewPartial([]Aggregate{{Op: "sum", Column: "nope"}}, 10)
	err := AggregateCSV(strings.NewReader("a,1\n"), "s3://b/k.csv", []string{"region", "amount"}, []string{"region"}, p)
	if err == nil || !strings.Contains(err.Error(), `column "nope"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestAggregateRecordsEqualsAdd checks the queued count_distinct inserts
// of AggregateRecords against Partial.Add row by row (rows read by
// encoding/csv): the same wire form, so the same groups, values and
// distinct sets in the same insertion order, across many queue flushes.
func TestAggregateRecordsEqualsAdd(t *testing.T) {
	data := string(genSales(20_000))
	aggs := []Aggregate{{Op: "count"}, {Op: "count_distinct", Column: "user"}, {Op: "sum", Column: "amount"},
		{Op: "count_distinct", Column: "region"}, {Op: "max", Column: "amount"}}
	header := []string{"order_id", "region", "channel", "amount", "user", "note"}
	got := NewPartial(aggs, 1000)
	if n, err := AggregateRecords(strings.NewReader(data), Options{Header: header, GroupBy: []string{"channel"}}, got); err != nil || n != 20_000 {
		t.Fatalf("AggregateRecords: %d rows, %v", n, err)
	}
	want := NewPartial(aggs, 1000)
	rs, err := csv.NewReader(strings.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if err := want.Add([]string{r[2]}, []string{"", r[4], r[3], r[1], r[3]}); err != nil {
			t.Fatal(err)
		}
	}
	var a, b bytes.Buffer
	if err := got.WriteBinary(&a, nil); err != nil {
		t.Fatal(err)
	}
	if err := want.WriteBinary(&b, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("wire forms differ (%d and %d bytes)", a.Len(), b.Len())
	}
}

// TestAggregateRecordsErrorsInRowOrder checks that AggregateRecords
// reports the first bad row, with its line and the rows read up to it,
// whatever the error and however many count_distinct inserts were still
// queued when a later row failed.
func TestAggregateRecordsErrorsInRowOrder(t *testing.T) {
	header := []string{"g", "amount", "user"}
	aggs := []Aggregate{{Op: "count_distinct", Column: "user"}, {Op: "sum", Column: "amount"}}
	okRows := func(n int) string { // n rows, each with a new user
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "a,1,u%d\n", i)
		}
		return b.String()
	}
	tests := []struct {
		name      string
		in        string
		maxGroups int
		maxDist   int
		wantRows  int64
		wantErr   string
		wantLimit error
	}{
		{name: "distinct limit before a bad number in the same queue", in: okRows(10) + "a,x,u99\n", maxDist: 5,
			wantRows: 6, wantErr: "line 6: too many distinct values", wantLimit: ErrTooManyDistinct},
		{name: "distinct limit past a flush", in: okRows(200), maxDist: 150,
			wantRows: 151, wantErr: "line 151: too many distinct values", wantLimit: ErrTooManyDistinct},
		{name: "the limit's own row fails on a later column", in: okRows(5) + "a,x,u99\n", maxDist: 5,
			wantRows: 6, wantErr: "line 6: too many distinct values", wantLimit: ErrTooManyDistinct},
		{name: "bad number", in: okRows(10) + "a,x,u1\n" + okRows(3), maxDist: 100,
			wantRows: 11, wantErr: `line 11: column "amount" (sum): `},
		{name: "wrong field count", in: okRows(3) + "a,1\n", wantRows: 4, wantErr: "line 4: wrong number of fields: 2, the header has 3"},
		{name: "bare quote on a later line", in: okRows(3) + "\"a\nb\",1,u\na,1\"x,u\n", wantRows: 4, wantErr: "line 6: bare \" in non-quoted-field"},
		{name: "too many groups", in: okRows(3) + "b,1,u1\nc,1,u1\n", maxGroups: 2, wantRows: 5, wantErr: "line 5: too many groups", wantLimit: ErrTooManyGroups},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPartial(aggs, tc.maxGroups)
			p.MaxDistinct = tc.maxDist
			n, err := AggregateRecords(strings.NewReader(tc.in), Options{Header: header, GroupBy: []string{"g"}}, p)
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) || n != tc.wantRows {
				t.Fatalf("got %d rows, %v; want %d rows, an error starting %q", n, err, tc.wantRows, tc.wantErr)
			}
			var re *RowError
			if tc.wantLimit != nil && (!errors.Is(err, tc.wantLimit) || errors.As(err, &re)) {
				t.Fatalf("err = %v, want one wrapping %v and no RowError", err, tc.wantLimit)
			}
			if tc.wantLimit == nil && !errors.As(err, &re) {
				t.Fatalf("err = %T %v, want a RowError", err, err)
			}
		})
	}
}

// TestAggregateRecordsStopAndReadError checks that Stop ends the read with
// ErrStopped and that a reader's own error comes out unwrapped.
func TestAggregateRecordsStopAndReadError(t *testing.T) {
	o := Options{Header: []string{"g", "user"}, GroupBy: []string{"g"}, Stop: func() bool { return true }}
	p := NewPartial([]Aggregate{{Op: "count_distinct", Column: "user"}}, 10)
	if _, err := AggregateRecords(strings.NewReader("a,u\n"), o, p); err != ErrStopped {
		t.Fatalf("err = %v, want ErrStopped", err)
	}
	boom := errors.New("connection reset")
	o.Stop = nil
	in := io.MultiReader(strings.NewReader("a,u1\na,u2\na,"), iotest.ErrReader(boom))
	if n, err := AggregateRecords(in, o, p); err != boom || n != 2 || p.Groups[groupKey([]string{"a"})].accs[0].distinct.Len() != 2 {
		t.Fatalf("got %d rows, %v; want 2 rows counted and the reader's error", n, err)
	}
}
