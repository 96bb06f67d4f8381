package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/local/sfnapi"
	"github.com/stepwise-dev/stepwise/local/stack"
	"github.com/stepwise-dev/stepwise/statemachine/workflow"
)

// helloStep is a team's own step, as `runner new step` would scaffold it:
// its own package under steps/, registered in steps/steps.go.
const helloStep = `// Package hello is a team's own step, added in a test.
package hello

import (
	"context"
	"os"

	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// In is the step's input.
type In struct{ Name string ` + "`json:\"name\"`" + ` }

// Out is the step's output; PID shows which process ran it.
type Out struct {
	Greeting string ` + "`json:\"greeting\"`" + `
	PID      int    ` + "`json:\"pid\"`" + `
}

// New returns the handler.
func New(env *stepkit.Env) func(context.Context, In) (Out, error) {
	return func(ctx context.Context, in In) (Out, error) {
		return Out{Greeting: "hello " + in.Name, PID: os.Getpid()}, nil
	}
}
`

const helloWorkflow = `{
  "Comment": "A team's own workflow calling its own step.",
  "StartAt": "Hello",
  "States": {
    "Hello": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Arguments": {"FunctionName": "${HelloFunctionArn}", "Payload": "{% $states.input %}"},
      "Output": "{% $states.result.Payload %}",
      "QueryLanguage": "JSONata",
      "End": true
    }
  }
}
`

// copyCheckout copies the repository's files (not .git, not data
// directories) to dir.
func copyCheckout(t *testing.T, repo, dir string) {
	t.Helper()
	err := filepath.WalkDir(repo, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repo, path)
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".stepwise" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".terraform")) {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// addHelloStep adds the hello step to a checkout as a user does, with
// `runner new step hello` (package, steps.json entry, registry line), with
// this test's own code in place of the scaffold's, and a workflow calling
// it.
func addHelloStep(t *testing.T, dir string) {
	t.Helper()
	t.Chdir(dir)
	var stdout, stderr strings.Builder
	if code := run(context.Background(), []string{"new", "step", "hello"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("runner new step hello exited %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	for name, data := range map[string]string{"steps/hello/hello.go": helloStep, "statemachine/hello.asl.json": helloWorkflow} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The scaffold's test is for the scaffold's code.
	if err := os.Remove(filepath.Join(dir, "steps", "hello", "hello_test.go")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "steps", "steps.json"))
	if err != nil || !strings.Contains(string(b), `"HelloFunctionArn"`) {
		t.Fatalf("steps.json after runner new step: %v\n%s", err, b)
	}
}

// TestUserStepRunsFromTheCheckout: a step registered in steps/steps.go
// and listed in steps.json of the checkout, but not built into this
// runner, runs at once: the runner builds the checkout's cmd/steps into the
// data directory and serves the step from it through the local Lambda
// Runtime API; the runner's own steps stay in process.
func TestUserStepRunsFromTheCheckout(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: copies the checkout and builds its cmd/steps (about 20-60 s)")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("SKIPPED: the go tool is not on PATH; the runner needs it to build a team's steps")
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	checkout := filepath.Join(t.TempDir(), "checkout")
	copyCheckout(t, repo, checkout)
	addHelloStep(t, checkout)
	t.Setenv("STEPWISE_REPO", checkout)
	dataDir := filepath.Join(t.TempDir(), "data")

	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"start", "--state-machine", "stepwise-hello", "--input", `{"name": "team"}`,
		"--wait", "--output", "json", "--data-dir", dataDir}, strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		log, _ := os.ReadFile(filepath.Join(dataDir, "steps.log"))
		t.Fatalf("runner start exited %d\nstdout:\n%s\nstderr:\n%s\nsteps.log:\n%s", code, stdout.String(), stderr.String(), log)
	}
	var res struct {
		Status string `json:"status"`
		Output string `json:"output"`
	}
	if err := json.Unmarshal([]byte(stdout.String()), &res); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	var out struct {
		Greeting string `json:"greeting"`
		PID      int    `json:"pid"`
	}
	if err := json.Unmarshal([]byte(res.Output), &out); err != nil {
		t.Fatalf("output %q: %v", res.Output, err)
	}
	if res.Status != "SUCCEEDED" || out.Greeting != "hello team" {
		t.Errorf("status %s output %s", res.Status, res.Output)
	}
	if out.PID == 0 || out.PID == os.Getpid() {
		t.Errorf("the step ran in pid %d, the runner is %d: want a bootstrap process", out.PID, os.Getpid())
	}
	if _, err := os.Stat(filepath.Join(dataDir, "bootstrap")); err != nil {
		t.Errorf("no bootstrap built in the data directory: %v", err)
	}
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("SKIPPED the AWS CLI part: the AWS CLI (`aws`) is not on PATH; install it (pip install awscli)")
	}
	testAWSCLIOnRunnerUp(t, checkout, dataDir)
}

