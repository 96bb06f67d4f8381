package sfnapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// activityEnv is an API server over an engine whose GetActivityTask waits
// at most pollTimeout, and a Go SDK client with default options but the
// endpoint.
func activityEnv(t *testing.T, pollTimeout time.Duration) (*sfn.Client, *statemachine.Engine, string) {
	t.Helper()
	eng, err := statemachine.New(statemachine.Options{ActivityPollTimeout: pollTimeout})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(eng, Options{}))
	t.Cleanup(func() {
		srv.Close()
		eng.Close()
	})
	client := sfn.New(sfn.Options{
		Region:       "eu-west-3",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		BaseEndpoint: aws.String(srv.URL),
	})
	return client, eng, srv.URL
}

func activityMachine(activityArn string) string {
	return `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"` + activityArn + `","HeartbeatSeconds":60,"TimeoutSeconds":600,"End":true}}}`
}

// TestSDKActivities: the activity operations with the Go SDK's default
// options (no host-prefix setting): create (idempotent), describe, list
// with paging, tags, a worker's poll and answer, an empty poll, delete,
// and the errors AWS names.
func TestSDKActivities(t *testing.T) {
	c, _, _ := activityEnv(t, 200*time.Millisecond)
	ctx := context.Background()
	created, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("resize"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("media")}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.ActivityArn)
	if !strings.HasSuffix(arn, ":activity:resize") || created.CreationDate == nil {
		t.Fatalf("CreateActivity = %+v", created)
	}
	again, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("resize")})
	if err != nil || aws.ToString(again.ActivityArn) != arn {
		t.Fatalf("CreateActivity again: %+v %v", again, err)
	}
	for _, n := range []string{"a", "b"} {
		if _, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(arn)})
	if err != nil || aws.ToString(d.Name) != "resize" || d.CreationDate == nil {
		t.Fatalf("DescribeActivity = %+v %v", d, err)
	}
	var names []string
	p := sfn.NewListActivitiesPaginator(c, &sfn.ListActivitiesInput{MaxResults: 2})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range out.Activities {
			names = append(names, aws.ToString(a.Name))
		}
	}
	if strings.Join(names, ",") != "resize,a,b" || pages != 2 {
		t.Fatalf("ListActivities pages %d: %v", pages, names)
	}
	tags, err := c.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "media" {
		t.Fatalf("ListTagsForResource = %+v %v", tags, err)
	}

	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("m"), RoleArn: aws.String("arn:aws:iam::123456789012:role/r"), Definition: aws.String(activityMachine(arn))})
	if err != nil {
		t.Fatal(err)
	}
	x, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`{"image":"cat.png"}`)})
	if err != nil {
		t.Fatal(err)
	}
	task, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(arn), WorkerName: aws.String("go-worker")})
	if err != nil || aws.ToString(task.TaskToken) == "" || aws.ToString(task.Input) != `{"image":"cat.png"}` {
		t.Fatalf("GetActivityTask = %+v %v", task, err)
	}
	if _, err := c.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: task.TaskToken}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{"w":10}`)}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, aws.ToString(x.ExecutionArn), "SUCCEEDED")
	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: x.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var sched *types.ActivityScheduledEventDetails
	var worker string
	for _, ev := range h.Events {
		if ev.ActivityScheduledEventDetails != nil {
			sched = ev.ActivityScheduledEventDetails
		}
		if ev.ActivityStartedEventDetails != nil {
			worker = aws.ToString(ev.ActivityStartedEventDetails.WorkerName)
		}
	}
	if sched == nil || aws.ToString(sched.Resource) != arn || aws.ToInt64(sched.HeartbeatInSeconds) != 60 || aws.ToInt64(sched.TimeoutInSeconds) != 600 || worker != "go-worker" {
		t.Fatalf("history details: scheduled %+v worker %q", sched, worker)
	}

	// No task: the poll answers after the poll timeout with no token.
	empty, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(arn)})
	if err != nil || empty.TaskToken != nil || empty.Input != nil {
		t.Fatalf("empty poll = %+v %v", empty, err)
	}
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{}`)}); !errorCode(err, "TaskDoesNotExist") {
		t.Errorf("answer again: %v, want TaskDoesNotExist", err)
	}
	for _, tc := range []struct {
		call func() error
		code string
	}{
		{func() error {
			_, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("has space")})
			return err
		}, "InvalidName"},
		{func() error {
			_, err := c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String("not-an-arn")})
			return err
		}, "InvalidArn"},
		{func() error {
			_, err := c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(arn + "x")})
			return err
		}, "ActivityDoesNotExist"},
		{func() error {
			_, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(arn + "x")})
			return err
		}, "ActivityDoesNotExist"},
		{func() error {
			_, err := c.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: aws.String(aws.ToString(sm.StateMachineArn))})
			return err
		}, "InvalidArn"},
	} {
		if err := tc.call(); !errorCode(err, tc.code) {
			t.Errorf("got %v, want %s", err, tc.code)
		}
	}
	if _, err := c.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(arn)}); !errorCode(err, "ActivityDoesNotExist") {
		t.Fatalf("describe after delete: %v", err)
	}
}

