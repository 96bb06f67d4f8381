package statemachine

import (
	"context"
	"testing"
)

// TestTaskInfoInInvokerContext: a Lambda invoker learns from its context
// which state of which execution it runs for.
func TestTaskInfoInInvokerContext(t *testing.T) {
	var got TaskInfo
	var ok bool
	lambda := lambdaFunc{InvokeFunc: func(ctx context.Context, function string, payload []byte) (LambdaResult, error) {
		got, ok = TaskInfoFrom(ctx)
		return LambdaResult{Payload: []byte(`{}`)}, nil
	}}
	h := newHarness(t, `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}}`, Options{Lambda: lambda})
	x := h.start("one", `{}`)
	if d := h.wait(x.ExecutionArn); d.Status != StatusSucceeded {
		t.Fatalf("status %s", d.Status)
	}
	want := TaskInfo{ExecutionArn: x.ExecutionArn, StateName: "Work", Resource: "arn:aws:lambda:us-east-1:123456789012:function:f"}
	if !ok || got != want {
		t.Fatalf("TaskInfoFrom = %+v, %v; want %+v", got, ok, want)
	}
	if _, ok := TaskInfoFrom(context.Background()); ok {
		t.Fatal("TaskInfoFrom(Background) reported a TaskInfo")
	}
}
