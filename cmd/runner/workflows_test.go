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
	"github.com/stepwise-dev/stepwise/statemachine/workflow"
)

// TestBuiltinWorkflows: the files built into the runner are laid out as
// in the repository and are the repository's files: steps.json and every
// statemachine/*.json workflow file, not only export's.
func TestBuiltinWorkflows(t *testing.T) {
	repo := filepath.Join("..", "..")
	files, err := filepath.Glob(filepath.Join(repo, "statemachine", "*.json"))
	if err != nil || len(files) < 3 {
		t.Fatalf("statemachine/*.json in the repository: %v %v", files, err)
	}
	names := []string{stack.StepsFile}
	for _, f := range files {
		names = append(names, "statemachine/"+filepath.Base(f))
	}
	if err := fstest.TestFS(builtinWorkflows, names...); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
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
	if _, err := workflow.Load(builtinWorkflows); err != nil {
		t.Errorf("the built-in workflow files do not load:\n%v", err)
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
