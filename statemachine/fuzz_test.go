package statemachine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParse feeds definitions to Parse (validation and compilation). It is
// seeded with every definition of the conformance corpus when present:
//
//	go test -run '^$' -fuzz FuzzParse -fuzztime 60s ./statemachine/
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`))
	f.Add([]byte(`{"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}}}`))
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "conformance", "cases", "*", "*.json"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		var c struct {
			Definition json.RawMessage `json:"definition"`
		}
		// Huge definitions (the 257 KiB payload case) make each execution
		// slow and minimisation endless; the small ones cover the grammar.
		if json.Unmarshal(data, &c) == nil && len(c.Definition) > 0 && len(c.Definition) < 16<<10 {
			f.Add([]byte(c.Definition))
		}
	}
	f.Fuzz(func(t *testing.T, def []byte) {
		type result struct {
			m   *Machine
			err error
		}
		done := make(chan result, 1)
		go func() {
			m, err := Parse(def)
			done <- result{m, err}
		}()
		var res result
		select {
		case res = <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("Parse did not return within 5s for %q", def)
		}
		m, err := res.m, res.err
		if err != nil {
			if _, ok := err.(*APIError); !ok {
				t.Fatalf("error is %T, want *APIError: %v", err, err)
			}
			return
		}
		for _, name := range m.States() {
			if _, ok := m.State(name); !ok {
				t.Fatalf("State(%q) missing", name)
			}
		}
	})
}
