package main

// The files `runner new` writes, as text/template with [[ ]] delimiters
// (ASL and Go both use braces). Fields: .Name (the workflow, step or
// activity name), .Package (its Go package), .Camel, .Placeholder (the
// step's or activity's ARN placeholder), .Module (the module path from
// go.mod). Each scaffold passes `runner validate` and `go test` as written
// (TestNewWorkflowEndToEnd, testdata/newscript).

const stepTemplate = `// Package [[.Package]] is the [[.Name]] step, scaffolded by ` + "`runner new step [[.Name]]`" + `:
// it greets a name a number of times. Replace [[.Package]].Run with the step's work
// and say here what the step is for.
//
// The step is served by the one bootstrap under the handler name "[[.Name]]"
// (steps/steps.json, registered in steps/steps.go); a state machine calls it
// with "FunctionName": "${[[.Placeholder]]}".
package [[.Package]]

import (
	"context"
	"fmt"
	"strings"

	"[[.Module]]/steps/stepkit"
)

// MaxTimes bounds Request.Times.
const MaxTimes = 10

// Input is the step's payload, as the state machine's Task sends it.
type Input struct {
	// Execution is the name of the execution ($$.Execution.Name), for logs.
	Execution string ` + "`json:\"execution\"`" + `
	// Request is the execution's input.
	Request Request ` + "`json:\"request\"`" + `
}

// Request is what a user starts the workflow with.
type Request struct {
	// Name is whom to greet; "world" when empty.
	Name string ` + "`json:\"name,omitempty\"`" + `
	// Times is how many greetings, 1 to MaxTimes; 1 when 0.
	Times int ` + "`json:\"times,omitempty\"`" + `
}

// Output is what the step returns; the state machine finds it in $.Payload.
type Output struct {
	Greetings []string ` + "`json:\"greetings\"`" + `
	Count     int      ` + "`json:\"count\"`" + `
}

// InvalidRequestError is a request the step cannot work on. Step Functions
// sees it as the error name "InvalidRequestError" (the type's name): the
// workflow's Catch matches it, and no Retry does, since trying again would
// not help.
type InvalidRequestError struct {
	// Pointer is the JSON pointer of the bad field in the request.
	Pointer string
	Reason  string
}

func (e *InvalidRequestError) Error() string { return e.Pointer + ": " + e.Reason }

// New returns the step's handler over env. It is built once per process
// (env holds the S3 client, the bucket and the logger); keep per-invocation
// work in the returned function.
func New(env *stepkit.Env) func(context.Context, Input) (Output, error) {
	return func(ctx context.Context, in Input) (Output, error) {
		log := env.Logger(ctx, "[[.Name]]", in.Execution)
		out, err := Run(ctx, in.Request)
		if err != nil {
			log.Error("[[.Name]] failed", "error", err)
			return Output{}, err
		}
		log.Info("[[.Name]] done", "count", out.Count)
		return out, nil
	}
}

// Run does the step's work.
func Run(ctx context.Context, r Request) (Output, error) {
	times := r.Times
	if times == 0 {
		times = 1
	}
	if times < 1 || times > MaxTimes {
		return Output{}, &InvalidRequestError{Pointer: "/times", Reason: fmt.Sprintf("%d is outside 1..%d", r.Times, MaxTimes)}
	}
	name := strings.TrimSpace(r.Name)
	if name == "" {
		name = "world"
	}
	out := Output{Count: times}
	for i := 0; i < times; i++ {
		if err := ctx.Err(); err != nil {
			return Output{}, err
		}
		out.Greetings = append(out.Greetings, "Hello, "+name+"!")
	}
	return out, nil
}
`

