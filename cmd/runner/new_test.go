package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestInsertStep(t *testing.T) {
	for _, tc := range []struct {
		name, in, want, err string
	}{
		{
			name: "aligned like the entry before",
			in: `{
  "comment": "c {\"steps\": 1}",
  "steps": {
    "plan":   {"arn_placeholder": "PlanFunctionArn"},
    "merge":  {"arn_placeholder": "MergeFunctionArn"}
  },
  "runtime": "provided.al2023"
}
`,
			want: `{
  "comment": "c {\"steps\": 1}",
  "steps": {
    "plan":   {"arn_placeholder": "PlanFunctionArn"},
    "merge":  {"arn_placeholder": "MergeFunctionArn"},
    "my-job": {"arn_placeholder": "MyJobFunctionArn", "memory_mb": 256, "timeout_seconds": 60, "description": "Scaffolded by runner new step my-job: say what it does."}
  },
  "runtime": "provided.al2023"
}
`,
		},
		{
			name: "key longer than the alignment",
			in:   "{\"steps\": {\n\t\"a\": {\"arn_placeholder\": \"AFunctionArn\"}\n}}",
			want: "{\"steps\": {\n\t\"a\": {\"arn_placeholder\": \"AFunctionArn\"},\n\t\"my-job\": {\"arn_placeholder\": \"MyJobFunctionArn\", \"memory_mb\": 256, \"timeout_seconds\": 60, \"description\": \"Scaffolded by runner new step my-job: say what it does.\"}\n}}",
		},
		{
			name: "empty steps",
			in:   `{"steps": {}}`,
			want: "{\"steps\": {\n    \"my-job\": {\"arn_placeholder\": \"MyJobFunctionArn\", \"memory_mb\": 256, \"timeout_seconds\": 60, \"description\": \"Scaffolded by runner new step my-job: say what it does.\"}}}",
		},
		{name: "listed already", in: `{"steps": {"my-job": {"arn_placeholder": "X"}}}`, err: `/steps/my-job: step "my-job" is listed already`},
		{name: "placeholder taken", in: `{"steps": {"other": {"arn_placeholder": "MyJobFunctionArn"}}}`, err: `/steps/other/arn_placeholder: MyJobFunctionArn is taken already by step "other"`},
		{name: "no steps", in: `{"nested": {"steps": {}}}`, err: `/steps: no steps object`},
		{name: "not JSON", in: `{"steps": `, err: `unexpected end of JSON input`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := insertStep([]byte(tc.in), "my-job", "MyJobFunctionArn")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

const testRegistry = `package steps

import (
	"context"

	"example.com/app/steps/plan"
	"example.com/app/steps/stepkit"
)

var registry = map[string]entry{
	"plan": step(plan.New),
	// runner new step: new steps go above this line.
}
`

func TestInsertRegistry(t *testing.T) {
	got, err := insertRegistry([]byte(testRegistry), "my-job", "myjob", "example.com/app/steps/my-job")
	if err != nil {
		t.Fatal(err)
	}
	want := `package steps

import (
	"context"

	"example.com/app/steps/my-job"
	"example.com/app/steps/plan"
	"example.com/app/steps/stepkit"
)

var registry = map[string]entry{
	"plan":   step(plan.New),
	"my-job": step(myjob.New),
	// runner new step: new steps go above this line.
}
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, tc := range []struct{ name, src, step, pkg, err string }{
		{"registered", testRegistry, "plan", "plan", "imports example.com/app/steps/plan already"},
		{"package clash", testRegistry, "context", "context", `step "context" would be package context, which the registry imports already as context`},
		{"no marker", strings.Replace(testRegistry, registryMarker, "// the end", 1), "x", "x", "no marker line"},
		{"not Go", "package", "x", "x", "expected 'IDENT'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := insertRegistry([]byte(tc.src), tc.step, tc.pkg, "example.com/app/steps/"+tc.step)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
		})
	}
}

func TestCamelAndPackage(t *testing.T) {
	for in, want := range map[string][2]string{"demo": {"Demo", "demo"}, "my-step-2": {"MyStep2", "mystep2"}, "a--b": {"AB", "ab"}} {
		if c, p := camel(in), goPackage(in); c != want[0] || p != want[1] {
			t.Errorf("%s: camel %s, package %s; want %v", in, c, p, want)
		}
	}
}

// TestNewWorkflowEndToEnd is issue 13's check for the scaffold: in a copy
// of the checkout, runner new workflow demo, runner new step demo, runner
// validate, go test ./steps/demo/..., then runner start demo --wait on the
// local stack of a runner built from the copy (whose registry has the new
// step) succeeds. Slow (it builds a runner): skipped with -short.
func TestNewWorkflowEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a copy of the checkout; skipped with -short")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH: cannot build the copy")
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	goEnv := map[string]string{}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOROOT"} {
		out, err := exec.Command("go", "env", k).Output()
		if err != nil {
			t.Fatal(err)
		}
		goEnv[k] = strings.TrimSpace(string(out))
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/newscript",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("STEPWISE_DATA_DIR", env.WorkDir+"/.stepwise")
			env.Setenv("STEPWISE_REPO", "")
			env.Setenv("AWS_CA_BUNDLE", "")
			env.Setenv("REPO", repo)
			for k, v := range goEnv {
				env.Setenv(k, v)
			}
			env.Setenv("GOPROXY", "off")
			env.Setenv("GOTOOLCHAIN", "local")
			env.Setenv("GOFLAGS", "-mod=mod")
			return nil
		},
		Cmds: scriptCmds,
	})
}

func init() {
	// copycheckout DIR: a copy of the checkout in DIR, as a user's clone:
	// statemachine/, steps/, cmd/, go.mod and go.sum copied (runner new
	// edits them or adds to them), every other top-level entry linked.
	scriptCmds["copycheckout"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: copycheckout DIR")
		}
		repo, dst := ts.Getenv("REPO"), ts.MkAbs(args[0])
		ts.Check(os.MkdirAll(dst, 0o755))
		ents, err := os.ReadDir(repo)
		ts.Check(err)
		for _, e := range ents {
			src := filepath.Join(repo, e.Name())
			switch e.Name() {
			case ".stepwise", ".git", "bootstrap", "runner", "dist":
			case "statemachine", "steps", "cmd", "go.mod", "go.sum":
				ts.Check(copyEntry(src, filepath.Join(dst, e.Name())))
			default:
				ts.Check(os.Symlink(src, filepath.Join(dst, e.Name())))
			}
		}
	}
}

func TestInsertActivity(t *testing.T) {
	const entry = `{"arn_placeholder": "EncodeVideoActivityArn", "description": "Scaffolded by runner new activity encode-video: say what it does."}`
	for _, tc := range []struct {
		name, in, want, err string
	}{
		{
			name: "a new activities object after the last member",
			in:   "{\n  \"steps\": {\n    \"plan\": {\"arn_placeholder\": \"PlanFunctionArn\"}\n  }\n}\n",
			want: "{\n  \"steps\": {\n    \"plan\": {\"arn_placeholder\": \"PlanFunctionArn\"}\n  },\n  \"activities\": {\n    \"encode-video\": " + entry + "\n  }\n}\n",
		},
		{
			name: "added to the activities there",
			in:   "{\"steps\": {},\n \"activities\": {\n   \"a\":            {\"arn_placeholder\": \"AActivityArn\"}\n }}",
			want: "{\"steps\": {},\n \"activities\": {\n   \"a\":            {\"arn_placeholder\": \"AActivityArn\"},\n   \"encode-video\": " + entry + "\n }}",
		},
		{name: "listed already", in: `{"steps": {}, "activities": {"encode-video": {"arn_placeholder": "X"}}}`, err: `/activities/encode-video: activity "encode-video" is listed already`},
		{name: "a step of that name", in: `{"steps": {"encode-video": {"arn_placeholder": "X"}}}`, err: `/steps/encode-video: "encode-video" is a Lambda step already`},
		{name: "placeholder taken", in: `{"steps": {"x": {"arn_placeholder": "EncodeVideoActivityArn"}}}`, err: `/steps/x/arn_placeholder: EncodeVideoActivityArn is taken already by step "x"`},
		{name: "not JSON", in: `{"steps": `, err: `unexpected end of JSON input`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := insertActivity([]byte(tc.in), "encode-video", "EncodeVideoActivityArn")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			if !json.Valid(got) {
				t.Errorf("not JSON:\n%s", got)
			}
		})
	}
}
