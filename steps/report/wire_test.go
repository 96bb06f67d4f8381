package report

import (
	"bufio"
	"bytes"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestPartialWireRoundTrip(t *testing.T) {
	p := NewPartial(testAggs, 10)
	rows(p, t, [][3]string{{"Zürich", "1.50", "a"}, {"東京", "-2", "b"}, {"Zürich", "", "a"}, {"", "3", ""}, {"Zürich", "7", "c"}})
	var data bytes.Buffer
	if err := p.WriteBinary(&data, []byte(`{"m":1}`)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(bytes.NewReader(data.Bytes()))
	meta, err := ReadPartialMeta(r)
	if err != nil || string(meta) != `{"m":1}` {
		t.Fatalf("meta %q, %v", meta, err)
	}
	q := NewPartial(testAggs, 10)
	if err := q.MergeBinary(r); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := q.WriteBinary(&again, []byte(`{"m":1}`)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data.Bytes(), again.Bytes()) {
		t.Fatalf("round trip changed the partial:\n%q\n%q", data.Bytes(), again.Bytes())
	}
	var a, b strings.Builder
	_ = p.WriteCSV(&a, []string{"region"})
	_ = q.WriteCSV(&b, []string{"region"})
	if a.String() != b.String() {
		t.Fatalf("merged %s, want %s", b.String(), a.String())
	}
	// Merging twice doubles counts but not distinct values.
	r = bufio.NewReader(bytes.NewReader(data.Bytes()))
	_, _ = ReadPartialMeta(r)
	if err := q.MergeBinary(r); err != nil {
		t.Fatal(err)
	}
	for _, g := range q.Groups {
		if g.Keys[0] == "Zürich" && (g.Count != 6 || g.Value(testAggs, 5) != "2") {
			t.Fatalf("Zürich after two merges: count %d, distinct %s", g.Count, g.Value(testAggs, 5))
		}
	}
}

func TestPartialWireMalformed(t *testing.T) {
	p := NewPartial(testAggs, 10)
	rows(p, t, [][3]string{{"Zürich", "1.50", "a"}})
	var data bytes.Buffer
	if err := p.WriteBinary(&data, nil); err != nil {
		t.Fatal(err)
	}
	for cut := len(wireMagic) + 1; cut < data.Len(); cut++ {
		r := bufio.NewReader(bytes.NewReader(data.Bytes()[:cut]))
		if _, err := ReadPartialMeta(r); err != nil {
			t.Fatal(err)
		}
		if err := NewPartial(testAggs, 10).MergeBinary(r); !errors.Is(err, ErrBadPartial) {
			t.Fatalf("truncated at %d: err = %v, want ErrBadPartial", cut, err)
		}
	}
	if _, err := ReadPartialMeta(bufio.NewReader(strings.NewReader(`{"aggs":[]}`))); !errors.Is(err, ErrBadPartial) {
		t.Fatalf("json: err = %v", err)
	}
	other := NewPartial([]Aggregate{{Op: "count"}}, 10)
	r := bufio.NewReader(bytes.NewReader(data.Bytes()))
	_, _ = ReadPartialMeta(r)
	if err := other.MergeBinary(r); !errors.Is(err, ErrBadPartial) || !strings.Contains(err.Error(), "aggregates") {
		t.Fatalf("other aggregates: err = %v", err)
	}
}

// TestPartialWireDistinctForms round-trips count_distinct sets in both
// wire forms: a group holding most of the values (a bitset) and groups
// holding few, far apart (ascending ids). The merge through the wire
// must equal the merge in memory, and bad ids must be refused.
func TestPartialWireDistinctForms(t *testing.T) {
	aggs := []Aggregate{{Op: "count"}, {Op: "count_distinct", Column: "u"}}
	p := NewPartial(aggs, 10)
	for i := range 3000 {
		u := "u" + strconv.Itoa(i)
		if err := p.Add([]string{"dense"}, []string{"", u}); err != nil {
			t.Fatal(err)
		}
		if i%500 == 7 {
			if err := p.Add([]string{"sparse"}, []string{"", u}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := p.Add([]string{"only"}, []string{"", "ü-only"}); err != nil {
		t.Fatal(err)
	}
	var data bytes.Buffer
	if err := p.WriteBinary(&data, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data.Bytes(), []byte{5, 'd', 'e', 'n', 's', 'e'}) {
		t.Fatal("no dense group in the wire form")
	}
	merge := func(raw []byte, into *Partial) error {
		r := bufio.NewReader(bytes.NewReader(raw))
		if _, err := ReadPartialMeta(r); err != nil {
			return err
		}
		return into.MergeBinary(r)
	}
	// Into a partial that already holds other values, so that ids differ.
	viaWire, inMemory := NewPartial(aggs, 10), NewPartial(aggs, 10)
	for _, q := range []*Partial{viaWire, inMemory} {
		for _, u := range []string{"zz", "u7", "yy"} {
			if err := q.Add([]string{"sparse"}, []string{"", u}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := merge(data.Bytes(), viaWire); err != nil {
		t.Fatal(err)
	}
	if err := inMemory.Merge(p); err != nil {
		t.Fatal(err)
	}
	var a, b strings.Builder
	_ = viaWire.WriteCSV(&a, []string{"g"})
	_ = inMemory.WriteCSV(&b, []string{"g"})
	if a.String() != b.String() || !strings.Contains(a.String(), "dense,3000,3000") || !strings.Contains(a.String(), "sparse,9,8") {
		t.Fatalf("through the wire:\n%s\nin memory:\n%s", a.String(), b.String())
	}
	var again bytes.Buffer
	fresh := NewPartial(aggs, 10)
	if err := merge(data.Bytes(), fresh); err != nil {
		t.Fatal(err)
	}
	if err := fresh.WriteBinary(&again, nil); err != nil || !bytes.Equal(again.Bytes(), data.Bytes()) {
		t.Fatalf("round trip changed the bytes (%v)", err)
	}

	// The "only" group's one id is the last value's: 3000, listed.
	i := bytes.Index(data.Bytes(), []byte("\x04only"))
	if i < 0 {
		t.Fatal("no group only")
	}
	// key, count, the count aggregate (n, has, d), the distinct one (n, has)
	ids := i + 5 + 1 + 3 + 2
	for name, mutate := range map[string]func([]byte){
		"id past the values": func(b []byte) { b[ids+2], b[ids+3] = 0xff, 0x7f },
		"unknown form":       func(b []byte) { b[ids+1] = 7 },
	} {
		raw := slices.Clone(data.Bytes())
		if raw[ids] != 1 || raw[ids+1] != idsListed {
			t.Fatalf("layout: % x", raw[i:i+16])
		}
		mutate(raw)
		if err := merge(raw, NewPartial(aggs, 10)); !errors.Is(err, ErrBadPartial) {
			t.Errorf("%s: err = %v, want ErrBadPartial", name, err)
		}
	}
	old := append([]byte("SWRPART1"), data.Bytes()[len(wireMagic):]...)
	if err := merge(old, NewPartial(aggs, 10)); !errors.Is(err, ErrBadPartial) || !strings.Contains(err.Error(), "run the report again") {
		t.Errorf("a partial of the old version: err = %v", err)
	}
}
