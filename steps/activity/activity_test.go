package activity_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepwise-dev/stepwise/local/sfnapi"
	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/statemachine/vclock"
	"github.com/stepwise-dev/stepwise/steps/activity"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// stack is the local Step Functions API over an engine on an
// auto-advancing virtual clock, and a real Go SDK client for it.
type stack struct {
	eng    *statemachine.Engine
	clock  *vclock.Clock
	client *sfn.Client
}

func newStack(t *testing.T) *stack {
	t.Helper()
	clk := vclock.New(t0)
	clk.SetAuto(true)
	eng, err := statemachine.New(statemachine.Options{Clock: clk, ActivityPollTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sfnapi.NewHandler(eng, sfnapi.Options{}))
	t.Cleanup(func() {
		srv.Close()
		eng.Close()
		clk.Close()
	})
	client := sfn.New(sfn.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", "")},
		sfnapi.ClientOptions(srv.URL))
	return &stack{eng: eng, clock: clk, client: client}
}

// machine creates an activity and a machine whose one Task runs it.
func (s *stack) machine(t *testing.T, task string) (activityArn, machineArn string) {
	t.Helper()
	ctx := context.Background()
	a, err := s.client.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("encode")})
	if err != nil {
		t.Fatal(err)
	}
	def := `{"StartAt":"Encode","States":{"Encode":{"Type":"Task","Resource":"` + aws.ToString(a.ActivityArn) + `",` + task + `,"End":true}}}`
	sm, err := s.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("long"), Definition: aws.String(def), RoleArn: aws.String("arn:aws:iam::123456789012:role/r")})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(a.ActivityArn), aws.ToString(sm.StateMachineArn)
}

// countingClient counts the heartbeats the worker sends through the real
// client.
type countingClient struct {
	*sfn.Client
	beats atomic.Int64
}

func (c *countingClient) SendTaskHeartbeat(ctx context.Context, in *sfn.SendTaskHeartbeatInput, opts ...func(*sfn.Options)) (*sfn.SendTaskHeartbeatOutput, error) {
	c.beats.Add(1)
	return c.Client.SendTaskHeartbeat(ctx, in, opts...)
}

