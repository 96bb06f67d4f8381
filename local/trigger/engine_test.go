package trigger_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/local/trigger"
	"github.com/stepwise-dev/stepwise/statemachine"
)

// TestTriggerStartsOneEngineExecution wires the trigger to the real engine
// as the local stack does: an object put into the local S3 starts exactly
// one execution, although the event is delivered three times (twice while
// the execution runs, once after it ended).
func TestTriggerStartsOneEngineExecution(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	eng, err := statemachine.New(statemachine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	// A long Wait keeps the execution RUNNING for the first redelivery.
	sm, err := eng.CreateStateMachine(ctx, statemachine.CreateStateMachineInput{Name: "export",
		Definition: `{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":3600,"End":true}}}`})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := trigger.Load(patternFile, transformerFile, func(ctx context.Context, name, input string) error {
		_, err := eng.StartExecution(ctx, statemachine.StartExecutionInput{StateMachineArn: sm.Arn, Name: name, Input: input, InputSet: true})
		if errors.Is(err, statemachine.ErrExecutionAlreadyExists) {
			return fmt.Errorf("%w: %v", trigger.ErrDuplicate, err)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	srv, err := locals3.Start(ctx, locals3.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := srv.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("requests/r1.json"), Body: strings.NewReader(`{}`)}); err != nil {
		t.Fatal(err)
	}
	event, _ := json.Marshal(<-srv.Events())

	list := func() []*statemachine.Execution {
		t.Helper()
		execs, err := eng.ListExecutions(ctx, statemachine.ListExecutionsInput{StateMachineArn: sm.Arn})
		if err != nil {
			t.Fatal(err)
		}
		return execs
	}
	for i := range 2 {
		if _, err := tr.Deliver(ctx, event); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
	}
	execs := list()
	if len(execs) != 1 || execs[0].Status != "RUNNING" {
		t.Fatalf("after two deliveries: %d executions, want 1 RUNNING", len(execs))
	}
	if _, err := eng.StopExecution(ctx, execs[0].ExecutionArn, "", ""); err != nil {
		t.Fatal(err)
	}
	out, err := tr.Deliver(ctx, event)
	if err != nil || out != trigger.Duplicate {
		t.Errorf("delivery after the execution ended: %v, %v; want Duplicate", out, err)
	}
	if n := len(list()); n != 1 {
		t.Errorf("%d executions, want 1", n)
	}
	var in struct{ Request struct{ Bucket, Key string } }
	if err := json.Unmarshal([]byte(*execs[0].Input), &in); err != nil || in.Request.Key != "requests/r1.json" {
		t.Errorf("execution input %s", *execs[0].Input)
	}
}
