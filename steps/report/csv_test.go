package report

import (
	"encoding/csv"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
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