const stepTestTemplate = `package [[.Package]]

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"[[.Module]]/steps/objstore"
	"[[.Module]]/steps/stepkit"
)

func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name    string
		req     Request
		want    []string
		wantErr string // JSON pointer of an InvalidRequestError
	}{
		{name: "defaults", req: Request{}, want: []string{"Hello, world!"}},
		{name: "twice", req: Request{Name: "Ada", Times: 2}, want: []string{"Hello, Ada!", "Hello, Ada!"}},
		{name: "too many", req: Request{Times: MaxTimes + 1}, wantErr: "/times"},
		{name: "negative", req: Request{Times: -1}, wantErr: "/times"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Run(context.Background(), tc.req)
			var bad *InvalidRequestError
			switch {
			case tc.wantErr != "":
				if !errors.As(err, &bad) || bad.Pointer != tc.wantErr {
					t.Fatalf("Run(%+v) error %v, want an InvalidRequestError at %s", tc.req, err, tc.wantErr)
				}
			case err != nil:
				t.Fatalf("Run(%+v): %v", tc.req, err)
			case !slices.Equal(out.Greetings, tc.want) || out.Count != len(tc.want):
				t.Errorf("Run(%+v) = %+v, want greetings %q", tc.req, out, tc.want)
			}
		})
	}
}

// TestHandlerJSON invokes the handler as Lambda does, JSON in and out.
func TestHandlerJSON(t *testing.T) {
	env := &stepkit.Env{Store: objstore.NewMemory(), Bucket: "test", Log: io.Discard}
	h := lambda.NewHandler(New(env))
	got, err := h.Invoke(context.Background(), []byte(` + "`" + `{"execution": "e-1", "request": {"name": "Ada", "times": 2}}` + "`" + `))
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Greetings []string ` + "`json:\"greetings\"`" + `
		Count     int      ` + "`json:\"count\"`" + `
	}
	if err := json.Unmarshal(got, &out); err != nil {
		t.Fatalf("output %s: %v", got, err)
	}
	if out.Count != 2 || len(out.Greetings) != 2 || out.Greetings[0] != "Hello, Ada!" {
		t.Errorf("output %s, want two greetings of Ada", got)
	}
}
`

const workflowTemplate = `{
  "Comment": "[[.Name]]: scaffolded by runner new workflow [[.Name]]. Run calls the [[.Name]] step (retried on Lambda's transient errors); Check branches on its output; an InvalidRequestError ends in Rejected. Start it with: runner start [[.Name]] --input '{\"name\": \"Ada\", \"times\": 2}' --wait",
  "StartAt": "Run",
  "States": {
    "Run": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {
        "FunctionName": "${[[.Placeholder]]}",
        "Payload": {
          "execution.$": "$$.Execution.Name",
          "request.$": "$"
        }
      },
      "ResultSelector": {
        "greetings.$": "$.Payload.greetings",
        "count.$": "$.Payload.count"
      },
      "ResultPath": "$.result",
      "Retry": [
        {
          "ErrorEquals": ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException", "Sandbox.Timedout"],
          "IntervalSeconds": 1,
          "MaxAttempts": 3,
          "BackoffRate": 2,
          "JitterStrategy": "FULL"
        }
      ],
      "Catch": [
        {"ErrorEquals": ["InvalidRequestError"], "ResultPath": "$.error", "Next": "Rejected"}
      ],
      "Next": "Check"
    },
    "Check": {
      "Type": "Choice",
      "Choices": [
        {"Variable": "$.result.count", "NumericGreaterThan": 1, "Next": "Many"}
      ],
      "Default": "One"
    },
    "Many": {
      "Type": "Pass",
      "Parameters": {
        "greetings.$": "$.result.greetings",
        "summary.$": "States.Format('{} greetings', $.result.count)"
      },
      "End": true
    },
    "One": {
      "Type": "Pass",
      "Parameters": {
        "greeting.$": "$.result.greetings[0]"
      },
      "End": true
    },
    "Rejected": {
      "Type": "Fail",
      "Error": "InvalidRequestError",
      "CausePath": "$.error.Cause"
    }
  }
}
`

