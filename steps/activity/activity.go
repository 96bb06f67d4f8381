package activity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// Client is the part of the Step Functions API a worker uses; a
// *sfn.Client (github.com/aws/aws-sdk-go-v2/service/sfn) satisfies it.
type Client interface {
	GetActivityTask(ctx context.Context, in *sfn.GetActivityTaskInput, optFns ...func(*sfn.Options)) (*sfn.GetActivityTaskOutput, error)
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
	SendTaskHeartbeat(ctx context.Context, in *sfn.SendTaskHeartbeatInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskHeartbeatOutput, error)
}

var _ Client = (*sfn.Client)(nil)

// Handler runs one activity task: input is the Task state's effective
// input (JSON), the result is marshalled to JSON as the task's output (a
// json.RawMessage is sent as is). ctx heartbeats while the handler runs
// and is cancelled when Step Functions no longer waits for the task (it
// timed out or its execution stopped) or the worker's StopTimeout passed.
type Handler func(ctx context.Context, input json.RawMessage) (output any, err error)

// Typed adapts a handler of typed input and output, like a Lambda step's
// func(context.Context, In) (Out, error).
func Typed[In, Out any](fn func(context.Context, In) (Out, error)) Handler {
	return func(ctx context.Context, input json.RawMessage) (any, error) {
		var in In
		if err := json.Unmarshal(input, &in); err != nil {
			return nil, &Error{Name: "InvalidInput", Cause: fmt.Sprintf("decode the task input as %T: %v", in, err)}
		}
		return fn(ctx, in)
	}
}

// Error is a handler error with an explicit name and cause for
// SendTaskFailure (the name Retry and Catch match).
type Error struct {
	Name  string
	Cause string
}

func (e *Error) Error() string { return e.Name + ": " + e.Cause }

// Clock is the worker's source of time for heartbeats, back-off and the
// stop deadline; tests use the engine's virtual clock
// (statemachine/vclock). Its Hold and AfterHeld methods, when the clock has
// them, keep virtual time still while the worker starts a task, sends a
// heartbeat or reports, so that time cannot pass the state's
// HeartbeatSeconds while the worker is busy in real time.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Defaults of [Worker]'s optional fields.
const (
	DefaultHeartbeatInterval = 10 * time.Second
	DefaultStopTimeout       = 30 * time.Second
)

// Worker polls one activity and runs its tasks. Client and ActivityArn are
// required; the other fields are optional. A Worker must not be copied
// once Run started; Run may be called once at a time.
type Worker struct {
	Client      Client
	ActivityArn string
	// Name is the workerName recorded in the ActivityStarted event; the
	// host name by default.
	Name string
	// Concurrency is how many tasks run at once (and polls wait at
	// once); 1 by default.
	Concurrency int
	// HeartbeatInterval is how often a running task heartbeats; keep it
	// well below the Task state's HeartbeatSeconds. 10 s by default.
	HeartbeatInterval time.Duration
	// StopTimeout is how long Run waits for running tasks once its
	// context is done, before it cancels theirs. 30 s by default.
	StopTimeout time.Duration
	// Clock defaults to the wall clock.
	Clock Clock
	// Logger receives poll errors and failed reports; nil discards them.
	Logger *slog.Logger
}

// ErrStopTimeout is returned (wrapped) by Run when tasks were still running
// StopTimeout after its context was done; their contexts were cancelled.
var ErrStopTimeout = errors.New("activity: tasks still running at the stop deadline")

// Run polls the activity and runs h for every task until ctx is done. Then
// it stops polling, waits up to StopTimeout for the running tasks (whose
// contexts stay alive meanwhile) and returns nil, or cancels them and
// returns an error wrapping ErrStopTimeout. Run returns an error at once
// if the Worker is misconfigured.
func (w *Worker) Run(ctx context.Context, h Handler) error {
	if w.Client == nil {
		return errors.New("activity: Worker.Client is nil; set it to an *sfn.Client (sfn.NewFromConfig)")
	}
	if w.ActivityArn == "" {
		return errors.New("activity: Worker.ActivityArn is empty; set it to the activity's ARN (CreateActivity's activityArn)")
	}
	if h == nil {
		return errors.New("activity: Run needs a Handler")
	}
	r := w.runner()
	// Tasks outlive ctx (graceful stop) until stopTasks.
	taskCtx, stopTasks := context.WithCancelCause(context.WithoutCancel(ctx))
	defer stopTasks(nil)
	var wg sync.WaitGroup
	for range r.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.pollLoop(ctx, taskCtx, h)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	select {
	case <-done:
		return nil
	case <-r.clock.After(r.stopTimeout):
		stopTasks(ErrStopTimeout)
		<-done
		return fmt.Errorf("%w (StopTimeout %s); their contexts were cancelled", ErrStopTimeout, r.stopTimeout)
	}
}

