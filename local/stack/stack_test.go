package stack

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	lambdalocal "github.com/stepwise-dev/stepwise/local/lambda"
	"github.com/stepwise-dev/stepwise/local/sfnapi"
)

var repo = os.DirFS(filepath.Join("..", ".."))

// threeStates is the benchmark and smoke-test machine: Pass, Lambda task,
// Pass.
const threeStates = `{
  "StartAt": "In",
  "States": {
    "In": {"Type": "Pass", "Next": "Add"},
    "Add": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:test-add", "Next": "Out"},
    "Out": {"Type": "Pass", "End": true}
  }
}`

func testOptions(dir string) Options {
	return Options{
		DataDir: dir, Repo: repo, NoS3: true, NoDeploy: true, NoTrigger: true,
		ExtraFunctions: []lambdalocal.Function{{Name: "test-add", Handler: "add", Concurrency: 64}},
		Steps:          map[string]any{"add": func(in struct{ A, B int }) (int, error) { return in.A + in.B, nil }},
	}
}

func sfnClient(endpoint string) *sfn.Client {
	return sfn.New(sfn.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")},
		sfnapi.ClientOptions(endpoint))
}

func TestOpenServeReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(ctx, testOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	ep, err := ReadEndpoints(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ep.StepFunctions != st.Endpoints.StepFunctions || ep.PID != os.Getpid() {
		t.Errorf("endpoints.json = %+v, stack has %+v", ep, st.Endpoints)
	}

	// A second stack on the same directory is refused and told where the
	// running one is.
	_, err = Open(ctx, testOptions(dir))
	var running *AlreadyRunningError
	if !errors.As(err, &running) || running.Endpoints == nil || running.Endpoints.StepFunctions != ep.StepFunctions {
		t.Fatalf("second Open = %v, want AlreadyRunningError with the endpoints", err)
	}

	c := sfnClient(ep.StepFunctions)
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("three"), Definition: aws.String(threeStates),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/r")})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`{"A":2,"B":3}`)})
	if err != nil {
		t.Fatal(err)
	}
	done, err := st.Engine.WaitExecution(ctx, *ex.ExecutionArn)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != "SUCCEEDED" || done.Output == nil || *done.Output != "5" {
		t.Errorf("execution %s, output %v", done.Status, done.Output)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadEndpoints(dir); !errors.Is(err, ErrNotRunning) {
		t.Errorf("ReadEndpoints after Close = %v, want ErrNotRunning", err)
	}

	// Close released the directory: it opens again, with the machine and
	// the finished execution still there.
	st2, err := Open(ctx, testOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	d, err := sfnClient(st2.Endpoints.StepFunctions).DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != "SUCCEEDED" || aws.ToString(d.Output) != "5" {
		t.Errorf("after reopen: %s %s", d.Status, aws.ToString(d.Output))
	}
}

func TestStaleEndpoints(t *testing.T) {
	dir := t.TempDir()
	// A stack killed with -9 leaves its file behind; its pid is gone.
	if err := writeEndpoints(dir, &Endpoints{StepFunctions: "http://127.0.0.1:1", PID: 1 << 22}); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadEndpoints(dir); !errors.Is(err, ErrNotRunning) {
		t.Errorf("ReadEndpoints with a dead pid = %v, want ErrNotRunning", err)
	}
	if _, err := ReadEndpoints(filepath.Join(dir, "nothing")); !errors.Is(err, ErrNotRunning) {
		t.Errorf("ReadEndpoints with no file = %v, want ErrNotRunning", err)
	}
}

func TestTemplateVars(t *testing.T) {
	steps, err := readSteps(repo)
	if err != nil {
		t.Fatal(err)
	}
	vars := TemplateVars(steps, "stepwise", "eu-west-1", "111122223333", "bkt")
	want := map[string]string{
		"PlanFunctionArn":    "arn:aws:lambda:eu-west-1:111122223333:function:stepwise-plan",
		"PublishFunctionArn": "arn:aws:lambda:eu-west-1:111122223333:function:stepwise-publish",
		"BucketName":         "bkt",
	}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("%s = %q, want %q", k, vars[k], v)
		}
	}
	if len(vars) != len(steps.Steps)+1 {
		t.Errorf("%d vars for %d steps", len(vars), len(steps.Steps))
	}
}