const workflowTestTemplate = `package [[.Package]]_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"[[.Module]]/sfntest"
	"[[.Module]]/steps/[[.Name]]"
	"[[.Module]]/steps/objstore"
	"[[.Module]]/steps/stepkit"
)

// TestMain prints the workflow's coverage after the tests when
// STEPWISE_COVER=1 (STEPWISE_COVER_JSON=<file> writes it as JSON).
func TestMain(m *testing.M) { os.Exit(sfntest.Main(m)) }

// TestWorkflow runs statemachine/[[.Name]].asl.json on the sfntest harness
// with the [[.Name]] step's real handler (through aws-lambda-go, as on
// Lambda) and virtual time: the definition, the step and the JSON between
// them are tested together. Mock a state with sfntest.Mock, answer a task
// token with sfntest.OnToken; see the sfntest package.
func TestWorkflow(t *testing.T) {
	root := filepath.Join("..", "..")
	settings, err := os.ReadFile(filepath.Join(root, "steps", "steps.json"))
	if err != nil {
		t.Fatal(err)
	}
	env := &stepkit.Env{Store: objstore.NewMemory(), Bucket: "stepwise", Log: io.Discard}
	w, err := sfntest.Load(filepath.Join(root, "statemachine", "[[.Name]].asl.json"),
		sfntest.Steps("steps/steps.json", settings),
		sfntest.Handler("[[.Name]]", [[.Package]].New(env)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, input string
		output      string // the output of a SUCCEEDED execution, as JSON
		errName     string // else the error it FAILED with
		path        []string
	}{
		{name: "one", input: ` + "`{}`" + `, output: ` + "`" + `{"greeting": "Hello, world!"}` + "`" + `, path: []string{"Run", "Check", "One"}},
		{name: "many", input: ` + "`" + `{"name": "Ada", "times": 2}` + "`" + `, output: ` + "`" + `{"greetings": ["Hello, Ada!", "Hello, Ada!"], "summary": "2 greetings"}` + "`" + `, path: []string{"Run", "Check", "Many"}},
		{name: "rejected", input: ` + "`" + `{"times": 99}` + "`" + `, errName: "InvalidRequestError", path: []string{"Run", "Rejected"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.Test(t, tc.input)
			if tc.errName != "" {
				r.ExpectFailed(t, tc.errName)
			} else {
				r.ExpectOutput(t, tc.output)
			}
			r.ExpectPath(t, tc.path...)
		})
	}
}
`

const activityTemplate = `// Package [[.Package]] is the [[.Name]] activity, scaffolded by ` + "`runner new activity [[.Name]]`" + `:
// a step that may run longer than a Lambda function may (15 minutes), so it
// runs in a worker of its own (cmd/[[.Name]]-worker) that polls Step
// Functions for its tasks. Replace [[.Package]].Run with the work and say here
// what the activity is for.
//
// steps/steps.json lists it under "activities"; a state machine names it
// with "Resource": "${[[.Placeholder]]}", and ` + "`runner up`" + ` and Terraform create
// the activity <prefix>-[[.Name]].
package [[.Package]]

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"[[.Module]]/steps/activity"
)

// MaxItems bounds Input.Items.
const MaxItems = 1000

// Input is the task's input, the Task state's effective input.
type Input struct {
	Items []string ` + "`json:\"items\"`" + `
}

// Output is the task's result.
type Output struct {
	Done    []string ` + "`json:\"done\"`" + `
	Summary string   ` + "`json:\"summary\"`" + `
}

// InvalidRequestError is an input the activity refuses. Step Functions sees
// the type's name as the error: a Catch of "InvalidRequestError" matches it.
type InvalidRequestError struct{ Reason string }

func (e *InvalidRequestError) Error() string { return e.Reason }

// Run does the work item by item and heartbeats after each, so that the
// Task's HeartbeatSeconds tells a dead worker from a slow one (the worker
// heartbeats on its own too, every HeartbeatInterval). It stops when ctx
// is cancelled: Step Functions no longer waits for the task, or the
// worker is stopping.
func Run(ctx context.Context, in Input) (Output, error) {
	if len(in.Items) == 0 || len(in.Items) > MaxItems {
		return Output{}, &InvalidRequestError{Reason: fmt.Sprintf("items: want 1 to %d items, got %d", MaxItems, len(in.Items))}
	}
	var out Output
	for _, item := range in.Items {
		if ctx.Err() != nil {
			return Output{}, context.Cause(ctx)
		}
		out.Done = append(out.Done, strings.ToUpper(item)) // the long work goes here
		if err := activity.Heartbeat(ctx); errors.Is(err, activity.ErrTaskGone) {
			return Output{}, err
		}
	}
	out.Summary = fmt.Sprintf("%d items", len(out.Done))
	return out, nil
}
`

