package statemachine

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
	"github.com/stepwise-dev/stepwise/statemachine/internal/interp"
	"github.com/stepwise-dev/stepwise/statemachine/states"
)

// isoMillis is how Step Functions writes dates inside JSON documents.
const isoMillis = "2006-01-02T15:04:05.000Z"

// maxEvents is AWS's limit on an execution's history.
const maxEvents = 25000

// execution is one running or finished execution.
type execution struct {
	e     *Engine
	sm    *smRecord
	arn   string
	name  string
	input string
	inVal any

	mu          sync.Mutex
	st          string
	output      *string
	errName     *string
	cause       *string
	start       time.Time
	stopDate    *time.Time
	events      []HistoryEvent
	done        chan struct{}
	cancel      context.CancelCauseFunc
	redrives    int
	redriveDate *time.Time
	traceHeader string
	mapRunArn   string
	aliasArn    string // the alias StartExecution went through, if any
	overflow    bool
	persisted   int              // events already in the Store
	prog        *interp.Progress // top-level position, for the Store
	sync        bool             // started by StartSyncExecution
	finishing   bool             // finish has begun; a second caller backs off
	parent      *execution       // nested or map-run parent, if any

	// redrive bookkeeping: how far the last run got.
	lastFailure *redrivePoint
}

// redrivePoint remembers where a failed top-level run stopped.
type redrivePoint struct {
	state string
	input any
}

func newExecution(e *Engine, rec *smRecord, arn, name, input string, inVal any) *execution {
	return &execution{e: e, sm: rec, arn: arn, name: name, input: input, inVal: inVal,
		st: StatusRunning, done: make(chan struct{})}
}

func (x *execution) status() string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.st
}

func (x *execution) describe() *Execution {
	x.mu.Lock()
	defer x.mu.Unlock()
	in := x.input
	d := &Execution{ExecutionArn: x.arn, StateMachineArn: x.sm.baseArn(), Name: x.name, Status: x.st,
		Input: &in, Output: x.output, Error: x.errName, Cause: x.cause, StartDate: x.start, StopDate: x.stopDate,
		RedriveCount: x.redrives, RedriveDate: x.redriveDate, MapRunArn: x.mapRunArn, TraceHeader: x.traceHeader,
		StateMachineVersionArn: x.sm.versionArn(), StateMachineAliasArn: x.aliasArn}
	switch {
	case x.st == StatusRunning:
		d.RedriveStatus = "NOT_REDRIVABLE"
		d.RedriveStatusReason = "Execution is RUNNING and cannot be redriven"
	case x.st == StatusSucceeded:
		d.RedriveStatus = "NOT_REDRIVABLE"
		d.RedriveStatusReason = "Execution is SUCCEEDED and cannot be redriven"
	case x.sm.info.Type == TypeExpress:
		d.RedriveStatus = "NOT_REDRIVABLE"
		d.RedriveStatusReason = "Execution is of type EXPRESS and cannot be redriven"
	default:
		d.RedriveStatus = "REDRIVABLE"
	}
	return d
}

// addEvent appends an event and returns its id.
func (x *execution) AddEvent(typ string, prev int64, details any) int64 {
	now := x.e.clock.Now()
	x.mu.Lock()
	defer x.mu.Unlock()
	id := int64(len(x.events) + 1)
	if x.st != StatusRunning {
		// Stopped or timed out: goroutines still unwinding record nothing.
		return id - 1
	}
	terminal := typ == eventtype.ExecutionFailed || typ == eventtype.ExecutionSucceeded || typ == eventtype.ExecutionAborted || typ == eventtype.ExecutionTimedOut
	if id >= maxEvents && !terminal {
		// Keep the last slot for the terminal event.
		x.overflow = true
		return id - 1
	}
	x.events = append(x.events, HistoryEvent{ID: id, PreviousEventID: prev, Timestamp: now, Type: typ, Details: details})
	return id
}

// history returns a copy of the events so far.
func (x *execution) history() []HistoryEvent {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]HistoryEvent(nil), x.events...)
}

func (x *execution) LastEventID() int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return int64(len(x.events))
}

// errStopped is the cancellation cause of StopExecution; errTimedOut that of
// the machine's global TimeoutSeconds.
var (
	errStopped  = errors.New("execution stopped")
	errTimedOut = errors.New("execution timed out")
	errClosed   = errors.New("engine closed")
)

