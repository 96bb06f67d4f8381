package sfnapi

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	lambdalocal "github.com/stepwise-dev/stepwise/local/lambda"
	"github.com/stepwise-dev/stepwise/sfntest"
	"github.com/stepwise-dev/stepwise/statemachine"
)

// TestAWSCLIMockConfig drives a mock config file (AWS Step Functions
// Local's format, sfntest/testdata/MockConfigFile.json) through the API
// with the real AWS CLI, as the Step Functions Local documentation does:
// create-state-machine, then start-execution on
// "<stateMachineArn>#HappyPath" (and #RetryPath) runs that test case.
func TestAWSCLIMockConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED with -short: TestAWSCLIMockConfig starts the AWS CLI four times (slow); run without -short")
	}
	const dir = "../../sfntest/testdata/"
	cfg, err := sfntest.LoadMockConfig(dir + "MockConfigFile.json")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := lambdalocal.New(lambdalocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clock := statemachine.NewVirtualClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	clock.SetAuto(true)
	t.Cleanup(clock.Close)
	mocks := sfntest.NewMocks(cfg, rt, nil)
	eng, err := statemachine.New(statemachine.Options{Lambda: mocks, Services: mocks, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	mocks.SetEngine(eng)
	srv := httptest.NewServer(NewHandler(eng, Options{StartHook: mocks.StartHook}))
	t.Cleanup(func() { srv.Close(); eng.Close() })
	aws := newCLI(t, srv.URL, nil)

	sm := aws.ok("create-state-machine", "--name", "LambdaSQSIntegration", "--definition", "file://"+dir+"LambdaSQSIntegration.asl.json",
		"--role-arn", "arn:aws:iam::123456789012:role/DummyRole")
	arn, _ := sm["stateMachineArn"].(string)
	for _, tc := range []struct {
		name     string
		attempts int
	}{{"HappyPath", 1}, {"RetryPath", 4}} {
		start := aws.ok("start-execution", "--state-machine-arn", arn+"#"+tc.name, "--name", tc.name)
		execArn, _ := start["executionArn"].(string)
		if !strings.HasSuffix(execArn, ":execution:LambdaSQSIntegration:"+tc.name) {
			t.Fatalf("%s: start-execution = %v", tc.name, start)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, err := eng.WaitExecution(ctx, execArn)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		// The AWS CLI is slow to start: the rest is read from the engine.
		d, err := eng.DescribeExecution(context.Background(), execArn)
		if err != nil || d.Status != "SUCCEEDED" || d.Output == nil || *d.Output != `{"MD5OfMessageBody":"3bcb6e8e-7h85-4375-b0bc-1a59812c6e51","MessageId":"3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}` {
			t.Fatalf("%s: %+v %v", tc.name, d, err)
		}
		h, _ := eng.GetExecutionHistory(context.Background(), execArn)
		scheduled := 0
		for _, ev := range h {
			if ev.Type == "TaskScheduled" {
				scheduled++
			}
		}
		if scheduled != tc.attempts+1 { // the Lambda attempts and SQSState
			t.Errorf("%s: %d TaskScheduled events, want %d", tc.name, scheduled, tc.attempts+1)
		}
	}
	msg := aws.fail("start-execution", "--state-machine-arn", arn+"#SadPath")
	if !strings.Contains(msg, "ValidationException") || !strings.Contains(msg, "MockConfigFile.json: /StateMachines/LambdaSQSIntegration/TestCases/SadPath: unknown test case") {
		t.Fatalf("unknown test case: %s", msg)
	}
}
