package report

import (
	"bufio"
	"bytes"
	"errors"
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