// runner is a Worker with its defaults applied.
type runner struct {
	w           *Worker
	name        string
	concurrency int
	interval    time.Duration
	stopTimeout time.Duration
	clock       Clock
	log         *slog.Logger
}

func (w *Worker) runner() *runner {
	r := &runner{w: w, name: w.Name, concurrency: w.Concurrency, interval: w.HeartbeatInterval,
		stopTimeout: w.StopTimeout, clock: w.Clock, log: w.Logger}
	if r.name == "" {
		r.name, _ = os.Hostname()
		if len(r.name) > 80 {
			r.name = r.name[:80]
		}
	}
	if r.concurrency < 1 {
		r.concurrency = 1
	}
	if r.interval <= 0 {
		r.interval = DefaultHeartbeatInterval
	}
	if r.stopTimeout <= 0 {
		r.stopTimeout = DefaultStopTimeout
	}
	if r.clock == nil {
		r.clock = wallClock{}
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r
}

// pollLoop polls until ctx is done and runs each task it gets.
func (r *runner) pollLoop(ctx, taskCtx context.Context, h Handler) {
	backoff := time.Second
	for ctx.Err() == nil {
		in := &sfn.GetActivityTaskInput{ActivityArn: aws.String(r.w.ActivityArn)}
		if r.name != "" {
			in.WorkerName = aws.String(r.name)
		}
		out, err := r.w.Client.GetActivityTask(ctx, in)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			r.log.Warn("activity: GetActivityTask failed; polling again", "activity", r.w.ActivityArn, "err", err, "retryIn", backoff)
			select {
			case <-r.clock.After(backoff):
			case <-ctx.Done():
				return
			}
			backoff = min(2*backoff, time.Minute)
			continue
		}
		backoff = time.Second
		if aws.ToString(out.TaskToken) == "" {
			continue // the poll timed out without a task
		}
		r.runTask(taskCtx, aws.ToString(out.TaskToken), json.RawMessage(aws.ToString(out.Input)), h)
	}
}

type taskKey struct{}

// task is one task in progress: its token and how to heartbeat it.
type task struct {
	r      *runner
	token  string
	cancel context.CancelCauseFunc
}

// ErrTaskGone is the cause of a handler's cancelled context when Step
// Functions no longer waits for the task: it timed out or its execution
// stopped (a heartbeat got TaskTimedOut or TaskDoesNotExist).
var ErrTaskGone = errors.New("activity: Step Functions no longer waits for this task")

// Heartbeat tells Step Functions that the task of ctx (a handler's
// context) is making progress, resetting the state's HeartbeatSeconds.
// The worker heartbeats on its own every HeartbeatInterval; call it
// between those for work that must not be cut short. It returns an
// error wrapping ErrTaskGone (and cancels ctx) when the task timed out or
// its execution stopped.
func Heartbeat(ctx context.Context) error {
	t, ok := ctx.Value(taskKey{}).(*task)
	if !ok {
		return errors.New("activity: Heartbeat needs the context a Worker passed to its Handler")
	}
	return t.heartbeat(ctx)
}

func (t *task) heartbeat(ctx context.Context) error {
	defer hold(t.r.clock)()
	_, err := t.r.w.Client.SendTaskHeartbeat(context.WithoutCancel(ctx), &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(t.token)})
	return t.gone(err)
}

// gone turns a TaskTimedOut or TaskDoesNotExist answer into ErrTaskGone
// and cancels the handler's context with it.
func (t *task) gone(err error) error {
	var timedOut *types.TaskTimedOut
	var missing *types.TaskDoesNotExist
	if errors.As(err, &timedOut) || errors.As(err, &missing) {
		err = fmt.Errorf("%w: %v", ErrTaskGone, err)
		t.cancel(err)
	}
	return err
}