// begin records ExecutionStarted, makes it durable and starts running.
func (x *execution) begin(ctx context.Context) error {
	x.mu.Lock()
	x.start = x.e.clock.Now()
	x.mu.Unlock()
	x.AddEvent(eventtype.ExecutionStarted, 0, &ExecutionStartedEventDetails{Input: interp.TextJSON(x.input), RoleArn: x.sm.info.RoleArn,
		StateMachineAliasArn: x.aliasArn, StateMachineVersionArn: x.sm.versionArn()})
	if err := x.commit(nil); err != nil {
		return err
	}
	x.launch(x.sm.machine.StartAt(), x.inVal, 0, nil)
	return nil
}

func (x *execution) launch(startAt string, input any, prev int64, resume *interp.Progress) {
	rctx, cancel := context.WithCancelCause(x.e.ctx)
	x.mu.Lock()
	x.cancel = cancel
	x.mu.Unlock()
	x.e.wg.Add(1)
	go func() {
		defer x.e.wg.Done()
		x.run(rctx, startAt, input, prev, resume)
	}()
}

func (x *execution) run(ctx context.Context, startAt string, input any, prev int64, resume *interp.Progress) {
	m := x.sm.machine
	var deadline time.Time
	timeout, hasTimeout := m.Timeout()
	if hasTimeout {
		tctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		ctx = tctx
		deadline = x.start.Add(time.Duration(timeout) * time.Second)
		if x.redriveDate != nil {
			deadline = x.redriveDate.Add(time.Duration(timeout) * time.Second)
		}
		timer := x.e.clock.After(deadline.Sub(x.e.clock.Now()))
		go func() {
			select {
			case <-timer:
				cancel(errTimedOut)
			case <-tctx.Done():
			}
		}()
	}
	out, last, err := interp.Execute(ctx, x.e.env, x, m, startAt, input, prev, resume)
	cerr := context.Cause(ctx)
	if cerr != nil && err != nil {
		switch {
		case errors.Is(cerr, errClosed) || x.e.ctx.Err() != nil:
			return // engine closing: leave the execution RUNNING
		case errors.Is(cerr, errStopped):
			return // StopExecution already finished it
		}
	}
	// Past the deadline the execution timed out, whatever its last state
	// did: also when that state ended at the same moment, before or after
	// the goroutine above cancelled the run.
	if errors.Is(cerr, errTimedOut) || (hasTimeout && cerr == nil && x.e.clock.Now().After(deadline)) {
		x.finish(StatusTimedOut, nil, &TaskError{Name: states.Timeout}, last)
		return
	}
	if x.e.ctx.Err() != nil && err != nil {
		return
	}
	if err != nil {
		x.mu.Lock()
		x.lastFailure = &redrivePoint{state: err.State, input: err.StateInput}
		x.mu.Unlock()
		x.finish(StatusFailed, nil, &err.TaskError, last)
		return
	}
	x.finish(StatusSucceeded, out, nil, last)
}