func errorCode(err error, code string) bool {
	var ae interface{ ErrorCode() string }
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

func waitStatus(t *testing.T, c *sfn.Client, arn, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if string(d.Status) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s is %s, want %s", arn, d.Status, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestAWSCLIActivities drives activities with the real AWS CLI:
// create-activity, describe-activity, list-activities, get-activity-task,
// send-task-success, delete-activity.
func TestAWSCLIActivities(t *testing.T) {
	c, _, url := activityEnv(t, time.Second)
	aws := newCLI(t, CLIEndpoint(url), nil)
	created := aws.ok("create-activity", "--name", "cli-act", "--tags", "key=team,value=ops")
	arn, _ := created["activityArn"].(string)
	if !strings.HasSuffix(arn, ":activity:cli-act") || created["creationDate"] == nil {
		t.Fatalf("create-activity = %v", created)
	}
	if d := aws.ok("describe-activity", "--activity-arn", arn); d["name"] != "cli-act" {
		t.Fatalf("describe-activity = %v", d)
	}
	if l := aws.ok("list-activities"); len(l["activities"].([]any)) != 1 {
		t.Fatalf("list-activities = %v", l)
	}
	if tags := aws.ok("list-tags-for-resource", "--resource-arn", arn); len(tags["tags"].([]any)) != 1 {
		t.Fatalf("list-tags-for-resource = %v", tags)
	}
	ctx := context.Background()
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: awsString("m"), RoleArn: awsString("arn:aws:iam::123456789012:role/r"), Definition: awsString(activityMachine(arn))})
	if err != nil {
		t.Fatal(err)
	}
	x, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: awsString(`{"n":3}`)})
	if err != nil {
		t.Fatal(err)
	}
	task := aws.ok("get-activity-task", "--activity-arn", arn, "--worker-name", "cli-worker")
	token, _ := task["taskToken"].(string)
	if token == "" || task["input"] != `{"n":3}` {
		t.Fatalf("get-activity-task = %v", task)
	}
	aws.ok("send-task-heartbeat", "--task-token", token)
	aws.ok("send-task-success", "--task-token", token, "--task-output", `{"n":4}`)
	waitStatus(t, c, *x.ExecutionArn, "SUCCEEDED")
	if stderr := aws.fail("send-task-success", "--task-token", token, "--task-output", `{}`); !strings.Contains(stderr, "TaskDoesNotExist") {
		t.Errorf("answer again: %s", stderr)
	}
	if stderr := aws.fail("describe-activity", "--activity-arn", arn+"-nope"); !strings.Contains(stderr, "ActivityDoesNotExist") {
		t.Errorf("describe-activity of a missing one: %s", stderr)
	}
	aws.ok("delete-activity", "--activity-arn", arn)
	if l := aws.ok("list-activities"); len(l["activities"].([]any)) != 0 {
		t.Fatalf("list-activities after delete = %v", l)
	}
}

func awsString(s string) *string { return &s }

// boto3ActivityScript is a worker written with boto3: it creates the
// activity, tells the test its ARN, polls, answers and deletes it.
const boto3ActivityScript = `
import json, sys, boto3
c = boto3.client("stepfunctions", endpoint_url=sys.argv[1], region_name="eu-west-3",
                 aws_access_key_id="AKIDLOCAL", aws_secret_access_key="secret")
arn = c.create_activity(name="boto-act")["activityArn"]
print(arn, flush=True)
task = c.get_activity_task(activityArn=arn, workerName="boto-worker")
c.send_task_heartbeat(taskToken=task["taskToken"])
c.send_task_success(taskToken=task["taskToken"], output=json.dumps({"seen": json.loads(task["input"])}))
empty = c.get_activity_task(activityArn=arn)
names = [a["name"] for a in c.list_activities()["activities"]]
c.delete_activity(activityArn=arn)
print(json.dumps({"names": names, "emptyToken": empty.get("taskToken"), "left": len(c.list_activities()["activities"])}))
`

func TestBoto3Activities(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("SKIPPED: python3 is not on PATH; the boto3 compatibility test needs python3 with boto3")
	}
	if out, err := exec.Command(py, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Skipf("SKIPPED: boto3 is not importable (pip install boto3 to run the boto3 compatibility test): %s", strings.TrimSpace(string(out)))
	}
	c, _, url := activityEnv(t, 300*time.Millisecond)
	dir := t.TempDir()
	script := filepath.Join(dir, "worker.py")
	os.WriteFile(script, []byte(boto3ActivityScript), 0o600)
	cmd := exec.Command(py, script, url)
	cmd.Env = pythonEnv(dir, os.DevNull, os.DevNull)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(stdout)
	var arn string
	buf := make([]byte, 0, 256)
	for one := make([]byte, 1); ; {
		if _, err := stdout.Read(one); err != nil {
			t.Fatalf("reading the activity ARN: %v\n%s", err, stderr.String())
		}
		if one[0] == '\n' {
			break
		}
		buf = append(buf, one[0])
	}
	arn = string(buf)
	ctx := context.Background()
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: awsString("m"), RoleArn: awsString("arn:aws:iam::123456789012:role/r"), Definition: awsString(activityMachine(arn))})
	if err != nil {
		t.Fatal(err)
	}
	x, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: awsString(`{"k":"v"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Names      []string
		EmptyToken *string
		Left       int
	}
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("boto3 worker: %v\n%s", err, stderr.String())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("boto3 worker: %v\n%s", err, stderr.String())
	}
	waitStatus(t, c, *x.ExecutionArn, "SUCCEEDED")
	d, _ := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: x.ExecutionArn})
	if aws.ToString(d.Output) != `{"seen":{"k":"v"}}` {
		t.Errorf("output %s", aws.ToString(d.Output))
	}
	if strings.Join(res.Names, ",") != "boto-act" || res.EmptyToken != nil || res.Left != 0 {
		t.Errorf("boto3 worker saw %+v", res)
	}
}