// runTask runs h for one task with automatic heartbeats and reports the
// outcome.
func (r *runner) runTask(base context.Context, token string, input json.RawMessage, h Handler) {
	ctx, cancel := context.WithCancelCause(base)
	defer cancel(nil)
	t := &task{r: r, token: token, cancel: cancel}
	ctx = context.WithValue(ctx, taskKey{}, t)
	// On a virtual clock, time stands still while the worker itself is
	// busy (starting the task, reporting it); the handler's own waits
	// are on the clock.
	release := hold(r.clock)
	// The timer is set before the first heartbeat, which confirms the
	// task's start at once (and ends the local engine's hold of a
	// virtual clock).
	next, nextDone := afterHeld(r.clock, r.interval)
	if err := t.heartbeat(ctx); err != nil {
		r.log.Warn("activity: first heartbeat failed", "err", err)
	}
	stop := make(chan struct{})
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		t.beat(ctx, next, nextDone, stop)
	}()
	release()
	out, err := safeCall(ctx, h, input)
	defer hold(r.clock)()
	close(stop)
	<-beating
	r.report(ctx, t, out, err)
}

// beat heartbeats every interval until stop is closed or ctx is done.
// On a virtual clock its timer holds the clock from its firing until the
// heartbeat was sent and the next timer set, so that time cannot run past
// the state's HeartbeatSeconds while this goroutine waits to be scheduled.
func (t *task) beat(ctx context.Context, next <-chan time.Time, done func(), stop <-chan struct{}) {
	defer func() { done() }()
	for {
		select {
		case <-next:
			_, err := t.r.w.Client.SendTaskHeartbeat(context.WithoutCancel(ctx), &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(t.token)})
			prev := done
			next, done = afterHeld(t.r.clock, t.r.interval)
			prev()
			if err := t.gone(err); err != nil {
				t.r.log.Warn("activity: heartbeat failed", "err", err)
			}
		case <-stop:
			return
		case <-ctx.Done():
			return
		}
	}
}

// afterHeld is the clock's AfterHeld when it has one (the engine's virtual
// clock), else After with a release that does nothing.
func afterHeld(c Clock, d time.Duration) (<-chan time.Time, func()) {
	if hc, ok := c.(interface {
		AfterHeld(time.Duration) (<-chan time.Time, func())
	}); ok {
		return hc.AfterHeld(d)
	}
	return c.After(d), func() {}
}

// hold holds c if it can be held (a virtual clock) and returns the release.
func hold(c Clock) (release func()) {
	if hc, ok := c.(interface{ Hold() func() }); ok {
		return hc.Hold()
	}
	return func() {}
}

// safeCall runs h, turning a panic into an error named "Panic".
func safeCall(ctx context.Context, h Handler, input json.RawMessage) (out any, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, &Error{Name: "Panic", Cause: fmt.Sprint(v)}
		}
	}()
	return h(ctx, input)
}

// report sends the handler's outcome. A task Step Functions no longer
// waits for is only logged. A task cut short by the stop deadline fails
// with the error name "WorkerStopped", whatever the handler returned, so
// that a Retry can send it to another worker.
func (r *runner) report(ctx context.Context, t *task, out any, herr error) {
	if errors.Is(context.Cause(ctx), ErrStopTimeout) {
		herr = &Error{Name: "WorkerStopped", Cause: fmt.Sprintf("the worker stopped and its StopTimeout (%s) passed before the task finished", r.stopTimeout)}
	}
	send, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var err error
	if herr == nil {
		var b []byte
		if raw, ok := out.(json.RawMessage); ok {
			b = raw
		} else if b, err = json.Marshal(out); err != nil {
			herr = &Error{Name: "OutputNotJSON", Cause: fmt.Sprintf("the handler's output (%T) cannot be marshalled to JSON: %v", out, err)}
		}
		if herr == nil {
			_, err = r.w.Client.SendTaskSuccess(send, &sfn.SendTaskSuccessInput{TaskToken: aws.String(t.token), Output: aws.String(string(b))})
		}
	}
	if herr != nil {
		name, cause := ErrorName(herr), herr.Error()
		var e *Error
		if errors.As(herr, &e) {
			cause = e.Cause
		}
		_, err = r.w.Client.SendTaskFailure(send, &sfn.SendTaskFailureInput{TaskToken: aws.String(t.token),
			Error: aws.String(truncate(name, 256)), Cause: aws.String(truncate(cause, 32768))})
	}
	if err != nil {
		r.log.Warn("activity: reporting the task's outcome failed", "activity", r.w.ActivityArn, "err", err)
	}
}

// ErrorName is the error name a handler error is reported with: the Name
// of an [*Error] in its chain, else the name of its type with the pointer
// stripped (what AWS Lambda reports for a Go error: *MyError is
// "MyError", errors.New's is "errorString").
func ErrorName(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Name
	}
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
