package stack

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// logTap is a slog.Handler that hands records whose message starts with
// prefix to a channel, so a test can wait for an event without polling.
type logTap struct {
	prefix string
	ch     chan slog.Record
}

func (l *logTap) Enabled(context.Context, slog.Level) bool { return true }
func (l *logTap) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, l.prefix) {
		l.ch <- r
	}
	return nil
}
func (l *logTap) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logTap) WithGroup(string) slog.Handler      { return l }

// TestFullStack opens the whole stack — S3, the export workflow rendered
// from statemachine/export.asl.json, the trigger — and checks that an
// export request object put into requests/ starts exactly one execution of
// the deployed workflow, with the trigger's input.
func TestFullStack(t *testing.T) {
	ctx := context.Background()
	tap := &logTap{prefix: "trigger: ", ch: make(chan slog.Record, 16)}
	planned := make(chan map[string]any, 1)
	opts := Options{
		DataDir: t.TempDir(), Repo: repo, Logger: slog.New(tap),
		Steps: map[string]any{
			// A stand-in plan step: records its input, then fails, which
			// ends the execution through the workflow's Catch.
			"plan": func(in map[string]any) (any, error) {
				planned <- in
				return nil, errors.New("stand-in plan step")
			},
		},
	}
	st, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Endpoints.S3 == "" || !strings.HasSuffix(st.Endpoints.StateMachineArn, ":stateMachine:stepwise-export") {
		t.Fatalf("endpoints %+v", st.Endpoints)
	}
	c := sfnClient(st.Endpoints.StepFunctions)
	sm, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(st.Endpoints.StateMachineArn)})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(*sm.Definition, "${") || !strings.Contains(*sm.Definition, "arn:aws:lambda:us-east-1:123456789012:function:stepwise-plan") {
		t.Errorf("deployed definition not rendered: %.300s", *sm.Definition)
	}

	s3c, err := newS3Client(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(st.Endpoints.Bucket), Key: aws.String("requests/r1.json"),
		Body: strings.NewReader(`{"source":"x"}`)}); err != nil {
		t.Fatal(err)
	}
	// Another prefix: no execution.
	if _, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(st.Endpoints.Bucket), Key: aws.String("uploads/data.csv"),
		Body: strings.NewReader("a,b\n")}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-tap.ch:
		if !strings.Contains(r.Message, "S3 object created") {
			t.Fatalf("trigger logged %q", r.Message)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the trigger did not start an execution within 30s")
	}
	in := <-planned
	input, _ := in["input"].(map[string]any)
	req, _ := input["request"].(map[string]any)
	if input["trigger"] != "s3" || req["key"] != "requests/r1.json" || req["bucket"] != st.Endpoints.Bucket {
		t.Errorf("plan step got input %v, want the trigger's transformed event", in)
	}
	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(st.Endpoints.StateMachineArn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Executions) != 1 || !strings.HasPrefix(*list.Executions[0].Name, "s3-") {
		t.Errorf("executions %+v, want exactly one named s3-...", list.Executions)
	}
}

func newS3Client(ctx context.Context, st *Stack) (*awss3.Client, error) {
	return st.s3.NewClient(ctx)
}
