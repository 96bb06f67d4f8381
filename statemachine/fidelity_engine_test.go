package statemachine

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/states"
)

// A .sync child outlives its parent task's TimeoutSeconds: the parent's
// task times out (TaskTimedOut, States.Timeout) and the child, which
// nobody waits for any more, is stopped rather than left running.
func TestSyncChildStoppedWhenParentTaskTimesOut(t *testing.T) {
	h := newHarness(t, "", Options{})
	ctx := context.Background()
	child, err := h.e.CreateStateMachine(ctx, CreateStateMachineInput{Name: "child", RoleArn: "arn:aws:iam::123456789012:role/r",
		Definition: `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`})
	if err != nil {
		t.Fatal(err)
	}
	parent, err := h.e.CreateStateMachine(ctx, CreateStateMachineInput{Name: "parent", RoleArn: "arn:aws:iam::123456789012:role/r",
		Definition: `{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","TimeoutSeconds":5,
		  "Parameters":{"StateMachineArn":"` + child.Arn + `","Name":"kid"},"End":true}}}`})
	if err != nil {
		t.Fatal(err)
	}
	x, err := h.e.StartExecution(ctx, StartExecutionInput{StateMachineArn: parent.Arn, Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.WaitPending(2, nil) // the task's 5 s timer and the child's 60 s Wait
	h.clock.Advance(5 * time.Second)
	got := h.wait(x.ExecutionArn)
	if got.Status != StatusFailed || strOrNil(got.Error) != states.Timeout {
		t.Fatalf("parent: %s %s, want FAILED %s", got.Status, strOrNil(got.Error), states.Timeout)
	}
	if ty := h.types(x.ExecutionArn); !slices.Contains(ty, "TaskTimedOut") {
		t.Errorf("parent history %v has no TaskTimedOut", ty)
	}
	kidArn := "arn:aws:states:" + h.e.opts.Region + ":" + h.e.opts.AccountID + ":execution:child:kid"
	kid := h.wait(kidArn)
	if kid.Status != StatusAborted {
		t.Errorf("child: %s, want ABORTED", kid.Status)
	}
	ty := h.types(kidArn)
	if ty[len(ty)-1] != "ExecutionAborted" {
		t.Errorf("child history %v does not end with ExecutionAborted", ty)
	}
}

// StopExecution's ExecutionAborted is not caused by the run's last event:
// it links to event 0, and the stopped state records no <Type>StateAborted.
func TestStopExecutionAbortedEventLinksToZero(t *testing.T) {
	h := newHarness(t, waitDef, Options{})
	x := h.start("s", `{}`)
	h.clock.WaitPending(1, nil)
	if _, err := h.e.StopExecution(context.Background(), x.ExecutionArn, "Bye", "stopped by test"); err != nil {
		t.Fatal(err)
	}
	h.wait(x.ExecutionArn)
	h.e.Close() // let the run unwind
	events, err := h.e.GetExecutionHistory(context.Background(), x.ExecutionArn)
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.Type != "ExecutionAborted" || last.PreviousEventID != 0 {
		t.Fatalf("last event %s previousEventId %d, want ExecutionAborted 0", last.Type, last.PreviousEventID)
	}
	d, _ := last.Details.(*FailureEventDetails)
	if d == nil || d.Error != "Bye" || d.Cause != "stopped by test" {
		t.Errorf("ExecutionAborted details %+v", last.Details)
	}
	for _, ev := range events {
		if ev.Type == "WaitStateAborted" {
			t.Errorf("history has %s", ev.Type)
		}
	}
}
