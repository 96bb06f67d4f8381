package sfnapi

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// TestSDKUpdateMapRunLive drives UpdateMapRun on a running Map Run through
// the Go SDK with default client options and checks that the run obeys it
// at once: a raised maxConcurrency starts more children while none has
// ended, a raised tolerance lets a child fail, and a tolerance lowered
// below the failures so far fails the run with
// States.ExceedToleratedFailureThreshold and aborts the children still
// running.
func TestSDKUpdateMapRunLive(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := sfn.New(sfn.Options{Region: "eu-west-3", BaseEndpoint: aws.String(e.url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", "")})
	// next is the token of the next child that starts; the bound turns a
	// child that never starts into a failure instead of a hang.
	next := func(why string) string {
		t.Helper()
		select {
		case tok := <-e.tokens:
			return tok
		case <-time.After(10 * time.Second):
			t.Fatalf("no child started: %s", why)
			return ""
		}
	}
	sm, err := e.eng.CreateStateMachine(ctx, statemachineInput("live", waitingMapMachine))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: &sm.Arn, Input: aws.String(`{"items":[{},{},{},{}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	first := next("MaxConcurrency 1")
	runs, err := c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: ex.ExecutionArn})
	if err != nil || len(runs.MapRuns) != 1 {
		t.Fatalf("ListMapRuns = %+v, %v", runs, err)
	}
	runArn := runs.MapRuns[0].MapRunArn

	if _, err := c.UpdateMapRun(ctx, &sfn.UpdateMapRunInput{MapRunArn: runArn, MaxConcurrency: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	next("maxConcurrency raised to 3, first child still running")
	next("maxConcurrency raised to 3, first child still running")

	if _, err := c.UpdateMapRun(ctx, &sfn.UpdateMapRunInput{MapRunArn: runArn, ToleratedFailureCount: aws.Int64(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: &first, Error: aws.String("Rejected")}); err != nil {
		t.Fatal(err)
	}
	next("a tolerated failure frees a slot for the fourth item")

	if _, err := c.UpdateMapRun(ctx, &sfn.UpdateMapRunInput{MapRunArn: runArn, ToleratedFailureCount: aws.Int64(0)}); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := e.eng.WaitExecution(wctx, *ex.ExecutionArn); err != nil {
		t.Fatalf("the run did not fail when its tolerance was lowered: %v", err)
	}
	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
	if err != nil || d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != "States.ExceedToleratedFailureThreshold" {
		t.Fatalf("DescribeExecution = %+v, %v", d, err)
	}
	mr, err := c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: runArn})
	if err != nil {
		t.Fatal(err)
	}
	if n := mr.ExecutionCounts; mr.Status != types.MapRunStatusFailed || n.Failed != 1 || n.Aborted != 3 || n.Succeeded != 0 ||
		mr.MaxConcurrency != 3 || mr.ToleratedFailureCount != 0 {
		t.Errorf("DescribeMapRun = %s, counts %+v, maxConcurrency %d, toleratedFailureCount %d", mr.Status, *n, mr.MaxConcurrency, mr.ToleratedFailureCount)
	}
}
