package statemachine

import (
	"context"
	"slices"
	"testing"
)

// A durable execution resumed after a crash while its activity Task was
// scheduled or held by a worker schedules the task again with a new token
// (at-least-once, as a Lambda Task in flight is invoked again); a worker
// answering with the token of before the crash gets TaskTimedOut ("the
// task associated with the token has already been closed"), not
// TaskDoesNotExist ("the activity does not exist").
func TestActivityResumedAfterCrash(t *testing.T) {
	for _, taken := range []bool{false, true} {
		name := map[bool]string{false: "scheduled", true: "started"}[taken]
		t.Run(name, func(t *testing.T) {
			store := newMemStore()
			h, arn := newActivityHarness(t, `,"HeartbeatSeconds":60`, Options{Store: store})
			x := h.start("job", `{"n":1}`)
			var old ActivityTask
			if taken {
				old = poll(t, h.e, arn, "worker-1")
				if old.TaskToken == "" {
					t.Fatal("no task before the crash")
				}
			}
			h.e.Close() // the process dies

			h2 := newHarness(t, "", Options{Store: store})
			ctx := context.Background()
			task := poll(t, h2.e, arn, "worker-2")
			if task.TaskToken == "" || task.Input != `{"n":1}` || task.TaskToken == old.TaskToken {
				t.Fatalf("task after the resume %+v (before: %q)", task, old.TaskToken)
			}
			if taken {
				for _, send := range []func() error{
					func() error { return h2.e.SendTaskSuccess(ctx, old.TaskToken, `{}`) },
					func() error { return h2.e.SendTaskFailure(ctx, old.TaskToken, "E", "") },
					func() error { return h2.e.SendTaskHeartbeat(ctx, old.TaskToken) },
				} {
					if err := send(); !isCode(err, "TaskTimedOut") {
						t.Fatalf("the token of before the crash: %v, want TaskTimedOut", err)
					}
				}
			}
			if err := h2.e.SendTaskSuccess(ctx, task.TaskToken, `{"done":1}`); err != nil {
				t.Fatal(err)
			}
			got := h2.wait(x.ExecutionArn)
			if got.Status != StatusSucceeded || strOrNil(got.Output) != `{"done":1}` {
				t.Fatalf("got %s %s", got.Status, strOrNil(got.Output))
			}
			want := []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"}
			if ty := h2.types(x.ExecutionArn); !slices.Equal(ty, want) {
				t.Fatalf("history %v, want %v", ty, want)
			}
			evs, _ := h2.e.GetExecutionHistory(ctx, x.ExecutionArn)
			for i, ev := range evs {
				if ev.ID != int64(i+1) || (i > 1 && ev.PreviousEventID != int64(i)) {
					t.Fatalf("event %d (%s) has id %d prev %d", i, ev.Type, ev.ID, ev.PreviousEventID)
				}
			}
		})
	}
}