const activityTestTemplate = `package [[.Package]]_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"[[.Module]]/sfntest"
	"[[.Module]]/steps/activity"
	"[[.Module]]/steps/[[.Name]]"
)

func TestRun(t *testing.T) {
	out, err := [[.Package]].Run(context.Background(), [[.Package]].Input{Items: []string{"a", "b"}})
	if err != nil || strings.Join(out.Done, ",") != "A,B" || out.Summary != "2 items" {
		t.Errorf("Run = %+v, %v", out, err)
	}
	var invalid *[[.Package]].InvalidRequestError
	if _, err := [[.Package]].Run(context.Background(), [[.Package]].Input{}); !errors.As(err, &invalid) {
		t.Errorf("Run with no items: %v, want an InvalidRequestError", err)
	}
}

// TestAsTask runs the activity as a state machine's Task on the sfntest
// harness: the real worker code (package steps/activity) on the
// execution's virtual clock, its ARN from steps/steps.json; the result
// and the caught error flow through the state machine as on AWS.
func TestAsTask(t *testing.T) {
	settings, err := os.ReadFile(filepath.Join("..", "steps.json"))
	if err != nil {
		t.Fatal(err)
	}
	def := ` + "`" + `{"StartAt": "Work", "States": {
  "Work": {"Type": "Task", "Resource": "${[[.Placeholder]]}", "HeartbeatSeconds": 60, "TimeoutSeconds": 86400,
    "Catch": [{"ErrorEquals": ["InvalidRequestError"], "Next": "Rejected"}], "End": true},
  "Rejected": {"Type": "Fail", "Error": "Rejected"}}}` + "`" + `
	w, err := sfntest.New("[[.Name]]-task", []byte(def),
		sfntest.Steps("steps/steps.json", settings),
		sfntest.Activity("[[.Name]]", activity.Typed([[.Package]].Run)))
	if err != nil {
		t.Fatal(err)
	}
	w.Test(t, ` + "`" + `{"items": ["a"]}` + "`" + `).ExpectSucceeded(t).ExpectOutput(t, ` + "`" + `{"done": ["A"], "summary": "1 items"}` + "`" + `)
	w.Test(t, ` + "`" + `{"items": []}` + "`" + `).ExpectFailed(t, "Rejected").ExpectPath(t, "Work", "Rejected")
}
`

const workerTemplate = `// Command [[.Name]]-worker runs the [[.Name]] activity (package
// steps/[[.Name]]): it polls Step Functions for the activity's tasks and runs
// them until interrupted, then lets running tasks finish.
//
//	go run ./cmd/[[.Name]]-worker --activity-arn ARN
//
// ` + "`runner up`" + ` prints the local ARN ("activity arn:...:activity:stepwise-[[.Name]]");
// on AWS it is Terraform's output activities. The AWS SDK's configuration
// applies as usual (credentials, AWS_REGION); for the local stack set
// AWS_ENDPOINT_URL_SFN=http://127.0.0.1:8083 (the address runner up prints).
// On AWS, attach the policy <prefix>-[[.Name]]-worker to the worker's role.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"[[.Module]]/steps/activity"
	"[[.Module]]/steps/[[.Name]]"
)

func main() {
	arn := flag.String("activity-arn", os.Getenv("STEPWISE_ACTIVITY_ARN"), "the activity to work for (default $STEPWISE_ACTIVITY_ARN)")
	name := flag.String("name", "", "the worker's name in the ActivityStarted event (default: the host name)")
	concurrency := flag.Int("concurrency", 1, "how many tasks run at once")
	flag.Parse()
	if *arn == "" {
		fmt.Fprintln(os.Stderr, "[[.Name]]-worker: --activity-arn is required: runner up prints it (activity ...:activity:stepwise-[[.Name]]), Terraform outputs it (activities)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Error("AWS configuration", "err", err)
		os.Exit(1)
	}
	w := &activity.Worker{Client: sfn.NewFromConfig(cfg), ActivityArn: *arn, Name: *name, Concurrency: *concurrency,
		HeartbeatInterval: 10 * time.Second, Logger: log}
	log.Info("polling for tasks; Ctrl-C stops", "activity", *arn)
	if err := w.Run(ctx, activity.Typed([[.Package]].Run)); err != nil {
		log.Error("stopped", "err", err)
		os.Exit(1)
	}
	log.Info("stopped")
}
`
