package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/stepwise-dev/stepwise/local/sfnapi"
	"github.com/stepwise-dev/stepwise/local/stack"
)

// TestUpEndpointSQS serves the local stack with `runner up --endpoint
// sqs=<moto_server>` and drives it with the Go SDK as a user would: a
// state machine of one's own calling sqs:sendMessage puts its message on
// moto's queue and records AWS's Task events; one calling sns:publish,
// which has no endpoint, is refused at StartExecution with the fix. The
// AWS CLI starts the first and boto3 is refused the second, both with
// their default settings.
func TestUpEndpointSQS(t *testing.T) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("SKIPPED: moto_server is not installed (pip install 'moto[server]'); `runner up --endpoint` is not exercised")
	}
	moto, stop, err := startMoto(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	q, err := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(moto) }).
		CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("up-endpoint")})
	if err != nil {
		t.Fatal(err)
	}

	dataDir := filepath.Join(t.TempDir(), ".stepwise")
	upCtx, stopUp := context.WithCancel(ctx)
	var upOut, upErr lineWaiter // written by runner up while the test reads
	upDone := make(chan int, 1)
	go func() {
		upDone <- run(upCtx, []string{"up", "--addr", "127.0.0.1:0", "--s3-addr", "127.0.0.1:0", "--data-dir", dataDir, "--endpoint", "sqs=" + moto}, strings.NewReader(""), &upOut, &upErr)
	}()
	defer func() {
		stopUp()
		if code := <-upDone; code != 0 {
			t.Errorf("runner up exited %d:\n%s", code, upErr.String())
		}
		stackEndpoints = nil
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
	if !upOut.eventually("endpoint sqs=" + moto + "\n") {
		t.Errorf("runner up did not print the sqs endpoint:\n%s", upOut.String())
	}
	client := sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(ep.StepFunctions) })
	create := func(name, def string) string {
		sm, err := client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String("arn:aws:iam::123456789012:role/r")})
		if err != nil {
			t.Fatal(err)
		}
		return *sm.StateMachineArn
	}

	arn := create("send", `{"StartAt":"Send","States":{"Send":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"`+*q.QueueUrl+`","MessageBody.$":"$.msg"},"ResultSelector":{"id.$":"$.MessageId"},"End":true}}}`)
	x, err := client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"msg":"hello queue"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var d *sfn.DescribeExecutionOutput
	for {
		if d, err = client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: x.ExecutionArn}); err != nil {
			t.Fatal(err)
		}
		if d.Status != "RUNNING" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d.Status != "SUCCEEDED" || !strings.Contains(aws.ToString(d.Output), `"id":"`) {
		t.Fatalf("execution %s: output %s error %s cause %s", d.Status, aws.ToString(d.Output), aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	msgs, err := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(moto) }).
		ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
	if err != nil || len(msgs.Messages) != 1 || aws.ToString(msgs.Messages[0].Body) != "hello queue" {
		t.Fatalf("the queue got %v (%v)", msgs, err)
	}
	h, err := client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: x.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, e := range h.Events {
		switch {
		case e.TaskScheduledEventDetails != nil:
			seen = append(seen, string(e.Type)+" "+*e.TaskScheduledEventDetails.ResourceType+" "+*e.TaskScheduledEventDetails.Resource)
		case e.TaskSucceededEventDetails != nil:
			seen = append(seen, string(e.Type)+" "+*e.TaskSucceededEventDetails.ResourceType+" "+*e.TaskSucceededEventDetails.Resource)
		}
	}
	if got := strings.Join(seen, "; "); got != "TaskScheduled sqs sendMessage; TaskSucceeded sqs sendMessage" {
		t.Errorf("task events: %s", got)
	}

	sendArn := arn

	arn = create("publish", `{"StartAt":"Notify","States":{"Notify":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Parameters":{"TopicArn":"arn:aws:sns:us-east-1:123456789012:t","Message":"m"},"End":true}}}`)
	_, err = client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn)})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" || !strings.Contains(ae.ErrorMessage(), "the state 'Notify' calls arn:aws:states:::sns:publish, but no sns endpoint is configured: start the stack with `runner up --endpoint sns=URL` or set AWS_ENDPOINT_URL_SNS") {
		t.Errorf("StartExecution without an sns endpoint: %v", err)
	}

	// The same through the AWS CLI and boto3, with their default settings
	// and the endpoint runner up prints for them.
	cliEndpoint := sfnapi.CLIEndpoint(ep.StepFunctions)
	if _, err := exec.LookPath("aws"); err != nil {
		t.Log("SKIPPED the AWS CLI part: the AWS CLI (`aws`) is not on PATH")
	} else {
		cli := awsCLI(t, cliEndpoint)
		cli("start-execution", "--state-machine-arn", sendArn, "--name", "cli", "--input", `{"msg":"from the cli"}`)
		if d := waitCLI(t, cli, strings.Replace(sendArn, ":stateMachine:", ":execution:", 1)+":cli"); d["status"] != "SUCCEEDED" {
			t.Errorf("AWS CLI start of sqs:sendMessage: %v", d)
		}
	}
	py := `
import boto3, botocore, sys
c = boto3.client("stepfunctions", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
try:
    c.start_execution(stateMachineArn=sys.argv[2])
    print("started")
except botocore.exceptions.ClientError as e:
    print(e.response["Error"]["Code"], e.response["Error"]["Message"])
`
	cmd := exec.Command("python3", "-c", py, cliEndpoint, arn)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_EC2_METADATA_DISABLED=true"}
	for _, k := range []string{"PYENV_ROOT", "PYENV_VERSION", "PYTHONPATH", "VIRTUAL_ENV"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("SKIPPED the boto3 part: python3 with boto3 did not run: %v\n%s", err, out)
	} else if !strings.HasPrefix(string(out), "ValidationException the state 'Notify' calls arn:aws:states:::sns:publish, but no sns endpoint is configured") {
		t.Errorf("boto3 start without an sns endpoint: %s", out)
	}
}
