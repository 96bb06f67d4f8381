package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmeExcluded lists the README sections whose commands this test does
// not run, and why. Everything else in a fenced sh block runs.
var readmeExcluded = map[string]string{
	"Deploy to AWS": "needs AWS credentials and Terraform deployment",
}

// readmeSkipped lists single commands not run, and why.
var readmeSkipped = map[string]string{
	"go test ./...": "the test suite itself (this test is part of it)",
}

// readmeBlock is one fenced sh block: its section and its logical lines
// (continuations joined).
type readmeBlock struct {
	section string
	lines   []string
}

func readmeBlocks(t *testing.T, path string) []readmeBlock {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []readmeBlock
	var cur *readmeBlock
	section, pending := "", ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "## "):
			section = strings.TrimPrefix(line, "## ")
		case cur == nil && line == "```sh":
			cur = &readmeBlock{section: section}
		case cur != nil && line == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			if strings.HasSuffix(line, `\`) {
				pending += strings.TrimSuffix(line, `\`)
				continue
			}
			if l := strings.TrimSpace(pending + line); l != "" {
				cur.lines = append(cur.lines, l)
			}
			pending = ""
		}
	}
	return blocks
}

// TestREADMECommands runs the commands of README.md's fenced sh blocks, as
// written, on a clean machine: a fresh copy of the checkout (the
// repository's files linked, no .stepwise), an empty HOME, no AWS_*
// variables, `go run ./cmd/runner` replaced by a runner built once. Each
// block runs in one shell (exports and background jobs carry over, as in
// a terminal); a command that fails while a background job runs is tried
// again for up to a minute (a person would wait for the export to be
// planned). aws commands are skipped, loudly, without the aws CLI.
func TestREADMECommands(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the README's commands (exports, a go build); skipped with -short")
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	ents, err := os.ReadDir(repo)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		switch e.Name() {
		case ".stepwise", ".git", "bootstrap", "runner", "dist":
			continue
		}
		if strings.HasPrefix(e.Name(), "export.") {
			continue
		}
		switch e.Name() {
		case "statemachine", "steps", "go.mod", "go.sum":
			// Copied, not linked: `runner new` in the README adds files
			// to them, which must not land in the checkout under test.
			if err := copyEntry(filepath.Join(repo, e.Name()), filepath.Join(work, e.Name())); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.Symlink(filepath.Join(repo, e.Name()), filepath.Join(work, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	runner := filepath.Join(t.TempDir(), "runner")
	if out, err := exec.Command("go", "build", "-o", runner, ".").CombinedOutput(); err != nil {
		t.Fatalf("build runner: %v\n%s", err, out)
	}
	_, awsErr := exec.LookPath("aws")

	// A clean machine: nothing of ours but PATH and Go's caches (so that
	// the go build in the README stays offline).
	env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "GOPROXY=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly"}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOROOT"} {
		out, err := exec.Command("go", "env", k).Output()
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, k+"="+strings.TrimSpace(string(out)))
	}

	ran := 0
	for i, b := range readmeBlocks(t, filepath.Join(repo, "README.md")) {
		if why, ok := readmeExcluded[b.section]; ok {
			t.Logf("section %q: not run: %s", b.section, why)
			continue
		}
		var script strings.Builder
		// Retry a failing command while background jobs run; then fail.
		script.WriteString(`set -u
try() { for i in $(seq 600); do eval "$1" && return 0; [ -z "$(jobs -pr)" ] && break; sleep 0.1; done; echo "README command failed: $1" >&2; exit 1; }
`)
		for _, l := range b.lines {
			if why, ok := readmeSkipped[l]; ok {
				t.Logf("%q: not run: %s", l, why)
				continue
			}
			cmd := strings.ReplaceAll(l, "go run ./cmd/runner", runner)
			if strings.HasPrefix(cmd, "aws ") && awsErr != nil {
				t.Logf("aws CLI not found: %q skipped", l)
				continue
			}
			if strings.HasSuffix(strings.TrimSpace(stripComment(cmd)), "&") || strings.HasPrefix(cmd, "export ") || strings.HasPrefix(cmd, "kill ") {
				script.WriteString(cmd + "\n")
			} else {
				script.WriteString("try " + shellQuote(cmd) + "\n")
			}
			ran++
		}
		// Leave no background job behind.
		script.WriteString("for j in $(jobs -p); do kill $j; done; wait\n")
		// A hang guard: a command that never returns (a server in the
		// foreground) fails the block instead of the whole test run.
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		c := exec.CommandContext(ctx, "bash", "-c", script.String())
		c.Dir, c.Env, c.WaitDelay = work, env, 5*time.Second
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
		out, err := c.CombinedOutput()
		cancel()
		t.Logf("block %d (%s):\n%s", i+1, b.section, out)
		if err != nil {
			t.Errorf("README block %d in %q failed: %v", i+1, b.section, err)
		}
	}
	if awsErr != nil {
		t.Skip("aws CLI not found: the README's aws commands were skipped")
	}
	if ran < 5 {
		t.Errorf("ran %d README commands: did the README change shape?", ran)
	}
}

func stripComment(cmd string) string {
	if i := strings.Index(cmd, " #"); i >= 0 {
		return cmd[:i]
	}
	return cmd
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// copyEntry copies a file or a directory tree.
func copyEntry(src, dst string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return os.CopyFS(dst, os.DirFS(src))
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, fi.Mode().Perm())
}