// sleep waits d on clk, or until ctx is done.
func sleep(ctx context.Context, clk activity.Clock, d time.Duration) error {
	select {
	case <-clk.After(d):
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

type history struct {
	types []string
}

func getHistory(t *testing.T, c *sfn.Client, arn string) history {
	t.Helper()
	var h history
	p := sfn.NewGetExecutionHistoryPaginator(c, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range out.Events {
			h.types = append(h.types, string(ev.Type))
		}
	}
	return h
}

func waitDone(t *testing.T, s *stack, arn string) *statemachine.Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	x, err := s.eng.WaitExecution(ctx, arn)
	if err != nil {
		t.Fatalf("wait %s: %v", arn, err)
	}
	return x
}

// A 20-minute task (virtual time) with HeartbeatSeconds 60: the worker
// heartbeats every 30 s and the execution succeeds with the handler's
// output; ActivityStarted names the worker.
func TestTwentyMinuteTaskWithHeartbeats(t *testing.T) {
	s := newStack(t)
	arn, sm := s.machine(t, `"HeartbeatSeconds":60,"TimeoutSeconds":3600`)
	client := &countingClient{Client: s.client}
	w := &activity.Worker{Client: client, ActivityArn: arn, Name: "encoder-1", HeartbeatInterval: 30 * time.Second, Clock: s.clock}
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	// The clock stands still until the worker has the task: else the
	// 3600 s TimeoutSeconds could fire while the worker's first poll is
	// still on its way.
	var once sync.Once
	release := s.clock.Hold()
	defer once.Do(release)
	go func() {
		ran <- w.Run(ctx, activity.Typed(func(ctx context.Context, in struct{ File string }) (map[string]any, error) {
			once.Do(release)
			if err := sleep(ctx, s.clock, 20*time.Minute); err != nil {
				return nil, err
			}
			return map[string]any{"encoded": in.File + ".mp4"}, nil
		}))
	}()
	x, err := s.client.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{"File":"talk"}`)})
	if err != nil {
		t.Fatal(err)
	}
	got := waitDone(t, s, aws.ToString(x.ExecutionArn))
	stop()
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got.Status != statemachine.StatusSucceeded || aws.ToString(got.Output) != `{"encoded":"talk.mp4"}` {
		t.Fatalf("execution %s, output %s, error %s %s", got.Status, aws.ToString(got.Output), aws.ToString(got.Error), aws.ToString(got.Cause))
	}
	if took := got.StopDate.Sub(got.StartDate); took < 20*time.Minute || took > 21*time.Minute {
		t.Errorf("the execution took %s of virtual time, want 20 minutes", took)
	}
	// One heartbeat at the start, then one every 30 s of the 20 minutes.
	if n := client.beats.Load(); n < 40 || n > 42 {
		t.Errorf("%d heartbeats, want about 41", n)
	}
	evs, err := s.eng.GetExecutionHistory(context.Background(), aws.ToString(x.ExecutionArn))
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	want := []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"}
	if !slices.Equal(types, want) {
		t.Fatalf("history %v, want %v", types, want)
	}
	b, _ := json.Marshal(evs[3])
	if !json.Valid(b) || !strings.Contains(string(b), `"activityStartedEventDetails":{"workerName":"encoder-1"}`) {
		t.Errorf("ActivityStarted = %s", b)
	}
}

// A worker that heartbeats less often than HeartbeatSeconds: the task
// times out with States.HeartbeatTimeout in an AWS-shaped history, and the
// handler's context is cancelled with ErrTaskGone at its next heartbeat.
func TestMissedHeartbeat(t *testing.T) {
	s := newStack(t)
	arn, sm := s.machine(t, `"HeartbeatSeconds":60`)
	w := &activity.Worker{Client: s.client, ActivityArn: arn, Name: "sleepy", HeartbeatInterval: 5 * time.Minute, Clock: s.clock}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	cause := make(chan error, 1)
	go w.Run(ctx, func(ctx context.Context, _ json.RawMessage) (any, error) {
		err := sleep(ctx, s.clock, 20*time.Minute)
		cause <- err
		return nil, err
	})
	x, err := s.client.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	got := waitDone(t, s, aws.ToString(x.ExecutionArn))
	if got.Status != statemachine.StatusFailed || aws.ToString(got.Error) != "States.HeartbeatTimeout" {
		t.Fatalf("execution %s %s", got.Status, aws.ToString(got.Error))
	}
	if err := <-cause; !errors.Is(err, activity.ErrTaskGone) {
		t.Errorf("handler's context ended with %v, want ErrTaskGone", err)
	}
	out, err := s.client.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: x.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		typ      string
		id, prev int64
	}
	var rows []row
	for _, ev := range out.Events {
		rows = append(rows, row{string(ev.Type), ev.Id, ev.PreviousEventId})
	}
	want := []row{{"ExecutionStarted", 1, 0}, {"TaskStateEntered", 2, 0}, {"ActivityScheduled", 3, 2}, {"ActivityStarted", 4, 3},
		{"ActivityTimedOut", 5, 4}, {"ExecutionFailed", 6, 5}}
	if !slices.Equal(rows, want) {
		t.Fatalf("history %v, want %v", rows, want)
	}
	sched := out.Events[2].ActivityScheduledEventDetails
	if sched == nil || aws.ToString(sched.Resource) != arn || aws.ToInt64(sched.HeartbeatInSeconds) != 60 || sched.TimeoutInSeconds != nil || aws.ToString(sched.Input) != `{}` {
		t.Errorf("ActivityScheduled details %+v", sched)
	}
	if d := out.Events[3].ActivityStartedEventDetails; d == nil || aws.ToString(d.WorkerName) != "sleepy" {
		t.Errorf("ActivityStarted details %+v", d)
	}
	to := out.Events[4].ActivityTimedOutEventDetails
	if to == nil || aws.ToString(to.Error) != "States.HeartbeatTimeout" || to.Cause != nil {
		t.Errorf("ActivityTimedOut details %+v", to)
	}
	// 60 s after the start; up to 60 s more if the engine read the
	// worker's first heartbeat (sent at the start) only once the clock
	// had moved on, which a loaded machine allows.
	if took := out.Events[4].Timestamp.Sub(*out.Events[3].Timestamp); took < time.Minute || took > 2*time.Minute {
		t.Errorf("timed out %s after the start, want 60 s", took)
	}
	if d := out.Events[5].ExecutionFailedEventDetails; d == nil || aws.ToString(d.Error) != "States.HeartbeatTimeout" {
		t.Errorf("ExecutionFailed details %+v", d)
	}
}

// A handler error is SendTaskFailure with the error's type name, which
// Catch matches; an *activity.Error gives its own name and cause.
func TestHandlerErrorsAreNamed(t *testing.T) {
	s := newStack(t)
	arn, sm := s.machine(t, `"HeartbeatSeconds":60`)
	w := &activity.Worker{Client: s.client, ActivityArn: arn, Concurrency: 2, Clock: s.clock}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go w.Run(ctx, func(ctx context.Context, in json.RawMessage) (any, error) {
		var v struct{ Kind string }
		json.Unmarshal(in, &v)
		if v.Kind == "typed" {
			return nil, &CorruptInput{Offset: 42}
		}
		return nil, &activity.Error{Name: "Encoder.Busy", Cause: "all GPUs in use"}
	})
	for _, tc := range []struct{ kind, name, cause string }{
		{"typed", "CorruptInput", "corrupt input at byte 42"},
		{"explicit", "Encoder.Busy", "all GPUs in use"},
	} {
		x, err := s.client.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{"Kind":"` + tc.kind + `"}`)})
		if err != nil {
			t.Fatal(err)
		}
		got := waitDone(t, s, aws.ToString(x.ExecutionArn))
		if got.Status != statemachine.StatusFailed || aws.ToString(got.Error) != tc.name || aws.ToString(got.Cause) != tc.cause {
			t.Errorf("%s: %s %s %q", tc.kind, got.Status, aws.ToString(got.Error), aws.ToString(got.Cause))
		}
		if h := getHistory(t, s.client, aws.ToString(x.ExecutionArn)); !slices.Contains(h.types, "ActivityFailed") {
			t.Errorf("%s: history %v", tc.kind, h.types)
		}
	}
}

