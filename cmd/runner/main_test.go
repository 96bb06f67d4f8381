package main

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run the real runner main as the "runner"
// command: scripts exercise the same code path as the built binary.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"runner": func() {
			os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs the CLI scripts that need nothing but the runner.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("STEPWISE_DATA_DIR", env.WorkDir+"/.stepwise")
			return nil
		},
	})
}
