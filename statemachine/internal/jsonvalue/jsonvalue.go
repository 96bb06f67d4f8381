// Package jsonvalue holds the helpers over decoded JSON values (any holding
// nil, bool, float64 or json.Number, string, []any, map[string]any) that
// the expression packages share: reading a number, equality, hashing and
// random UUIDs.
//
// It is not the place for equalities that differ from [Equal] on purpose:
// JSONPath filters (Jayway) also match a number with a numeric string, and
// JSONata compares its own value forms (ordered objects, sequences); each
// keeps its rule in its own package.
package jsonvalue

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"hash"
	"io"
	"sort"
)

// Number returns the value of a JSON number in any of the forms callers
// decode them to (float64, json.Number, int, int64); ok is false for
// anything else.
func Number(v any) (f float64, ok bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// Equal reports whether two JSON values are equal as the States.*
// intrinsics compare them: numbers by value (1 and 1.0, 0 and -0 alike,
// whatever form [Number] accepts), arrays item by item, objects member by
// member regardless of order. Values of other Go types are never equal.
func Equal(a, b any) bool {
	if fa, ok := Number(a); ok {
		fb, ok := Number(b)
		return ok && fa == fb
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !Equal(v, w) {
				return false
			}
		}
		return true
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
	return false
}

// SortedKeys returns the member names of an object in byte order, the
// order in which output that must not depend on map iteration visits them.
func SortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Hash returns the lower-case hex digest of s with the named algorithm
// (exactly "MD5", "SHA-1", "SHA-256", "SHA-384" or "SHA-512", as Step
// Functions spells them); ok is false for any other name.
func Hash(alg, s string) (digest string, ok bool) {
	var h hash.Hash
	switch alg {
	case "MD5":
		h = md5.New()
	case "SHA-1":
		h = sha1.New()
	case "SHA-256":
		h = sha256.New()
	case "SHA-384":
		h = sha512.New384()
	case "SHA-512":
		h = sha512.New()
	default:
		return "", false
	}
	_, _ = io.WriteString(h, s)
	return hex.EncodeToString(h.Sum(nil)), true
}

// UUID returns a random version 4 UUID in its canonical lower-case form,
// e.g. "9b2f0c1e-6d1a-4c3b-8f4e-2a7d5e6f8091".
func UUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails: crypto/rand aborts the program instead
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
