package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/steps/objstore"
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
	all := NewPartial(aggs, 100)
	for _, part := range []string{data[:cut], data[cut:]} {
		p := NewPartial(aggs, 100)
		if err := AggregateCSV(strings.NewReader(part), "part", header, []string{"region"}, p); err != nil {
			t.Fatal(err)
		}
		var wire bytes.Buffer
		if err := p.WriteBinary(&wire, nil); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(&wire)
		if _, err := ReadPartialMeta(r); err != nil {
			t.Fatal(err)
		}
		if err := all.MergeBinary(r); err != nil {
			t.Fatal(err)
		}
	}
	out, err := Publish(ctx, st, "b", all, []string{"region"}, "out/", "t")
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
	var res Results
	j, _ := st.Object("b", out.JSON)
	if err := json.Unmarshal(j, &res); err != nil || len(res.Rows) != len(whole.Groups) || res.Columns[0] != "region" {
		t.Fatalf("report.json %s: %v", j, err)
	}
	// The merge applies the limit to the merged set.
	small := NewPartial(aggs, 2)
	var wire bytes.Buffer
	_ = whole.WriteBinary(&wire, nil)
	r := bufio.NewReader(&wire)
	_, _ = ReadPartialMeta(r)
	if err := small.MergeBinary(r); !errors.Is(err, ErrTooManyGroups) {
		t.Fatalf("limit 2: err = %v, want ErrTooManyGroups", err)
	}
}