// finish records the terminal event and status.
func (x *execution) finish(status string, out any, f *TaskError, prev int64) {
	x.mu.Lock()
	if x.st != StatusRunning || x.finishing {
		// Already ending (StopExecution racing the last state, say).
		x.mu.Unlock()
		return
	}
	x.finishing = true
	x.mu.Unlock()
	now := x.e.clock.Now()
	var outText string
	switch status {
	case StatusSucceeded:
		outText = marshal(out)
		if len(outText) > maxPayload {
			status = StatusFailed
			f = &TaskError{Name: states.DataLimitExceeded, Cause: "The state/task 'ExecutionSucceeded' returned a result with a size exceeding the maximum number of bytes service limit."}
		} else {
			x.AddEvent(eventtype.ExecutionSucceeded, prev, &OutputEventDetails{Output: interp.TextJSON(outText)})
		}
	case StatusFailed:
		x.AddEvent(eventtype.ExecutionFailed, prev, &FailureEventDetails{Error: f.Name, Cause: f.Cause})
	case StatusTimedOut:
		x.AddEvent(eventtype.ExecutionTimedOut, prev, &FailureEventDetails{Error: f.Name, Cause: f.Cause})
	case StatusAborted:
		x.AddEvent(eventtype.ExecutionAborted, prev, &FailureEventDetails{Error: f.Name, Cause: f.Cause})
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.st = status
	x.stopDate = &now
	if status == StatusSucceeded {
		x.output = &outText
	} else if f != nil {
		if f.Name != "" {
			n := f.Name
			x.errName = &n
		}
		if f.Cause != "" {
			c := f.Cause
			x.cause = &c
		}
	}
	x.mu.Unlock()
	x.Checkpoint(nil)
	x.mu.Lock()
	close(x.done)
}

func (x *execution) stop(errorName, cause string) error {
	x.mu.Lock()
	if x.st != StatusRunning {
		x.mu.Unlock()
		return nil
	}
	cancel := x.cancel
	x.mu.Unlock()
	// ExecutionAborted follows an API call, not an event of the run: AWS
	// records it with previousEventId 0, as it does the first state's
	// entered event.
	x.finish(StatusAborted, nil, &TaskError{Name: errorName, Cause: cause}, 0)
	if cancel != nil {
		cancel(errStopped)
	}
	return nil
}

func (x *execution) redrive(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.sm.info.Type == TypeExpress {
		return apiErr("ExecutionNotRedrivable", "Execution is of type EXPRESS and cannot be redriven")
	}
	if x.mapRunArn != "" || x.sm.machine == nil {
		return apiErr("ExecutionNotRedrivable", "Execution is a Map Run child execution and can only be redriven through its parent")
	}
	switch x.st {
	case StatusFailed, StatusAborted, StatusTimedOut:
	default:
		return apiErr("ExecutionNotRedrivable", "Execution is %s and cannot be redriven", x.st)
	}
	now := x.e.clock.Now()
	if x.stopDate != nil && now.Sub(*x.stopDate) > 14*24*time.Hour {
		return apiErr("ExecutionNotRedrivable", "Execution can no longer be redriven: it closed more than 14 days ago")
	}
	x.redrives++
	x.redriveDate = &now
	x.st = StatusRunning
	x.finishing = false
	x.output, x.errName, x.cause, x.stopDate = nil, nil, nil, nil
	x.done = make(chan struct{})
	point := x.lastFailure
	x.mu.Unlock()
	id := x.AddEvent(eventtype.ExecutionRedriven, x.LastEventID(), &ExecutionRedrivenEventDetails{RedriveCount: x.redrives})
	startAt, input := x.sm.machine.StartAt(), x.inVal
	if point != nil && point.state != "" {
		startAt, input = point.state, point.input
	}
	x.Checkpoint(nil)
	x.launch(startAt, input, id, nil)
	x.mu.Lock()
	return nil
}

// SendTaskSuccess completes the waitForTaskToken task holding token.
func (e *Engine) SendTaskSuccess(ctx context.Context, token, output string) error {
	var v any
	if err := json.Unmarshal([]byte(output), &v); err != nil {
		return apiErr("InvalidOutput", "Invalid Output: '%s'", err.Error())
	}
	return e.completeToken(token, interp.TokenResult{Output: v})
}

// SendTaskFailure fails the waitForTaskToken task holding token.
func (e *Engine) SendTaskFailure(ctx context.Context, token, errorName, cause string) error {
	return e.completeToken(token, interp.TokenResult{Fail: &TaskError{Name: errorName, Cause: cause}})
}

// SendTaskHeartbeat resets the heartbeat timer of the task holding token.
func (e *Engine) SendTaskHeartbeat(ctx context.Context, token string) error {
	return e.completeToken(token, interp.TokenResult{Heartbeat: true})
}

func (e *Engine) completeToken(token string, res interp.TokenResult) error {
	if e.acts.touch(token) { // an activity task of a stopped execution
		return apiErr("TaskTimedOut", "Task Timed Out: '%s'", token)
	}
	e.mu.RLock()
	w, ok := e.tokens[token]
	e.mu.RUnlock()
	if !ok {
		if !validToken(token) {
			return apiErr("InvalidToken", "Invalid Token: '%s'", token)
		}
		e.mu.RLock()
		late := e.timedOut[token]
		e.mu.RUnlock()
		if late {
			return apiErr("TaskTimedOut", "Task Timed Out: '%s'", token)
		}
		return apiErr("TaskDoesNotExist", "Task Does Not Exist: '%s'", token)
	}
	if w.Deliver(res) || res.Heartbeat {
		return nil
	}
	return apiErr("TaskTimedOut", "Task Timed Out: '%s'", token)
}

func validToken(t string) bool {
	if len(t) < 16 || len(t) > 2048 {
		return false
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '=' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// mapRun is a Distributed Map run. A run loaded from the Store has only
// info and execArn.
type mapRun struct {
	mu      sync.Mutex
	info    MapRun
	execArn string

	e        *Engine
	parent   *execution
	label    string
	resumed  bool
	childRec *smRecord
	children []*execution // by item index; nil until started
	// limits are the running interpreter's view of MaxConcurrency and
	// the tolerance; UpdateMapRun sets them with info.
	limits *interp.MapRunLimits
}

func (m *mapRun) describe() *MapRun {
	m.mu.Lock()
	defer m.mu.Unlock()
	info := m.info
	return &info
}
