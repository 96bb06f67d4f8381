package stack

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepwise-dev/stepwise/local/sfnapi"
	"github.com/stepwise-dev/stepwise/steps/activity"
)

const activityStepsJSON = `{"steps": {
  "hello": {"arn_placeholder": "HelloFunctionArn", "memory_mb": 128, "timeout_seconds": 10}},
 "activities": {"encode": {"arn_placeholder": "EncodeActivityArn", "description": "Encode a video; hours, so not a Lambda."}}}`

const videoASL = `{
  "StartAt": "Encode",
  "States": {
    "Encode": {"Type": "Task", "Resource": "${EncodeActivityArn}", "HeartbeatSeconds": 60, "ResultPath": "$.encoded", "Next": "Hello"},
    "Hello": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "${HelloFunctionArn}", "Payload.$": "$"}, "OutputPath": "$.Payload", "End": true}
  }
}`

// TestActivitiesOfStepsJSON: the stack creates each activity of
// steps.json as <prefix>-<name> (as Terraform's aws_sfn_activity), fills
// its placeholder with that ARN, and a worker of one's own (package
// steps/activity, through the Step Functions API with the Go SDK) runs the
// workflow's activity Task; a restart on the same data directory keeps the
// activity.
func TestActivitiesOfStepsJSON(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	repo := fstest.MapFS{
		"steps/steps.json":            {Data: []byte(activityStepsJSON)},
		"statemachine/video.asl.json": {Data: []byte(videoASL)},
	}
	dir := t.TempDir()
	opts := Options{DataDir: dir, Repo: repo, Steps: helloSteps(), Prefix: "team", NoS3: true, NoTrigger: true}
	st, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { st.Close() }()
	want := "arn:aws:states:" + st.Endpoints.Region + ":" + st.Endpoints.AccountID + ":activity:team-encode"
	if strings.Join(st.Activities, " ") != want || strings.Join(st.Endpoints.Activities, " ") != want {
		t.Fatalf("activities %v, endpoints %v; want [%s]", st.Activities, st.Endpoints.Activities, want)
	}
	sm, err := st.Engine.DescribeStateMachine(ctx, st.Workflows[0].Arn)
	if err != nil || !strings.Contains(sm.Definition, `"Resource": "`+want+`"`) {
		t.Fatalf("the definition does not name the activity: %v\n%s", err, sm.Definition)
	}

	client := sfn.New(sfn.Options{Region: st.Endpoints.Region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")},
		sfnapi.ClientOptions(st.Endpoints.StepFunctions))
	w := &activity.Worker{Client: client, ActivityArn: want, Name: "encoder-1"}
	workerCtx, stopWorker := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	go func() {
		stopped <- w.Run(workerCtx, activity.Typed(func(ctx context.Context, in struct{ Video string }) (map[string]string, error) {
			return map[string]string{"file": in.Video + ".mp4"}, nil
		}))
	}()
	x, err := client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(st.Workflows[0].AliasArn), Input: aws.String(`{"video":"keynote"}`)})
	if err != nil {
		t.Fatal(err)
	}
	done, err := st.Engine.WaitExecution(ctx, aws.ToString(x.ExecutionArn))
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != "SUCCEEDED" || !strings.Contains(aws.ToString(done.Output), `"encoded":{"file":"keynote.mp4"}`) {
		t.Errorf("execution %s: output %s, error %s %s", done.Status, aws.ToString(done.Output), aws.ToString(done.Error), aws.ToString(done.Cause))
	}
	stopWorker()
	if err := <-stopped; err != nil {
		t.Errorf("worker: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = Open(ctx, opts)
	if err != nil {
		t.Fatalf("restart with the activity in the store: %v", err)
	}
	if strings.Join(st.Activities, " ") != want {
		t.Errorf("after a restart: activities %v", st.Activities)
	}
	list, err := st.Engine.ListActivities(ctx)
	if err != nil || len(list) != 1 {
		t.Errorf("after a restart: %d activities (%v), want the one", len(list), err)
	}
}
