package jsonata

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/internal/testenv"
)

// FuzzCompile feeds arbitrary text to the parser (and evaluates what
// parses, with a depth guard). It must never panic. Seeds are the suite's
// expressions. Run: go test -fuzz FuzzCompile -fuzztime 60s ./statemachine/jsonata/
func FuzzCompile(f *testing.F) {
	path := testenv.Shared("jsonata", "cases-v2.0.6.jsonl")
	if data, err := os.ReadFile(path); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			var c struct {
				Expr string `json:"expr"`
			}
			if json.Unmarshal([]byte(line), &c) == nil && c.Expr != "" {
				f.Add(c.Expr)
			}
		}
	}
	f.Add(`$states.input.a.b[0]`)
	f.Add(`function($x)<n:n>{$x+1}(2)`)
	input := map[string]any{"a": map[string]any{"b": []any{1.0, "x", nil, true}}}
	f.Fuzz(func(t *testing.T, expr string) {
		// The budget bounds what an expression may allocate or loop, so
		// large ranges and paddings are fuzzed too.
		e, err := Compile(expr, StepFunctions(), WithLimits(200, 2*time.Second),
			WithBudget(Budget{MaxSteps: 1e6, MaxValueBytes: 1 << 20}))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Compile(%q) returned %T, want *Error", expr, err)
			}
			return
		}
		_, _ = e.eval(context.Background(), input, nil) // no recover: panics are bugs
	})
}
