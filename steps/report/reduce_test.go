package report

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

func TestReduceMergesPartsAndWritesOutputs(t *testing.T) {
	ctx := context.Background()
	st := objstore.NewMemory()
	aggs := []Aggregate{{Op: "count"}, {Op: "sum", Column: "amount"}, {Op: "count_distinct", Column: "user"}}
	data := genCSV(3000)
	whole := NewPartial(aggs, 100)
	header := []string{"region", "amount", "user"}
	if err := AggregateCSV(strings.NewReader(data), "all", header, []string{"region"}, whole); err != nil {
		t.Fatal(err)
	}
	// Two parts split at a record boundary that encoding/csv agrees on.
	lines := strings.SplitAfter(data, "\n")
	cut := 0
	for i := len(lines) / 2; i < len(lines); i++ {
		if strings.Count(strings.Join(lines[:i], ""), `"`)%2 == 0 {
			cut = len(strings.Join(lines[:i], ""))
			break
		}
	}
	for i, part := range []string{data[:cut], data[cut:]} {
		p := NewPartial(aggs, 100)
		if err := AggregateCSV(strings.NewReader(part), "part", header, []string{"region"}, p); err != nil {
			t.Fatal(err)
		}
		if _, err := stepkit.WriteJSON(ctx, st, "b", []string{"parts/0.json", "parts/1.json"}[i], p); err != nil {
			t.Fatal(err)
		}
	}
	out, err := Reduce(ctx, st, "b", []string{"parts/0.json", "parts/1.json"}, []string{"region"}, aggs, Limits{Groups: 100}, "out/", "t")
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	if err := whole.WriteCSV(&want, []string{"region"}); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Object("b", out.CSV)
	if string(got) != want.String() {
		t.Fatalf("reduced csv differs from one pass:\n%s\nwant\n%s", got, want.String())
	}
	if _, ok := st.Object("b", out.HTML); !ok {
		t.Fatal("no html")
	}
	if _, err := Reduce(ctx, st, "b", []string{"parts/0.json", "parts/1.json"}, []string{"region"}, aggs, Limits{Groups: 2}, "out/", "t"); !errors.Is(err, ErrTooManyGroups) {
		t.Fatalf("limit 2: err = %v, want ErrTooManyGroups", err)
	}
	if _, err := Reduce(ctx, st, "b", []string{"parts/9.json"}, []string{"region"}, aggs, Limits{Groups: 100}, "out/", "t"); err == nil || !strings.Contains(err.Error(), "parts/9.json") {
		t.Fatalf("missing part: err = %v", err)
	}
}
