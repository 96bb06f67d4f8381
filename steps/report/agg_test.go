package report

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var testAggs = []Aggregate{{Op: "count"}, {Op: "sum", Column: "x"}, {Op: "min", Column: "x"}, {Op: "max", Column: "x"}, {Op: "avg", Column: "x"}, {Op: "count_distinct", Column: "y"}, {Op: "count", Column: "x"}}

func rows(p *Partial, t *testing.T, rs [][3]string) {
	for _, r := range rs {
		if err := p.Add([]string{r[0]}, []string{"", r[1], r[1], r[1], r[1], r[2], r[1]}); err != nil {
			t.Fatal(err)
		}
	}
}

func values(g *Group) []string {
	var out []string
	for i := range testAggs {
		out = append(out, g.Value(testAggs, i))
	}
	return out
}

func TestPartialMergeEqualsOnePass(t *testing.T) {
	data := [][3]string{{"Zürich", "1.5", "a"}, {"東京", "-2", "b"}, {"Zürich", "", "a"}, {"Zürich", "0.25", "c"}, {"東京", "7", ""}, {"", "3", "a"}}
	one := NewPartial(testAggs, 10)
	rows(one, t, data)
	a, b := NewPartial(testAggs, 10), NewPartial(testAggs, 10)
	rows(a, t, data[:3])
	rows(b, t, data[3:])
	merged := NewPartial(testAggs, 10)
	if err := merged.Merge(a); err != nil {
		t.Fatal(err)
	}
	if err := merged.Merge(b); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"Zürich": {"3", "1.75", "0.25", "1.5", "0.875000", "2", "2"},
		"東京":     {"2", "5", "-2", "7", "2.5000", "1", "2"},
		"":       {"1", "3", "3", "3", "3.0000", "1", "1"},
	}
	for name, p := range map[string]*Partial{"one pass": one, "merged": merged} {
		if len(p.Groups) != 3 {
			t.Fatalf("%s: %d groups, want 3", name, len(p.Groups))
		}
		for _, g := range p.Groups {
			got, w := values(g), want[g.Keys[0]]
			for i := range w {
				if got[i] != w[i] {
					t.Errorf("%s: group %q agg %d = %q, want %q", name, g.Keys[0], i, got[i], w[i])
				}
			}
		}
	}
}

func TestMaxGroups(t *testing.T) {
	p := NewPartial(testAggs, 2)
	rows(p, t, [][3]string{{"a", "1", ""}, {"b", "1", ""}})
	err := p.Add([]string{"c"}, make([]string, len(testAggs)))
	if !errors.Is(err, ErrTooManyGroups) {
		t.Fatalf("third group: err = %v, want ErrTooManyGroups", err)
	}
}

