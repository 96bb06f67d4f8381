package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stepwise-dev/stepwise/local/stack"
)

// TestBuiltinWorkflows: the files built into the runner are laid out as
// in the repository and are the repository's files.
func TestBuiltinWorkflows(t *testing.T) {
	if err := fstest.TestFS(builtinWorkflows, stack.StepsFile, stack.DefinitionFile, stack.TriggerFile, stack.TriggerInput); err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join("..", "..")
	for _, name := range []string{stack.StepsFile, stack.DefinitionFile, stack.TriggerFile, stack.TriggerInput} {
		got, err := fs.ReadFile(builtinWorkflows, name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(repo, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("built-in %s differs from the repository's", name)
		}
	}
	asl, err := fs.Glob(builtinWorkflows, "statemachine/*.asl.json")
	if err != nil || len(asl) == 0 {
		t.Fatalf("no built-in statemachine/*.asl.json: %v %v", asl, err)
	}
}

// TestBuiltRunnerWorksOutsideTheCheckout builds the runner binary and runs
// an export with it from a directory outside any checkout, with no
// STEPWISE_REPO (issue 10: "...none contains /tmp...").
func TestBuiltRunnerWorksOutsideTheCheckout(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: builds the runner and runs the local stack")
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "runner")
	build := exec.Command("go", "build", "-o", bin, "./cmd/runner")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/runner: %v\n%s", err, out)
	}
	dir := t.TempDir()
	if isCheckout(dir) || strings.HasPrefix(dir, repo+string(filepath.Separator)) {
		t.Fatalf("temporary directory %s is inside the checkout", dir)
	}
	if err := os.WriteFile(filepath.Join(dir, "orders.csv"), []byte("order_id,customer,country,total,created_at\n1,Ana,DE,120.5,2026-01-01T00:00:00Z\n2,Bo,SE,50,2026-01-02T00:00:00Z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(context.Background(), bin, "export", "orders.csv", "--where", "total > 100", "--yes", "--out", "out.csv")
	cmd.Dir = dir
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STEPWISE_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("runner export from %s: %v\n%s", dir, err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "out.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "order_id,customer,country,total,created_at\n1,Ana,DE,120.5,2026-01-01T00:00:00Z\n"; string(got) != want {
		t.Errorf("out.csv = %q, want %q", got, want)
	}
}
