package jsonvalue

import (
	"encoding/json"
	"math"
	"regexp"
	"testing"
)

func TestNumber(t *testing.T) {
	for _, tt := range []struct {
		in   any
		want float64
		ok   bool
	}{
		{1.5, 1.5, true},
		{json.Number("2e3"), 2000, true},
		{json.Number("x"), 0, false},
		{7, 7, true},
		{int64(-3), -3, true},
		{"1", 0, false},
		{nil, 0, false},
		{true, 0, false},
	} {
		got, ok := Number(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Number(%#v) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestEqual(t *testing.T) {
	negZero := math.Copysign(0, -1)
	for _, tt := range []struct {
		a, b any
		want bool
	}{
		{1.0, json.Number("1.0"), true},
		{0.0, negZero, true},
		{1.0, "1", false}, // unlike JSONPath filters
		{"a", "a", true},
		{"a", "b", false},
		{true, true, true},
		{true, false, false},
		{nil, nil, true},
		{nil, false, false},
		{[]any{1.0, "x"}, []any{json.Number("1"), "x"}, true},
		{[]any{1.0}, []any{1.0, 2.0}, false},
		{map[string]any{"a": 1.0, "b": []any{}}, map[string]any{"b": []any{}, "a": 1.0}, true},
		{map[string]any{"a": 1.0}, map[string]any{"b": 1.0}, false},
		{map[string]any{"a": 1.0}, []any{1.0}, false},
		{struct{}{}, struct{}{}, false},
	} {
		if got := Equal(tt.a, tt.b); got != tt.want {
			t.Errorf("Equal(%#v, %#v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := Equal(tt.b, tt.a); got != tt.want {
			t.Errorf("Equal(%#v, %#v) = %v, want %v (symmetry)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestHash(t *testing.T) {
	for alg, want := range map[string]string{
		"MD5":     "900150983cd24fb0d6963f7d28e17f72",
		"SHA-1":   "a9993e364706816aba3e25717850c26c9cd0d89d",
		"SHA-256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"SHA-384": "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
		"SHA-512": "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	} {
		got, ok := Hash(alg, "abc")
		if !ok || got != want {
			t.Errorf("Hash(%s, abc) = %q, %v; want %q", alg, got, ok, want)
		}
	}
	for _, alg := range []string{"sha-256", "SHA256", "CRC32", ""} {
		if got, ok := Hash(alg, "abc"); ok {
			t.Errorf("Hash(%q) = %q, want not ok", alg, got)
		}
	}
}

func TestUUID(t *testing.T) {
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		u := UUID()
		if !v4.MatchString(u) {
			t.Fatalf("UUID() = %q, not a canonical version 4 UUID", u)
		}
		if seen[u] {
			t.Fatalf("UUID() repeated %q", u)
		}
		seen[u] = true
	}
}

func TestSortedKeys(t *testing.T) {
	got := SortedKeys(map[string]any{"b": 1, "a": 2, "B": 3, "": 4})
	want := []string{"", "B", "a", "b"}
	if len(got) != len(want) {
		t.Fatalf("SortedKeys = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("SortedKeys = %q, want %q", got, want)
		}
	}
}