// testAWSCLIOnRunnerUp serves the checkout with `runner up` and drives it
// with the real AWS CLI, as the README tells a user to: every workflow is
// listed and starts; a state machine of the user's own, created through
// the API, calls the user's own step by its function ARN (issue 13: it
// failed with Lambda.ResourceNotFoundException, because a step not built
// into the runner was not served at all).
func testAWSCLIOnRunnerUp(t *testing.T, checkout, dataDir string) {
	ctx, cancel := context.WithCancel(context.Background())
	var upOut, upErr lineWaiter // written by runner up while the test reads
	upDone := make(chan int, 1)
	go func() {
		upDone <- run(ctx, []string{"up", "--addr", "127.0.0.1:0", "--s3-addr", "127.0.0.1:0", "--data-dir", dataDir}, strings.NewReader(""), &upOut, &upErr)
	}()
	defer func() {
		cancel()
		if code := <-upDone; code != 0 {
			t.Errorf("runner up exited %d:\n%s", code, upErr.String())
		}
	}()
	var ep *stack.Endpoints
	for i := 0; ep == nil; i++ {
		select {
		case code := <-upDone:
			upDone <- code
			t.Fatalf("runner up exited %d:\n%s", code, upErr.String())
		case <-time.After(50 * time.Millisecond):
		}
		ep, _ = stack.ReadEndpoints(dataDir)
		if i > 1200 {
			t.Fatal("runner up did not announce its endpoints within a minute")
		}
	}
	proj, err := workflow.Load(os.DirFS(checkout))
	if err != nil {
		t.Fatal(err)
	}
	aws := awsCLI(t, sfnapi.CLIEndpoint(ep.StepFunctions))

	// Every workflow of the checkout is listed, and starts.
	var listed []string
	for _, sm := range aws("list-state-machines")["stateMachines"].([]any) {
		listed = append(listed, sm.(map[string]any)["name"].(string))
	}
	for _, w := range proj.Workflows {
		name := w.StateMachineName("stepwise")
		if !slices.Contains(listed, name) {
			t.Errorf("list-state-machines = %v, lacks %s", listed, name)
			continue
		}
		arn := "arn:aws:states:us-east-1:123456789012:stateMachine:" + name
		started := aws("start-execution", "--state-machine-arn", arn, "--name", "cli-"+w.Name, "--input", `{"name": "cli"}`)
		if x, _ := started["executionArn"].(string); !strings.HasSuffix(x, ":execution:"+name+":cli-"+w.Name) {
			t.Errorf("start-execution of %s = %v", name, started)
		}
		if !upOut.eventually("workflow " + w.Name + " " + arn + ":live") {
			t.Errorf("runner up printed no line for workflow %s:\n%s", w.Name, upOut.String())
		}
	}
	if d := waitCLI(t, aws, "arn:aws:states:us-east-1:123456789012:execution:stepwise-hello:cli-hello"); d["status"] != "SUCCEEDED" || !strings.Contains(d["output"].(string), `"greeting":"hello cli"`) {
		t.Errorf("hello through the CLI: %v", d)
	}

	// A state machine of one's own, created through the API, calling the
	// user's step by the function ARN runner up printed, in both forms.
	fn := "arn:aws:lambda:us-east-1:123456789012:function:stepwise-hello"
	if !upOut.eventually("function " + fn + "\n") {
		t.Errorf("runner up did not print the function %s:\n%s", fn, upOut.String())
	}
	def := `{"StartAt": "Direct", "States": {
  "Direct": {"Type": "Task", "Resource": "` + fn + `", "ResultPath": "$.direct", "Next": "Invoke"},
  "Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "` + fn + `", "Payload": {"name.$": "$.name"}}, "ResultSelector": {"greeting.$": "$.Payload.greeting"}, "ResultPath": "$.invoke", "End": true}}}`
	created := aws("create-state-machine", "--name", "mine", "--definition", def, "--role-arn", "arn:aws:iam::123456789012:role/mine")
	smArn, _ := created["stateMachineArn"].(string)
	aws("start-execution", "--state-machine-arn", smArn, "--name", "mine-1", "--input", `{"name": "own"}`)
	d := waitCLI(t, aws, "arn:aws:states:us-east-1:123456789012:execution:mine:mine-1")
	out, _ := d["output"].(string)
	if d["status"] != "SUCCEEDED" || !strings.Contains(out, `"direct":{"greeting":"hello own"`) || !strings.Contains(out, `"invoke":{"greeting":"hello own"}`) {
		t.Errorf("own state machine: %v", d)
	}
}

