package jsonpath

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// corpusPaths collects path strings from the conformance corpus to seed the
// fuzzer.
func corpusPaths(tb testing.TB) []string {
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "conformance", "cases", "*", "*.json"))
	re := regexp.MustCompile(`"(\$[^"\\]*(?:\\.[^"\\]*)*)"`)
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(raw, -1) {
			var s string
			if json.Unmarshal([]byte(`"`+string(m[1])+`"`), &s) == nil && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

func FuzzCompile(f *testing.F) {
	for _, s := range corpusPaths(f) {
		f.Add(s)
	}
	for _, s := range []string{`$`, `$$.Execution.Id`, `$v.a[0]`, `$..a[?(@.b > 1 && @.c =~ /x.*/i)]`, `$['a','b']`, `$.a[-1:]`, `$.a.length()`, `$[?(!(@.x in [1,'a']))]`} {
		f.Add(s)
	}
	doc := map[string]any{"a": []any{1.0, map[string]any{"b": 2.0, "c": "xy"}, "s"}, "b": map[string]any{"c": nil}}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Compile(s)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || !pe.Syntax() || pe.Offset < 0 || pe.Offset > len(s) {
				t.Fatalf("Compile(%q) = %v: want a syntax *Error with an offset inside the path", s, err)
			}
			return
		}
		if p.String() != s {
			t.Fatalf("String() = %q, want %q", p.String(), s)
		}
		got, err := p.Get(doc)
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(%q) = %v: evaluation errors must match ErrNotFound", s, err)
		}
		// Bounded evaluation agrees with Get on a small document.
		if got3, err3 := p.GetContext(context.Background(), doc); (err == nil) != (err3 == nil) || !reflect.DeepEqual(got, got3) {
			t.Fatalf("GetContext(%q) = %v, %v; Get = %v, %v", s, got3, err3, got, err)
		}
		// The canonical form names the same nodes (when it can be parsed
		// back: filters print as [?], and names may hold quotes).
		c := p.Canonical()
		if p.Root() == RootInput && !strings.Contains(c, "?") && plainNames(p.segs) {
			q, cerr := Compile(c)
			if cerr == nil {
				got2, err2 := q.Get(doc)
				if (err == nil) != (err2 == nil) || !reflect.DeepEqual(got, got2) {
					t.Fatalf("%q and its canonical form %q disagree: %v, %v vs %v, %v", s, c, got, err, got2, err2)
				}
			}
		}
		if p.Reference() {
			if _, err := p.Set(doc, 1.0); err != nil && !errors.Is(err, ErrSet) {
				t.Fatalf("Set(%q) = %v: want nil or ErrSet", s, err)
			}
		}
	})
}

// plainNames reports whether no name in segs holds a quote or a backslash
// (which the canonical form would print unescaped, as Jayway does).
func plainNames(segs []segment) bool {
	for _, s := range segs {
		if s.next != nil && !plainNames([]segment{*s.next}) {
			return false
		}
		for _, n := range s.names {
			if strings.ContainsAny(n, "'\\\"") {
				return false
			}
		}
	}
	return true
}
