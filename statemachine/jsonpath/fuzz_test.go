package jsonpath

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
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
		_ = p.Canonical()
		if _, err := p.Get(doc); err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(%q) = %v: evaluation errors must match ErrNotFound", s, err)
		}
		if p.Reference() {
			if _, err := p.Set(doc, 1.0); err != nil && !errors.Is(err, ErrSet) {
				t.Fatalf("Set(%q) = %v: want nil or ErrSet", s, err)
			}
		}
	})
}
