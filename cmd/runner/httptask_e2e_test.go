package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepwise-dev/stepwise/local/stack"
)

// TestUpConnections serves the local stack with `runner up --connections
// FILE` and runs a state machine of one's own with an HTTP Task against an
// API on 127.0.0.1: the request carries the connection's API key, the
// history AWS's Task events (resourceType http, resource invoke).
func TestUpConnections(t *testing.T) {
	gotKey := make(chan string, 1)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		gotKey <- r.Header.Get("X-Api-Key")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	defer api.Close()
	dir := t.TempDir()
	conns := filepath.Join(dir, "connections.json")
	if err := os.WriteFile(conns, []byte(`{"crm": {"AuthorizationType": "API_KEY", "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "X-Api-Key", "ApiKeyValue": "k-123"}}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dataDir := filepath.Join(dir, ".stepwise")
	upCtx, stopUp := context.WithCancel(ctx)
	var upOut, upErr lineWaiter // written by runner up while the test reads
	upDone := make(chan int, 1)
	go func() {
		upDone <- run(upCtx, []string{"up", "--addr", "127.0.0.1:0", "--s3-addr", "127.0.0.1:0", "--data-dir", dataDir, "--connections", conns}, strings.NewReader(""), &upOut, &upErr)
	}()
	defer func() {
		stopUp()
		if code := <-upDone; code != 0 {
			t.Errorf("runner up exited %d:\n%s", code, upErr.String())
		}
		stackConnectionsFile = ""
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
	if !upOut.eventually("connections " + conns + " ") {
		t.Errorf("runner up did not print the connections file:\n%s", upOut.String())
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	client := sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(ep.StepFunctions) })
	sm, err := client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("call-crm"), RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		Definition: aws.String(`{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":{"ApiEndpoint":"` + api.URL + `/contacts","Method":"GET",
		  "Authentication":{"ConnectionArn":"arn:aws:events:us-east-1:123456789012:connection/crm/5e1c7d2a"}},"ResultSelector":{"ok.$":"$.ResponseBody.ok"},"End":true}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	x, err := client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	if k := <-gotKey; k != "k-123" {
		t.Errorf("the API got X-Api-Key %q, want the connection's key", k)
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
	if d.Status != "SUCCEEDED" || aws.ToString(d.Output) != `{"ok":true}` {
		t.Fatalf("execution %s: output %s error %s cause %s", d.Status, aws.ToString(d.Output), aws.ToString(d.Error), aws.ToString(d.Cause))
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
		case e.TaskStartedEventDetails != nil:
			seen = append(seen, string(e.Type)+" "+*e.TaskStartedEventDetails.ResourceType+" "+*e.TaskStartedEventDetails.Resource)
		case e.TaskSucceededEventDetails != nil:
			seen = append(seen, string(e.Type)+" "+*e.TaskSucceededEventDetails.ResourceType+" "+*e.TaskSucceededEventDetails.Resource)
		}
	}
	if got := strings.Join(seen, "; "); got != "TaskScheduled http invoke; TaskStarted http invoke; TaskSucceeded http invoke" {
		t.Errorf("task events: %s", got)
	}
}

// TestUpConnectionsBadFile: a connections file with an unsupported
// authorization stops `runner up` before anything starts, naming it.
func TestUpConnectionsBadFile(t *testing.T) {
	dir := t.TempDir()
	conns := filepath.Join(dir, "connections.json")
	if err := os.WriteFile(conns, []byte(`{"crm": {"AuthorizationType": "OAUTH_CLIENT_CREDENTIALS", "AuthParameters": {}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	code := run(context.Background(), []string{"up", "--addr", "127.0.0.1:0", "--s3-addr", "127.0.0.1:0", "--data-dir", filepath.Join(dir, ".stepwise"), "--connections", conns}, strings.NewReader(""), &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), `--connections: integrations: connections file `+conns+`: connection "crm": AuthorizationType OAUTH_CLIENT_CREDENTIALS is not supported locally`) {
		t.Errorf("runner up exited %d:\n%s", code, errOut.String())
	}
}
