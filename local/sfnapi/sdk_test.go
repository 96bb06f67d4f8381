package sfnapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	lambdalocal "github.com/stepwise-dev/stepwise/local/lambda"
	"github.com/stepwise-dev/stepwise/statemachine"
)

// env is an API server over a real engine with in-process Lambda
// functions, and an SDK client pointed at it.
type env struct {
	client *sfn.Client
	url    string
	tokens chan string // task tokens the "approve" function received
	eng    *statemachine.Engine
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{tokens: make(chan string, 16)}
	rt, err := lambdalocal.New(lambdalocal.Options{
		Functions: []lambdalocal.Function{
			{Name: "stepwise-double", Handler: "double"},
			{Name: "stepwise-approve", Handler: "approve"},
		},
		Handlers: map[string]any{
			"double": func(in struct{ N int }) (map[string]int, error) { return map[string]int{"n": in.N * 2}, nil },
			"approve": func(in struct{ Token string }) error {
				e.tokens <- in.Token
				return nil
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := statemachine.New(statemachine.Options{Lambda: rt})
	if err != nil {
		t.Fatal(err)
	}
	e.eng = eng
	srv := httptest.NewServer(NewHandler(eng, Options{}))
	t.Cleanup(func() {
		srv.Close()
		eng.Close()
		rt.Close()
	})
	e.url = srv.URL
	e.client = sfn.New(sfn.Options{
		Region:      "eu-west-3",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
	}, ClientOptions(srv.URL))
	return e
}

const approvalMachine = `{
  "StartAt": "Double",
  "States": {
    "Double": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:stepwise-double", "ResultPath": "$.doubled", "Next": "Approve"},
    "Approve": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters": {"FunctionName": "stepwise-approve", "Payload": {"Token.$": "$$.Task.Token"}},
      "ResultPath": "$.approval",
      "Next": "Done"
    },
    "Done": {"Type": "Pass", "End": true}
  }
}`

func TestSDKEndToEnd(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client

	created, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("approval"), Definition: aws.String(approvalMachine),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/stepwise"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(*created.StateMachineArn, ":stateMachine:approval") || created.CreationDate == nil {
		t.Fatalf("CreateStateMachine = %+v", created)
	}
	list, err := c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	if err != nil || len(list.StateMachines) != 1 || *list.StateMachines[0].Name != "approval" {
		t.Fatalf("ListStateMachines = %+v, %v", list, err)
	}

	started, err := c.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: created.StateMachineArn, Name: aws.String("run-1"), Input: aws.String(`{"N":21}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	token := <-e.tokens // the task is now waiting for its token

	desc, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	if desc.Status != types.ExecutionStatusRunning || *desc.Input != `{"N":21}` || desc.StartDate == nil {
		t.Errorf("DescribeExecution while waiting = %s %v", desc.Status, aws.ToString(desc.Input))
	}

	hist, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: started.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Events) < 3 || hist.Events[0].Type != types.HistoryEventTypeExecutionStarted ||
		hist.Events[0].ExecutionStartedEventDetails == nil || *hist.Events[0].ExecutionStartedEventDetails.Input != `{"N":21}` {
		t.Fatalf("history starts wrong: %+v", hist.Events)
	}
	last := hist.Events[len(hist.Events)-1]
	if last.Type != types.HistoryEventTypeTaskSubmitted && last.Type != types.HistoryEventTypeTaskStarted {
		t.Errorf("last event while waiting = %s, want TaskSubmitted", last.Type)
	}

	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"approved":true}`)}); err != nil {
		t.Fatal(err)
	}
	// Wait on the engine, not on the clock.
	if _, err := e.eng.WaitExecution(ctx, *started.ExecutionArn); err != nil {
		t.Fatal(err)
	}
	desc, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	if desc.Status != types.ExecutionStatusSucceeded || desc.StopDate == nil {
		t.Fatalf("status %s", desc.Status)
	}
	var out map[string]any
	json.Unmarshal([]byte(aws.ToString(desc.Output)), &out)
	want := `{"N":21,"approval":{"approved":true},"doubled":{"n":42}}`
	if got, _ := json.Marshal(out); string(got) != want {
		t.Errorf("output %s, want %s", got, want)
	}

	// The token is useless after its task ended.
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{}`)})
	var tdne *types.TaskDoesNotExist
	var tto *types.TaskTimedOut
	if !errors.As(err, &tdne) && !errors.As(err, &tto) {
		t.Errorf("SendTaskSuccess with a used token = %v, want TaskDoesNotExist or TaskTimedOut", err)
	}

	// Full history, both orders, paginated by 2.
	var fwd, rev []types.HistoryEvent
	for _, reverse := range []bool{false, true} {
		p := sfn.NewGetExecutionHistoryPaginator(c, &sfn.GetExecutionHistoryInput{
			ExecutionArn: started.ExecutionArn, MaxResults: 2, ReverseOrder: reverse, IncludeExecutionData: aws.Bool(false),
		})
		for p.HasMorePages() {
			pg, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(pg.Events) > 2 {
				t.Fatalf("page of %d events, maxResults 2", len(pg.Events))
			}
			if reverse {
				rev = append(rev, pg.Events...)
			} else {
				fwd = append(fwd, pg.Events...)
			}
		}
	}
	if len(fwd) != len(rev) || len(fwd) < 8 {
		t.Fatalf("history: %d events forward, %d reversed", len(fwd), len(rev))
	}
	for i := range fwd {
		if fwd[i].Id != rev[len(rev)-1-i].Id {
			t.Fatalf("reversed history differs at %d", i)
		}
		if i > 0 && fwd[i].Id != fwd[i-1].Id+1 {
			t.Errorf("event ids not consecutive at %d: %d after %d", i, fwd[i].Id, fwd[i-1].Id)
		}
	}
	if d := fwd[0].ExecutionStartedEventDetails; d == nil || d.Input != nil {
		t.Errorf("includeExecutionData=false kept the input: %+v", d)
	}
	if fwd[len(fwd)-1].Type != types.HistoryEventTypeExecutionSucceeded {
		t.Errorf("last event %s", fwd[len(fwd)-1].Type)
	}

	execs, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: created.StateMachineArn, StatusFilter: types.ExecutionStatusSucceeded})
	if err != nil || len(execs.Executions) != 1 || *execs.Executions[0].Name != "run-1" {
		t.Errorf("ListExecutions = %+v, %v", execs, err)
	}
}

func TestSDKErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	missing := "arn:aws:states:eu-west-3:123456789012:execution:nope:nope"

	_, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(missing)})
	var ednf *types.ExecutionDoesNotExist
	if !errors.As(err, &ednf) {
		t.Errorf("DescribeExecution(missing) = %v, want ExecutionDoesNotExist", err)
	}
	_, err = c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String("arn:aws:states:eu-west-3:123456789012:stateMachine:nope")})
	var smdne *types.StateMachineDoesNotExist
	if !errors.As(err, &smdne) {
		t.Errorf("DescribeStateMachine(missing) = %v, want StateMachineDoesNotExist", err)
	}
	_, err = c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("bad"), Definition: aws.String(`{"StartAt":"X","States":{}}`), RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
	})
	var inv *types.InvalidDefinition
	if !errors.As(err, &inv) {
		t.Errorf("CreateStateMachine(bad definition) = %v, want InvalidDefinition", err)
	}
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("not-a-token"), Output: aws.String("{}")})
	var it *types.InvalidToken
	var tdne *types.TaskDoesNotExist
	if !errors.As(err, &it) && !errors.As(err, &tdne) {
		t.Errorf("SendTaskSuccess(garbage token) = %v, want InvalidToken or TaskDoesNotExist", err)
	}
	_, err = c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String("x"), MaxResults: 5000})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || !strings.Contains(ve.ErrorMessage(), "'maxResults'") {
		t.Errorf("ListExecutions(maxResults 5000) = %v, want ValidationException naming maxResults", err)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() != "ValidationException" {
		t.Errorf("error code %q", ae.ErrorCode())
	}
}

func TestStartSyncExecution(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	created, err := e.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("express"), Type: types.StateMachineTypeExpress, RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		Definition: aws.String(`{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:stepwise-double","End":true}}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.client.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: created.StateMachineArn, Input: aws.String(`{"N":4}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != types.SyncExecutionStatusSucceeded || aws.ToString(out.Output) != `{"n":8}` || out.StopDate == nil {
		t.Errorf("StartSyncExecution = %s %s", out.Status, aws.ToString(out.Output))
	}
}

func statemachineInput(name, def string) statemachine.CreateStateMachineInput {
	return statemachine.CreateStateMachineInput{Name: name, Definition: def, Type: "STANDARD", RoleArn: "arn:aws:iam::123456789012:role/r"}
}

func TestSDKMapRunsAndTestState(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	created, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("fanout"), RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		Definition: aws.String(`{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Fan","ItemsPath":"$.items","MaxConcurrency":2,
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"D","States":{"D":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:stepwise-double","End":true}}},"End":true}}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: created.StateMachineArn, Input: aws.String(`{"items":[{"N":1},{"N":2},{"N":3}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	done, err := e.eng.WaitExecution(ctx, *ex.ExecutionArn)
	if err != nil || done.Status != "SUCCEEDED" {
		t.Fatalf("execution %v %v %v", err, done.Status, aws.ToString(done.Cause))
	}
	runs, err := c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: ex.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs.MapRuns) != 1 || !strings.Contains(*runs.MapRuns[0].MapRunArn, ":mapRun:fanout/Fan:") ||
		!strings.HasSuffix(*runs.MapRuns[0].StateMachineArn, ":stateMachine:fanout/Fan") {
		t.Fatalf("ListMapRuns = %+v", runs.MapRuns)
	}
	mr, err := c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: runs.MapRuns[0].MapRunArn})
	if err != nil {
		t.Fatal(err)
	}
	if mr.Status != types.MapRunStatusSucceeded || mr.ItemCounts.Succeeded != 3 || mr.ItemCounts.Total != 3 || mr.MaxConcurrency != 2 || mr.StopDate == nil {
		t.Errorf("DescribeMapRun = %s items %+v maxConcurrency %d", mr.Status, mr.ItemCounts, mr.MaxConcurrency)
	}
	children, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: runs.MapRuns[0].MapRunArn})
	if err != nil || len(children.Executions) != 3 {
		t.Errorf("ListExecutions(mapRunArn) = %d executions, %v", len(children.Executions), err)
	}

	ts, err := c.TestState(ctx, &sfn.TestStateInput{
		Definition: aws.String(`{"Type":"Pass","Parameters":{"sum.$":"States.MathAdd($.a, $.b)"},"Next":"X"}`),
		RoleArn:    aws.String("arn:aws:iam::123456789012:role/r"), Input: aws.String(`{"a":1,"b":2}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if ts.Status != types.TestExecutionStatusSucceeded || aws.ToString(ts.Output) != `{"sum":3}` || aws.ToString(ts.NextState) != "X" {
		t.Errorf("TestState = %s %s next %s", ts.Status, aws.ToString(ts.Output), aws.ToString(ts.NextState))
	}
}