type CorruptInput struct{ Offset int }

func (e *CorruptInput) Error() string { return "corrupt input at byte " + itoa(e.Offset) }

func itoa(n int) string { return strconv.Itoa(n) }

// Graceful stop: once Run's context is done no task is taken any more, a
// running task finishes and is reported, and Run returns nil; a task
// still running at StopTimeout has its context cancelled.
func TestGracefulStop(t *testing.T) {
	s := newStack(t)
	arn, sm := s.machine(t, `"HeartbeatSeconds":60`)
	w := &activity.Worker{Client: s.client, ActivityArn: arn, HeartbeatInterval: 20 * time.Second, StopTimeout: 10 * time.Minute, Clock: s.clock}
	ctx, stop := context.WithCancel(context.Background())
	started := make(chan struct{}, 1)
	ran := make(chan error, 1)
	go func() {
		ran <- w.Run(ctx, func(ctx context.Context, _ json.RawMessage) (any, error) {
			started <- struct{}{}
			if err := sleep(ctx, s.clock, 5*time.Minute); err != nil {
				return nil, err
			}
			return "finished", nil
		})
	}()
	x, err := s.client.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(sm)})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	stop()
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := waitDone(t, s, aws.ToString(x.ExecutionArn)); got.Status != statemachine.StatusSucceeded || aws.ToString(got.Output) != `"finished"` {
		t.Fatalf("execution %s %s", got.Status, aws.ToString(got.Output))
	}
	// Stopped: a new execution's task is not taken.
	y, _ := s.client.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(sm)})
	time.Sleep(50 * time.Millisecond)
	if d, _ := s.eng.DescribeExecution(context.Background(), aws.ToString(y.ExecutionArn)); d.Status != statemachine.StatusRunning {
		t.Fatalf("after stop: %s", d.Status)
	}
	if h := getHistory(t, s.client, aws.ToString(y.ExecutionArn)); slices.Contains(h.types, "ActivityStarted") {
		t.Fatalf("a stopped worker took a task: %v", h.types)
	}

	// StopTimeout shorter than the task: its context is cancelled.
	w2 := &activity.Worker{Client: s.client, ActivityArn: arn, StopTimeout: time.Minute, Clock: s.clock}
	ctx2, stop2 := context.WithCancel(context.Background())
	ran2 := make(chan error, 1)
	go func() {
		ran2 <- w2.Run(ctx2, func(ctx context.Context, _ json.RawMessage) (any, error) {
			started <- struct{}{}
			return nil, sleep(ctx, s.clock, time.Hour)
		})
	}()
	<-started
	stop2()
	if err := <-ran2; !errors.Is(err, activity.ErrStopTimeout) {
		t.Fatalf("Run: %v, want ErrStopTimeout", err)
	}
	if got := waitDone(t, s, aws.ToString(y.ExecutionArn)); got.Status != statemachine.StatusFailed || aws.ToString(got.Error) != "WorkerStopped" {
		t.Fatalf("cut-short task: %s %s", got.Status, aws.ToString(got.Error))
	}
}

func TestRunNeedsClientAndArn(t *testing.T) {
	h := func(context.Context, json.RawMessage) (any, error) { return nil, nil }
	if err := (&activity.Worker{ActivityArn: "x"}).Run(context.Background(), h); err == nil || !strings.Contains(err.Error(), "Client") {
		t.Errorf("no client: %v", err)
	}
	if err := (&activity.Worker{Client: &sfn.Client{}}).Run(context.Background(), h); err == nil || !strings.Contains(err.Error(), "ActivityArn") {
		t.Errorf("no ARN: %v", err)
	}
}

func TestErrorName(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&CorruptInput{}, "CorruptInput"},
		{errors.New("x"), "errorString"},
		{&activity.Error{Name: "My.Error"}, "My.Error"},
	} {
		if got := activity.ErrorName(tc.err); got != tc.want {
			t.Errorf("ErrorName(%T) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
