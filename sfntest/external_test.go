package sfntest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The example module of TestFromAnotherModule: its own ASL, its own Go
// handler and a test using the harness. Nothing in it refers to files of
// this repository.
var exampleModule = map[string]string{
	"greet.asl.json": `{
  "StartAt": "Greet",
  "States": {
    "Greet": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "${GreetFunctionArn}", "Payload.$": "$"},
      "OutputPath": "$.Payload",
      "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 3600, "MaxAttempts": 3, "BackoffRate": 2}],
      "Next": "Rest"
    },
    "Rest": {"Type": "Wait", "Seconds": 604800, "End": true}
  }
}`,
	"greet.go": `// Package greet is a user's workflow step.
package greet

import (
	"context"
	"fmt"
)

// Busy is retried by the workflow.
type Busy struct{}

func (Busy) Error() string { return "busy" }

// Input is the step's event.
type Input struct{ Name string ` + "`json:\"name\"`" + ` }

// Handle is the step's Lambda handler.
func Handle(_ context.Context, in Input) (map[string]string, error) {
	if in.Name == "" {
		return nil, Busy{}
	}
	return map[string]string{"greeting": fmt.Sprintf("hello %s", in.Name)}, nil
}
`,
	"greet_test.go": `package greet

import (
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/sfntest"
)

func TestGreet(t *testing.T) {
	w, err := sfntest.Load("greet.asl.json", sfntest.Handler("greet", Handle))
	if err != nil {
		t.Fatal(err)
	}
	r := w.Test(t, ` + "`{\"name\":\"ada\"}`" + `)
	r.ExpectOutput(t, ` + "`{\"greeting\":\"hello ada\"}`" + `).ExpectPath(t, "Greet", "Rest")
	if r.Elapsed != 7*24*time.Hour {
		t.Fatalf("elapsed %v", r.Elapsed)
	}
	r = w.Test(t, ` + "`{}`" + `)
	r.ExpectFailed(t, "Busy")
	if r.Elapsed != 7*time.Hour {
		t.Fatalf("elapsed %v, want 1h+2h+4h of back-off", r.Elapsed)
	}
}
`,
}

// TestFromAnotherModule writes a module outside this repository (its own
// go.mod with a replace directive to this checkout), with its own ASL
// file and Go handler, and runs its tests with the harness. It needs the
// go tool and the module cache this checkout builds with (GOPROXY=off, no
// network); it is skipped with -short because it compiles a module.
func TestFromAnotherModule(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED with -short: TestFromAnotherModule builds a separate module with `go test` (slow); run without -short to check that the harness works from another module")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("SKIPPED: the go tool is not on PATH, so the example module cannot be built")
	}
	_, self, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(self))
	dir := t.TempDir()
	gomod := "module example.com/greet\n\ngo 1.26\n\nrequire github.com/stepwise-dev/stepwise v0.0.0\n\nreplace github.com/stepwise-dev/stepwise => " + root + "\n"
	files := map[string]string{"go.mod": gomod}
	for k, v := range exampleModule {
		files[k] = v
	}
	if sum, err := os.ReadFile(filepath.Join(root, "go.sum")); err == nil {
		files["go.sum"] = string(sum)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) string {
		cmd := exec.CommandContext(t.Context(), goTool, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s in the example module: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("mod", "tidy", "-e") // -e: test-only modules of dependencies are not in the cache
	out := run("test", "-count=1", "-v", ".")
	if !strings.Contains(out, "--- PASS: TestGreet") {
		t.Fatalf("the example module's test did not pass:\n%s", out)
	}
}
