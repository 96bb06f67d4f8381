package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun measures a two-state workload briefly and checks the table row,
// and that a wrong expected output is reported rather than measured.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("two.asl.json", `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x":1},"Next":"B"},"B":{"Type":"Pass","End":true}}}`)
	write("two.input.json", `{}`)
	write("two.expected.json", `{"x": 1}`)
	write("bad.asl.json", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`)
	write("bad.input.json", `{"y": 2}`)
	write("bad.expected.json", `{"y": 3}`)

	var out strings.Builder
	if err := run(context.Background(), []string{"-dir", dir, "-time", "5ms"}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header and two rows, got:\n%s", out.String())
	}
	var two, bad string
	for _, l := range lines[1:] {
		switch f := strings.Fields(l); f[0] {
		case "two":
			two = l
		case "bad":
			bad = l
		}
	}
	if f := strings.Fields(two); len(f) != 6 || f[1] != "2" {
		t.Errorf("two: want 2 transitions and 6 columns, got %q", two)
	}
	if !strings.Contains(bad, "output differs from bad.expected.json") {
		t.Errorf("bad: want the output mismatch reported, got %q", bad)
	}
	if err := run(context.Background(), []string{"-dir", t.TempDir()}, &out); err == nil {
		t.Error("an empty workload directory must be an error")
	}
}
