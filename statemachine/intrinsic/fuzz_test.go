package intrinsic

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine/jsonpath"
)

// corpusCalls collects intrinsic calls from the conformance corpus to seed
// the fuzzer.
func corpusCalls(tb testing.TB) []string {
	files, _ := filepath.Glob(filepath.Join(corpusDir(tb), "cases", "*", "*.json"))
	re := regexp.MustCompile(`"(States\.[^"\\]*(?:\\.[^"\\]*)*)"`)
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

func FuzzParse(f *testing.F) {
	for _, s := range corpusCalls(f) {
		f.Add(s)
	}
	f.Add(`States.Format('a\{\}\'\\ {}', $.x)`)
	f.Add(`States.ArrayRange(1, 1000, 1)`)
	docs := jsonpath.Docs{
		Input:     map[string]any{"x": "s", "a": []any{1.0, 2.0}, "n": 3.0, "o": map[string]any{"k": true}},
		Context:   map[string]any{"Execution": map[string]any{"Name": "e"}},
		Variables: map[string]any{"v": 1.0},
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var ie *Error
			if !errors.As(err, &ie) || !ie.Syntax() || ie.Offset < 0 || ie.Offset > len(s) {
				t.Fatalf("Parse(%q) = %v: want a syntax *Error with an offset inside the expression", s, err)
			}
			return
		}
		if _, err := e.Eval(docs, nil); err != nil {
			var ie *Error
			if !errors.As(err, &ie) || ie.Syntax() {
				t.Fatalf("Eval(%q) = %v: want an evaluation *Error", s, err)
			}
		}
	})
}