func TestGroupKeysDoNotCollide(t *testing.T) {
	if groupKey([]string{"a:", "b"}) == groupKey([]string{"a", ":b"}) {
		t.Fatal("keys collide")
	}
	// Keys alike in length and in the bytes the group cache hashes
	// (first, middle, last) are still different groups, row after row.
	p := NewPartial([]Aggregate{{Op: "count"}}, 10)
	for range 3 {
		for _, k := range [][]byte{[]byte("aXcYa"), []byte("aYcXa"), []byte("aXcYa")} {
			if err := addRow(p, [][]byte{k, []byte("z")}, [][]byte{nil}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(p.Groups) != 2 {
		t.Fatalf("%d groups, want 2", len(p.Groups))
	}
	for _, g := range p.Groups {
		if want := map[string]int64{"aXcYa": 6, "aYcXa": 3}[g.Keys[0]]; g.Count != want {
			t.Fatalf("group %q counts %d, want %d", g.Keys[0], g.Count, want)
		}
	}
}

func TestMaxDistinct(t *testing.T) {
	aggs := []Aggregate{{Op: "count_distinct", Column: "u"}}
	p := NewPartial(aggs, 10)
	p.MaxDistinct = 3
	for _, r := range [][2]string{{"a", "1"}, {"a", "1"}, {"b", "1"}, {"b", "2"}} {
		if err := p.Add([]string{r[0]}, []string{r[1]}); err != nil {
			t.Fatalf("%v: %v", r, err)
		}
	}
	if err := p.Add([]string{"a"}, []string{"3"}); !errors.Is(err, ErrTooManyDistinct) || !strings.Contains(err.Error(), "max_distinct=3") {
		t.Fatalf("fourth distinct value: err = %v, want ErrTooManyDistinct naming max_distinct=3", err)
	}
	q := NewPartial(aggs, 10)
	q.MaxDistinct = 3
	if err := q.Merge(p); err != nil {
		t.Fatal(err)
	}
	extra := NewPartial(aggs, 10)
	if err := extra.Add([]string{"c"}, []string{"9"}); err != nil {
		t.Fatal(err)
	}
	if err := q.Merge(extra); !errors.Is(err, ErrTooManyDistinct) {
		t.Fatalf("merge past the limit: err = %v", err)
	}
}

// TestStrSet checks the distinct-value set against a map through growth,
// with empty, colliding-prefix and non-ASCII values.
func TestStrSet(t *testing.T) {
	var s strSet
	want := map[string]bool{}
	for i := range 20000 {
		v := []byte(strings.Repeat("é", i%3) + strconv.Itoa(i%7919))
		switch i % 1000 {
		case 0:
			v = nil
		case 1, 2, 3: // values that differ only past 7 bytes or by a trailing NUL
			v = append([]byte("abcdefg"), strings.Repeat("\x00", i%1000)...)
		case 4, 5:
			v = append([]byte("ab"), strings.Repeat("\x00", i%1000-4)...)
		}
		if s.has(v) != want[string(v)] {
			t.Fatalf("has(%q) = %v after %d inserts", v, !want[string(v)], len(want))
		}
		if !want[string(v)] {
			s.add(v)
			want[string(v)] = true
		}
	}
	if s.Len() != len(want) {
		t.Fatalf("Len %d, want %d", s.Len(), len(want))
	}
	var order []string
	n := 0
	s.each(func(v string) {
		order = append(order, v)
		if !want[v] {
			t.Fatalf("each: %q not added", v)
		}
		n++
	})
	if n != len(want) {
		t.Fatalf("each visited %d, want %d", n, len(want))
	}
	if order[0] != "" || order[1] != "abcdefg\x00" {
		t.Fatalf("each is not in insertion order: %q", order[:2])
	}
}

// TestIDSet checks the set of a group's ids against a map through its
// two forms and the moves between them: ids dense enough for a bitset,
// then ids far apart (back to the hash form), then dense again, and the
// limit's refusal, which must leave the set as it was.
func TestIDSet(t *testing.T) {
	var s idSet
	want := map[uint32]bool{}
	limit := errors.New("limit")
	refuse := false
	ok := func() error {
		if refuse {
			return limit
		}
		return nil
	}
	add := func(id uint32) {
		t.Helper()
		added, err := s.add(id, ok)
		if err != nil {
			t.Fatalf("add(%d): %v", id, err)
		}
		if added == want[id] {
			t.Fatalf("add(%d) = %v with %d ids, was it there: %v", id, added, len(want), want[id])
		}
		want[id] = true
	}
	var sawBits, sawHashAfterBits bool
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 3 {
		for range 3000 { // dense: ids below 2,000, many repeated
			add(uint32(rng.IntN(2000)))
			sawBits = sawBits || s.bits != nil
		}
		for range 500 { // sparse: far apart
			add(uint32(rng.IntN(1 << 30)))
			sawHashAfterBits = sawHashAfterBits || (sawBits && s.bits == nil)
		}
		for id := range uint32(40000) { // dense again, in order
			if id%7 == uint32(round) {
				add(id)
			}
		}
	}
	if !sawBits || !sawHashAfterBits {
		t.Fatalf("the test did not visit both forms: bitset %v, hash after bitset %v", sawBits, sawHashAfterBits)
	}
	if s.Len() != len(want) {
		t.Fatalf("Len %d, want %d", s.Len(), len(want))
	}
	for id := range want {
		if !s.has(id) {
			t.Fatalf("has(%d) = false", id)
		}
	}
	for _, id := range []uint32{1<<30 + 5, 2000 + 40000, 1<<32 - 1} {
		if s.has(id) != want[id] {
			t.Fatalf("has(%d) = %v", id, !want[id])
		}
	}
	got := s.sorted()
	if len(got) != len(want) || !slices.IsSorted(got) {
		t.Fatalf("sorted: %d ids (want %d), in order: %v", len(got), len(want), slices.IsSorted(got))
	}
	refuse = true
	n := s.Len()
	for _, id := range []uint32{1<<31 + 7, 45000, 3} {
		added, err := s.add(id, ok)
		if want[id] {
			if added || err != nil {
				t.Fatalf("add(%d) of a present id under the limit: %v, %v", id, added, err)
			}
			continue
		}
		if added || err != limit || s.has(id) || s.Len() != n {
			t.Fatalf("add(%d) refused by the limit: added %v, err %v, has %v, Len %d (was %d)", id, added, err, s.has(id), s.Len(), n)
		}
	}
}