// awsCLI returns a function that runs `aws stepfunctions ARGS` against
// endpoint and decodes its JSON output; nothing of this process's AWS
// settings (real credentials, profiles) reaches it.
func awsCLI(t *testing.T, endpoint string) func(args ...string) map[string]any {
	dir := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "AWS_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"), "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER="}
	for _, k := range []string{"PYENV_ROOT", "PYENV_VERSION", "PYTHONPATH", "VIRTUAL_ENV"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command("aws", append([]string{"stepfunctions", "--endpoint-url", endpoint, "--output", "json"}, args...)...)
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("aws stepfunctions %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("aws stepfunctions %s: output %q: %v", args[0], out, err)
		}
		return m
	}
}

// waitCLI polls describe-execution until the execution has ended (at most
// a minute).
func waitCLI(t *testing.T, aws func(...string) map[string]any, arn string) map[string]any {
	t.Helper()
	for i := 0; i < 600; i++ {
		d := aws("describe-execution", "--execution-arn", arn)
		if d["status"] != "RUNNING" {
			return d
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s still RUNNING after a minute", arn)
	return nil
}

// TestUserStepWithoutBootstrapSource: a listed step that this runner lacks
// and that the checkout cannot build is a clear error naming the step and
// what to do, not a Lambda.ResourceNotFoundException at run time.
func TestUserStepWithoutBootstrapSource(t *testing.T) {
	checkout := t.TempDir()
	b, err := os.ReadFile(filepath.Join("..", "..", "steps", "steps.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"steps/steps.json":            strings.Replace(string(b), `"steps": {`, `"steps": {"hello": {"arn_placeholder": "HelloFunctionArn", "memory_mb": 128, "timeout_seconds": 30},`, 1),
		"statemachine/hello.asl.json": helloWorkflow,
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(checkout, name)), 0o755)
		if err := os.WriteFile(filepath.Join(checkout, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("STEPWISE_REPO", checkout)
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"start", "--state-machine", "stepwise-hello", "--data-dir", filepath.Join(t.TempDir(), "data")},
		strings.NewReader(""), &stdout, &stderr)
	want := "step hello listed in steps/steps.json is not built into this runner, and " + checkout + " has no cmd/steps to build a bootstrap from: register the step in steps/steps.go"
	if code != 1 || !strings.Contains(stderr.String(), want) {
		t.Errorf("exit %d, stderr:\n%s\nwant it to contain %q", code, stderr.String(), want)
	}
}
