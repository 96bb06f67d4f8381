package statemachine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
	"github.com/stepwise-dev/stepwise/statemachine/states"
)

const (
	maxPayload = 256 * 1024
	maxEvents  = 25000
)

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
	persisted   int       // events already in the Store
	prog        *progress // top-level position, for the Store
	sync        bool      // started by StartSyncExecution
	finishing   bool      // finish has begun; a second caller backs off
	// ctxExec and ctxSM are the immutable parts of the context object,
	// built once per run.
	ctxExec, ctxSM map[string]any
	parent         *execution // nested or map-run parent, if any

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
func (x *execution) addEvent(typ string, prev int64, details any) int64 {
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

func (x *execution) lastEventID() int64 {
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
	x.addEvent(eventtype.ExecutionStarted, 0, &ExecutionStartedEventDetails{Input: textJSON(x.input), RoleArn: x.sm.info.RoleArn,
		StateMachineAliasArn: x.aliasArn, StateMachineVersionArn: x.sm.versionArn()})
	if err := x.commit(nil); err != nil {
		return err
	}
	x.launch(x.sm.machine.startAt, x.inVal, 0, nil)
	return nil
}

func (x *execution) launch(startAt string, input any, prev int64, resume *progress) {
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

func (x *execution) run(ctx context.Context, startAt string, input any, prev int64, resume *progress) {
	m := x.sm.machine
	var deadline time.Time
	if m.hasTimeout {
		tctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		ctx = tctx
		deadline = x.start.Add(time.Duration(m.timeout) * time.Second)
		if x.redriveDate != nil {
			deadline = x.redriveDate.Add(time.Duration(m.timeout) * time.Second)
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
	r := &runner{x: x, env: x.e.env, resume: resume}
	th := &thread{x: x, prev: prev, top: true}
	var vars *scope
	if resume != nil && resume.Vars != nil {
		vars = &scope{vars: resume.Vars}
	}
	out, err := r.runMachine(ctx, m, startAt, input, th, vars, nil)
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
	if errors.Is(cerr, errTimedOut) || (m.hasTimeout && cerr == nil && x.e.clock.Now().After(deadline)) {
		x.finish(StatusTimedOut, nil, &failure{name: states.Timeout}, th.prev)
		return
	}
	if x.e.ctx.Err() != nil && err != nil {
		return
	}
	if err != nil {
		x.mu.Lock()
		x.lastFailure = &redrivePoint{state: err.state, input: err.stateInput}
		x.mu.Unlock()
		x.finish(StatusFailed, nil, err, th.prev)
		return
	}
	x.finish(StatusSucceeded, out, nil, th.prev)
}

// finish records the terminal event and status.
func (x *execution) finish(status string, out any, f *failure, prev int64) {
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
			f = &failure{name: states.DataLimitExceeded, cause: "The state/task 'ExecutionSucceeded' returned a result with a size exceeding the maximum number of bytes service limit."}
		} else {
			x.addEvent(eventtype.ExecutionSucceeded, prev, &OutputEventDetails{Output: textJSON(outText)})
		}
	case StatusFailed:
		x.addEvent(eventtype.ExecutionFailed, prev, &FailureEventDetails{Error: f.name, Cause: f.cause})
	case StatusTimedOut:
		x.addEvent(eventtype.ExecutionTimedOut, prev, &FailureEventDetails{Error: f.name, Cause: f.cause})
	case StatusAborted:
		x.addEvent(eventtype.ExecutionAborted, prev, &FailureEventDetails{Error: f.name, Cause: f.cause})
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.st = status
	x.stopDate = &now
	if status == StatusSucceeded {
		x.output = &outText
	} else if f != nil {
		if f.name != "" {
			n := f.name
			x.errName = &n
		}
		if f.cause != "" {
			c := f.cause
			x.cause = &c
		}
	}
	x.mu.Unlock()
	x.checkpoint(nil)
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
	x.finish(StatusAborted, nil, &failure{name: errorName, cause: cause}, 0)
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
	x.ctxExec, x.ctxSM = nil, nil
	x.st = StatusRunning
	x.finishing = false
	x.output, x.errName, x.cause, x.stopDate = nil, nil, nil, nil
	x.done = make(chan struct{})
	point := x.lastFailure
	x.mu.Unlock()
	id := x.addEvent(eventtype.ExecutionRedriven, x.lastEventID(), &ExecutionRedrivenEventDetails{RedriveCount: x.redrives})
	startAt, input := x.sm.machine.startAt, x.inVal
	if point != nil && point.state != "" {
		startAt, input = point.state, point.input
	}
	x.checkpoint(nil)
	x.launch(startAt, input, id, nil)
	x.mu.Lock()
	return nil
}

// marshal writes v as compact JSON without HTML escaping, as AWS does.
func marshal(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		b, _ := json.Marshal(v)
		if !needsUnescape(b) {
			return string(b)
		}
	case map[string]any:
		if len(v) == 0 {
			return "{}"
		}
	}
	var buf jsonBuf
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(v))
	}
	b := buf.b
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	return string(b)
}

func needsUnescape(b []byte) bool {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\\' && b[i+1] == 'u' {
			return true
		}
	}
	return false
}

type jsonBuf struct{ b []byte }

func (j *jsonBuf) Write(p []byte) (int, error) { j.b = append(j.b, p...); return len(p), nil }

// SendTaskSuccess completes the waitForTaskToken task holding token.
func (e *Engine) SendTaskSuccess(ctx context.Context, token, output string) error {
	var v any
	if err := json.Unmarshal([]byte(output), &v); err != nil {
		return apiErr("InvalidOutput", "Invalid Output: '%s'", err.Error())
	}
	return e.completeToken(token, tokenResult{output: v})
}

// SendTaskFailure fails the waitForTaskToken task holding token.
func (e *Engine) SendTaskFailure(ctx context.Context, token, errorName, cause string) error {
	return e.completeToken(token, tokenResult{fail: &failure{name: errorName, cause: cause}})
}

// SendTaskHeartbeat resets the heartbeat timer of the task holding token.
func (e *Engine) SendTaskHeartbeat(ctx context.Context, token string) error {
	return e.completeToken(token, tokenResult{heartbeat: true})
}

// taskWait is a task waiting for SendTask* with its token.
type taskWait struct {
	ch       chan tokenResult
	timedOut bool // set by the waiting task before it deregisters
}

type tokenResult struct {
	output    any
	fail      *failure
	heartbeat bool
}

func (e *Engine) completeToken(token string, res tokenResult) error {
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
	select {
	case w.ch <- res:
		return nil
	default:
		if res.heartbeat {
			return nil
		}
		return apiErr("TaskTimedOut", "Task Timed Out: '%s'", token)
	}
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
}

func (m *mapRun) describe() *MapRun {
	m.mu.Lock()
	defer m.mu.Unlock()
	info := m.info
	return &info
}
