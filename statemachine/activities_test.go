package statemachine

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/states"
)

func activityDef(arn, extra string) string {
	return `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"` + arn + `"` + extra + `,"End":true}}}`
}

func newActivityHarness(t *testing.T, extra string, opts Options) (*harness, string) {
	t.Helper()
	h := newHarness(t, "", opts)
	a, err := h.e.CreateActivity(context.Background(), "work", nil)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := h.e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "m", Definition: activityDef(a.ActivityArn, extra), RoleArn: "arn:aws:iam::123456789012:role/r"})
	if err != nil {
		t.Fatal(err)
	}
	h.sm = sm.Arn
	return h, a.ActivityArn
}

func poll(t *testing.T, e *Engine, arn, worker string) ActivityTask {
	t.Helper()
	task, err := e.GetActivityTask(context.Background(), arn, worker)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func TestActivityControlPlane(t *testing.T) {
	h := newHarness(t, "", Options{Store: newMemStore()})
	ctx := context.Background()
	a, err := h.e.CreateActivity(ctx, "resize", []Tag{{"team", "media"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.ActivityArn != "arn:aws:states:us-east-1:123456789012:activity:resize" || a.Name != "resize" {
		t.Fatalf("created %+v", a)
	}
	// Idempotent on the name; different tags are ignored, not applied.
	again, err := h.e.CreateActivity(ctx, "resize", []Tag{{"team", "other"}})
	if err != nil || again.ActivityArn != a.ActivityArn || !again.CreationDate.Equal(a.CreationDate) {
		t.Fatalf("create again: %+v %v", again, err)
	}
	if tags, _ := h.e.ListTagsForResource(ctx, a.ActivityArn); len(tags) != 1 || tags[0].Value != "media" {
		t.Fatalf("tags after idempotent create: %v", tags)
	}
	if err := h.e.TagResource(ctx, a.ActivityArn, []Tag{{"env", "dev"}}); err != nil {
		t.Fatal(err)
	}
	if err := h.e.UntagResource(ctx, a.ActivityArn, []string{"team"}); err != nil {
		t.Fatal(err)
	}
	if tags, _ := h.e.ListTagsForResource(ctx, a.ActivityArn); len(tags) != 1 || tags[0] != (Tag{"env", "dev"}) {
		t.Fatalf("tags: %v", tags)
	}
	for _, bad := range []string{"", "has space", "a:b", "x/y", strings.Repeat("n", 81), "br{ace"} {
		if _, err := h.e.CreateActivity(ctx, bad, nil); !isCode(err, "InvalidName") {
			t.Errorf("CreateActivity(%q): %v, want InvalidName", bad, err)
		}
	}
	if _, err := h.e.CreateActivity(ctx, "second", nil); err != nil {
		t.Fatal(err)
	}
	// Durable: a new engine on the same store sees both, in order.
	e2, err := New(Options{Store: h.e.opts.Store, Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	list, _ := e2.ListActivities(ctx)
	if len(list) != 2 || list[0].Name != "resize" || list[1].Name != "second" {
		t.Fatalf("after reload: %+v", list)
	}
	if tags, _ := e2.ListTagsForResource(ctx, a.ActivityArn); len(tags) != 1 || tags[0] != (Tag{"env", "dev"}) {
		t.Fatalf("tags after reload: %v", tags)
	}
	if err := e2.DeleteActivity(ctx, a.ActivityArn); err != nil {
		t.Fatal(err)
	}
	if err := e2.DeleteActivity(ctx, a.ActivityArn); err != nil {
		t.Fatalf("deleting a deleted activity: %v, want success", err)
	}
	if _, err := e2.DescribeActivity(ctx, a.ActivityArn); !isCode(err, "ActivityDoesNotExist") {
		t.Fatalf("describe deleted: %v", err)
	}
	for _, bad := range []string{"nope", "arn:aws:states:us-east-1:123456789012:stateMachine:m"} {
		if _, err := e2.DescribeActivity(ctx, bad); !isCode(err, "InvalidArn") {
			t.Errorf("DescribeActivity(%q): %v, want InvalidArn", bad, err)
		}
	}
	if _, err := e2.GetActivityTask(ctx, a.ActivityArn, "w"); !isCode(err, "ActivityDoesNotExist") {
		t.Fatalf("poll deleted: %v", err)
	}
}

func isCode(err error, code string) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == code
}

// A task that waits for a worker, is taken by one (ActivityStarted with
// its name) and succeeds; the history is AWS-shaped.
func TestActivityTaskSucceeds(t *testing.T) {
	h, arn := newActivityHarness(t, `,"TimeoutSeconds":300,"HeartbeatSeconds":60`, Options{})
	x := h.start("ok", `{"n":1}`)
	task := poll(t, h.e, arn, "worker-1")
	if task.TaskToken == "" || task.Input != `{"n":1}` {
		t.Fatalf("task %+v", task)
	}
	if err := h.e.SendTaskHeartbeat(context.Background(), task.TaskToken); err != nil {
		t.Fatal(err)
	}
	if err := h.e.SendTaskSuccess(context.Background(), task.TaskToken, `{"done":true}`); err != nil {
		t.Fatal(err)
	}
	got := h.wait(x.ExecutionArn)
	if got.Status != StatusSucceeded || strOrNil(got.Output) != `{"done":true}` {
		t.Fatalf("got %s %s", got.Status, strOrNil(got.Output))
	}
	evs, _ := h.e.GetExecutionHistory(context.Background(), x.ExecutionArn)
	b, _ := json.Marshal(evs)
	var hist []map[string]any
	_ = json.Unmarshal(b, &hist)
	want := []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"}
	if ty := h.types(x.ExecutionArn); !slices.Equal(ty, want) {
		t.Fatalf("history %v, want %v", ty, want)
	}
	for i, ev := range hist {
		prev := float64(i) // the first state's entered event links to 0, as AWS records
		if i == 1 {
			prev = 0
		}
		if ev["id"].(float64) != float64(i+1) || ev["previousEventId"].(float64) != prev {
			t.Errorf("event %d: id %v previousEventId %v", i, ev["id"], ev["previousEventId"])
		}
	}
	sched := hist[2]["activityScheduledEventDetails"].(map[string]any)
	if sched["resource"] != arn || sched["input"] != `{"n":1}` || sched["timeoutInSeconds"] != 300.0 || sched["heartbeatInSeconds"] != 60.0 {
		t.Errorf("ActivityScheduled details %v", sched)
	}
	if d := hist[3]["activityStartedEventDetails"].(map[string]any); d["workerName"] != "worker-1" {
		t.Errorf("ActivityStarted details %v", d)
	}
	if d := hist[4]["activitySucceededEventDetails"].(map[string]any); d["output"] != `{"done":true}` {
		t.Errorf("ActivitySucceeded details %v", d)
	}
	if err := h.e.SendTaskSuccess(context.Background(), task.TaskToken, `{}`); !isCode(err, "TaskDoesNotExist") {
		t.Errorf("answer after success: %v, want TaskDoesNotExist", err)
	}
}

// A missed heartbeat: ActivityTimedOut with States.HeartbeatTimeout, which
// Retry retries (a second worker then succeeds) and a late answer gets
// TaskTimedOut.
func TestActivityHeartbeatTimeoutRetried(t *testing.T) {
	h, arn := newActivityHarness(t, `,"HeartbeatSeconds":10,"Retry":[{"ErrorEquals":["States.HeartbeatTimeout"],"MaxAttempts":1,"IntervalSeconds":1}]`, Options{})
	x := h.start("hb", `{}`)
	first := poll(t, h.e, arn, "slow")
	h.clock.WaitPending(1, nil)
	h.clock.Advance(10 * time.Second)
	h.clock.WaitPending(1, nil) // the retry interval
	h.clock.Advance(time.Second)
	second := poll(t, h.e, arn, "fast")
	if err := h.e.SendTaskSuccess(context.Background(), first.TaskToken, `{}`); !isCode(err, "TaskTimedOut") {
		t.Fatalf("late answer: %v, want TaskTimedOut", err)
	}
	if err := h.e.SendTaskSuccess(context.Background(), second.TaskToken, `"ok"`); err != nil {
		t.Fatal(err)
	}
	if got := h.wait(x.ExecutionArn); got.Status != StatusSucceeded {
		t.Fatalf("got %s", got.Status)
	}
	want := []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivityTimedOut",
		"ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"}
	if ty := h.types(x.ExecutionArn); !slices.Equal(ty, want) {
		t.Fatalf("history %v, want %v", ty, want)
	}
}

// TimeoutSeconds runs from the scheduling: a task no worker takes times
// out with States.Timeout, caught by Catch.
func TestActivityTimeoutCaught(t *testing.T) {
	h, arn := newActivityHarness(t, ``, Options{})
	sm, err := h.e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "caught", RoleArn: "arn:aws:iam::123456789012:role/r",
		Definition: `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"` + arn + `","TimeoutSeconds":30,
		  "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},"Caught":{"Type":"Pass","End":true}}}`})
	if err != nil {
		t.Fatal(err)
	}
	h.sm = sm.Arn
	x := h.start("t", `{}`)
	h.clock.WaitPending(1, nil)
	h.clock.Advance(30 * time.Second)
	got := h.wait(x.ExecutionArn)
	if got.Status != StatusSucceeded || !strings.Contains(strOrNil(got.Output), states.Timeout) {
		t.Fatalf("got %s %s", got.Status, strOrNil(got.Output))
	}
	if ty := h.types(x.ExecutionArn); !slices.Contains(ty, "ActivityTimedOut") || slices.Contains(ty, "ActivityStarted") {
		t.Fatalf("history %v", ty)
	}
}

// An execution stopped while a worker holds its task: the task leaves the
// queue, and the worker's answer gets TaskTimedOut.
func TestActivityStoppedExecution(t *testing.T) {
	h, arn := newActivityHarness(t, ``, Options{ActivityPollTimeout: 50 * time.Millisecond})
	x := h.start("a", `{}`)
	task := poll(t, h.e, arn, "w")
	y := h.start("b", `{}`)
	if _, err := h.e.StopExecution(context.Background(), y.ExecutionArn, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.StopExecution(context.Background(), x.ExecutionArn, "", ""); err != nil {
		t.Fatal(err)
	}
	h.wait(x.ExecutionArn)
	if err := h.e.SendTaskSuccess(context.Background(), task.TaskToken, `{}`); !isCode(err, "TaskTimedOut") {
		t.Fatalf("answer for a stopped execution: %v, want TaskTimedOut", err)
	}
	if got := poll(t, h.e, arn, "w"); got.TaskToken != "" {
		t.Fatalf("the stopped execution's queued task was handed out: %+v", got)
	}
}

// A Task on an activity that does not exist fails with
// ActivityScheduleFailed.
func TestActivityScheduleFailed(t *testing.T) {
	h := newHarness(t, activityDef("arn:aws:states:us-east-1:123456789012:activity:missing", ""), Options{})
	x := h.start("m", `{}`)
	got := h.wait(x.ExecutionArn)
	if got.Status != StatusFailed || strOrNil(got.Error) != "ActivityDoesNotExist" {
		t.Fatalf("got %s %s", got.Status, strOrNil(got.Error))
	}
	if ty := h.types(x.ExecutionArn); !slices.Contains(ty, "ActivityScheduleFailed") {
		t.Fatalf("history %v", ty)
	}
}

// A poll that waits gets a task scheduled later; one that times out gets
// none.
func TestGetActivityTaskLongPoll(t *testing.T) {
	h, arn := newActivityHarness(t, ``, Options{ActivityPollTimeout: 100 * time.Millisecond})
	if got := poll(t, h.e, arn, "w"); got.TaskToken != "" {
		t.Fatalf("empty queue: %+v", got)
	}
	done := make(chan ActivityTask, 1)
	go func() { done <- poll(t, h.e, arn, "w") }()
	time.Sleep(20 * time.Millisecond)
	h.start("late", `{"x":2}`)
	if got := <-done; got.Input != `{"x":2}` {
		t.Fatalf("long poll got %+v", got)
	}
}

// TestState runs an activity Task only with a mock, as the API reference
// says.
func TestTestStateActivityNeedsMock(t *testing.T) {
	h := newHarness(t, "", Options{})
	def := `{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:work","End":true}`
	if _, err := h.e.TestState(context.Background(), TestStateInput{Definition: def, Input: `{}`}); !isCode(err, "ValidationException") {
		t.Fatalf("without a mock: %v, want ValidationException", err)
	}
	out, err := h.e.TestState(context.Background(), TestStateInput{Definition: def, Input: `{}`, Mock: &TestStateMock{Result: `{"ok":true}`}})
	if err != nil || out.Status != "SUCCEEDED" {
		t.Fatalf("with a mock: %+v %v", out, err)
	}
}

// An activity ARN is a valid Task Resource, with or without a worker; a
// malformed one is not.
func TestValidateActivityResource(t *testing.T) {
	h := newHarness(t, "", Options{})
	ok := activityDef("arn:aws:states:eu-west-3:123456789012:activity:encode-video", `,"HeartbeatSeconds":60,"TimeoutSeconds":600`)
	for _, d := range h.e.ValidateDefinition(ok, TypeStandard) {
		if d.Severity == "ERROR" {
			t.Errorf("activity Resource rejected: %+v", d)
		}
	}
	bad := activityDef("arn:aws:states:eu-west-3:123456789012", "")
	if diags := h.e.ValidateDefinition(bad, TypeStandard); len(diags) == 0 {
		t.Errorf("a truncated ARN was accepted")
	}
}
