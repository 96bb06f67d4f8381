package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// runnerBinary builds the runner once per test process, as users run it.
func runnerBinary(b testing.TB) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "runner-bench-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "runner")
		out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			b.Logf("%s", out)
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return builtBin
}

// BenchmarkHelpStartup measures `runner --help` wall time: process start,
// package initialisation of everything the runner links, and printing. The
// goal is under 50 ms. BenchmarkProcessBaseline is the cost of starting a
// trivial process in the same run; bench/runner-help.sh prints the ratio.
func BenchmarkHelpStartup(b *testing.B) {
	bin := runnerBinary(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out, err := exec.Command(bin, "--help").CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
}

func BenchmarkProcessBaseline(b *testing.B) {
	truePath, err := exec.LookPath("true")
	if err != nil {
		b.Skip("SKIPPED: no `true` binary for the baseline")
	}
	for i := 0; i < b.N; i++ {
		if err := exec.Command(truePath).Run(); err != nil {
			b.Fatal(err)
		}
	}
}
