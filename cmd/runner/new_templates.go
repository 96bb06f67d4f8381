package main

// The files `runner new` writes, as text/template with [[ ]] delimiters
// (ASL and Go both use braces). Fields: .Name (the workflow or step name),
// .Package (its Go package), .Camel, .Placeholder (the step's ARN
// placeholder), .Module (the module path from go.mod). Each scaffold
// passes `runner validate` and `go test` as written
// (TestNewScaffoldsPass).

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
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	lambdalocal "[[.Module]]/local/lambda"
	"[[.Module]]/statemachine"
	"[[.Module]]/steps/[[.Name]]"
	"[[.Module]]/steps/objstore"
	"[[.Module]]/steps/stepkit"
)

// TestWorkflow runs statemachine/[[.Name]].asl.json on the engine, with the
// [[.Name]] step's real handler behind the local Lambda runtime, as ` + "`runner up`" + `
// does: the definition, the step and the JSON between them are tested together.
func TestWorkflow(t *testing.T) {
	engine, smArn := newEngine(t)
	for _, tc := range []struct {
		name, input string
		status      string
		output      string // SUCCEEDED: the output, as JSON
		errName     string // FAILED: the error
	}{
		{name: "one", input: ` + "`{}`" + `, status: "SUCCEEDED", output: ` + "`" + `{"greeting": "Hello, world!"}` + "`" + `},
		{name: "many", input: ` + "`" + `{"name": "Ada", "times": 2}` + "`" + `, status: "SUCCEEDED", output: ` + "`" + `{"greetings": ["Hello, Ada!", "Hello, Ada!"], "summary": "2 greetings"}` + "`" + `},
		{name: "rejected", input: ` + "`" + `{"times": 99}` + "`" + `, status: "FAILED", errName: "InvalidRequestError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			ex, err := engine.StartExecution(ctx, statemachine.StartExecutionInput{StateMachineArn: smArn, Name: tc.name, Input: tc.input, InputSet: true})
			if err != nil {
				t.Fatal(err)
			}
			end, err := engine.WaitExecution(ctx, ex.ExecutionArn)
			if err != nil {
				t.Fatal(err)
			}
			if end.Status != tc.status {
				t.Fatalf("status %s (error %s: %s), want %s", end.Status, deref(end.Error), deref(end.Cause), tc.status)
			}
			if tc.errName != "" && deref(end.Error) != tc.errName {
				t.Errorf("error %s, want %s", deref(end.Error), tc.errName)
			}
			if tc.output != "" {
				var got, want any
				if err := json.Unmarshal([]byte(deref(end.Output)), &got); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal([]byte(tc.output), &want); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("output %s, want %s", deref(end.Output), tc.output)
				}
			}
		})
	}
}

// newEngine deploys the workflow on an engine whose Lambda runtime serves
// the [[.Name]] step in-process.
func newEngine(t *testing.T) (*statemachine.Engine, string) {
	t.Helper()
	root := filepath.Join("..", "..")
	settings, err := lambdalocal.LoadSteps(filepath.Join(root, "steps", "steps.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fns []lambdalocal.Function
	for _, f := range settings.Functions("stepwise") {
		if f.Handler == "[[.Name]]" {
			fns = append(fns, f)
		}
	}
	if len(fns) == 0 {
		t.Fatal("steps/steps.json lists no step [[.Name]]: run ` + "`runner new step [[.Name]]`" + `")
	}
	env := &stepkit.Env{Store: objstore.NewMemory(), Bucket: "stepwise", Log: io.Discard}
	rt, err := lambdalocal.New(lambdalocal.Options{Functions: fns, Handlers: map[string]any{"[[.Name]]": [[.Package]].New(env)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	raw, err := os.ReadFile(filepath.Join(root, "statemachine", "[[.Name]].asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	vars := settings.ArnVars("stepwise", "us-east-1", "123456789012")
	vars["BucketName"] = "stepwise"
	def, err := statemachine.Render(raw, vars)
	if err != nil {
		t.Fatal(err)
	}
	engine, err := statemachine.New(statemachine.Options{Lambda: rt})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { engine.Close() })
	sm, err := engine.CreateStateMachine(context.Background(), statemachine.CreateStateMachineInput{Name: "stepwise-[[.Name]]", Definition: string(def), RoleArn: "arn:aws:iam::123456789012:role/stepwise-[[.Name]]"})
	if err != nil {
		t.Fatal(err)
	}
	return engine, sm.Arn
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
`
