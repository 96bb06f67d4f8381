package main

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run the real runner main as the "runner"
// command: scripts exercise the same code path as the built binary.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"runner": func() { os.Exit(mainCode()) },
	})
}

// TestScripts runs the CLI scripts that need nothing but the runner.
func TestScripts(t *testing.T) {
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("STEPWISE_DATA_DIR", env.WorkDir+"/.stepwise")
			env.Setenv("STEPWISE_REPO", repo)
			env.Setenv("AWS_CA_BUNDLE", "")
			return nil
		},
		Cmds: scriptCmds,
	})
}

// scriptCmds are the scripts' own commands.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	// waitapproval NAME: wait (up to a minute) until execution NAME has a
	// pending approval record, using the runner itself.
	"waitapproval": func(ts *testscript.TestScript, neg bool, args []string) {
		for i := 0; i < 600; i++ {
			var out strings.Builder
			// This runs in the test process, not the script's: pass the
			// script's data directory explicitly.
			code := run(context.Background(), []string{"approvals", "--output", "json", "--data-dir", ts.Getenv("STEPWISE_DATA_DIR")}, strings.NewReader(""), &out, io.Discard)
			if code == 0 && strings.Contains(out.String(), `"execution": "`+args[0]+`"`) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		ts.Fatalf("no pending approval for %s appeared", args[0])
	},
	// waitmatch FILE REGEXP: wait (up to a minute) until FILE matches
	// REGEXP; for the output of a background command, which testscript
	// shows only after `wait`.
	"waitmatch": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: waitmatch FILE REGEXP")
		}
		re, err := regexp.Compile(args[1])
		ts.Check(err)
		for i := 0; i < 600; i++ {
			if b, err := os.ReadFile(ts.MkAbs(args[0])); err == nil && re.Match(b) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		ts.Fatalf("%s did not match %q", args[0], args[1])
	},
	// waitfile FILE: wait (up to a minute) until FILE exists.
	"waitfile": func(ts *testscript.TestScript, neg bool, args []string) {
		for i := 0; i < 600; i++ {
			if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		ts.Fatalf("%s did not appear", args[0])
	},
	// filetype FILE regular|symlink|fifo|device|dir: FILE (not followed
	// if a link) is of that type.
	"filetype": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: filetype FILE TYPE")
		}
		fi, err := os.Lstat(ts.MkAbs(args[0]))
		ts.Check(err)
		m := fi.Mode()
		got := "other"
		switch {
		case m.IsRegular():
			got = "regular"
		case m&fs.ModeSymlink != 0:
			got = "symlink"
		case m&fs.ModeNamedPipe != 0:
			got = "fifo"
		case m&fs.ModeDevice != 0:
			got = "device"
		case m.IsDir():
			got = "dir"
		}
		if (got == args[1]) == neg {
			ts.Fatalf("%s is a %s file (%v)", args[0], got, m)
		}
	},
}
