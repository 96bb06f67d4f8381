// What the interpreter may use from outside itself. A runner holds an
// *Env and a Run; it never sees the control plane's registries, locks or
// API types. The control plane (package statemachine) implements Host
// (its Engine), Run (an execution) and MapRunHost (a Map Run).

package interp

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/itemio"
)

// Env is the outside world of the interpreter: the interfaces the host
// was configured with, and the host itself. It is shared by every run of
// one host and never changes.
type Env struct {
	Clock    Clock
	Rand     func() float64 // retry jitter, States.MathRandom; safe for concurrent use
	NewUUID  func() string  // safe for concurrent use
	Region   string
	Lambda   LambdaInvoker  // nil fails Lambda tasks
	Services ServiceInvoker // nil fails other service integrations
	Objects  ObjectStore    // ItemReader/ResultWriter; may be nil
	// Durable reports that top-level positions are checkpointed (the
	// host has a store).
	Durable bool
	// Stopping is done when the host shuts down: a run then stops where
	// it is and its execution stays RUNNING for a later resume.
	Stopping context.Context
	Host     Host
}

// closing reports whether the host is shutting down.
func (v *Env) closing() bool { return v.Stopping.Err() != nil }

// Host is the control plane as the interpreter sees it.
type Host interface {
	// RegisterToken makes token answerable by SendTask* until release.
	RegisterToken(token string, w *TaskWait) (release func())
	// StepFunctions runs a states:startExecution(.sync) task or an
	// aws-sdk:sfn action against the control plane. A failed call
	// returns a *TaskError; a call given up because ctx is done returns
	// ctx's error.
	StepFunctions(ctx context.Context, c SfnCall) (any, error)
}

// SfnCall is one Step Functions API call made by a Task state.
type SfnCall struct {
	SDK     bool // an aws-sdk:sfn action (else the optimized states:startExecution)
	Pattern IntegrationPattern
	Action  string
	Params  map[string]any
	// Submit receives the StartExecution result of a .sync call once the
	// child started, before the call returns.
	Submit func(started any)
}

// Run is one execution as the interpreter writes to it: its history,
// its checkpoints and its context object.
type Run interface {
	// ARN is the execution's ARN.
	ARN() string
	// AddEvent appends a history event and returns its id.
	AddEvent(typ string, prev int64, details any) int64
	LastEventID() int64
	// Overflowed reports that the history reached its event limit.
	Overflowed() bool
	// Checkpoint records the top-level position p (nil: only events).
	Checkpoint(p *Progress)
	// Info is what the context object ($$) says of the execution; it
	// does not change during a run.
	Info() ExecutionInfo
	// OpenMapRun registers a Distributed Map's Map Run.
	OpenMapRun(spec MapRunSpec) MapRunHost
}

// ExecutionInfo is what the context object ($$.Execution and
// $$.StateMachine) tells a state about its execution.
type ExecutionInfo struct {
	ARN, Name, RoleArn string
	Input              any
	StartTime          time.Time
	RedriveCount       int
	// NoRedriveCount leaves RedriveCount out ($$ of a StartSyncExecution
	// run has none).
	NoRedriveCount bool
	RedriveTime    *time.Time // set once redriven

	StateMachineARN, StateMachineName string
}

// MapRunSpec describes a Map Run about to start.
type MapRunSpec struct {
	Label          string // the Map state's Label, or its name
	RunID          string // a resumed run passes the id it had
	Resumed        bool
	MaxConcurrency int64
	// ToleratedFailureCount and ToleratedFailurePercentage are nil when
	// the Map state does not declare them.
	ToleratedFailureCount      *int64
	ToleratedFailurePercentage *float64
	Total                      int
	ChildType                  string // STANDARD or EXPRESS
	Processor                  *Machine
	// Limits start as MaxConcurrency and the tolerance above; the host
	// keeps them and changes them while the run is in progress
	// (UpdateMapRun, or the values a resumed run had).
	Limits *MapRunLimits
}

// MapRunLimits are what a running Map Run obeys and UpdateMapRun may
// change: the most child executions running at once (0: as many as the
// service allows) and the failures it tolerates (a count and a
// percentage of all items; an undeclared field is 0). The run reads them
// before it starts a child and after a child fails, and wakes when they
// change. Safe for concurrent use.
type MapRunLimits struct {
	mu      sync.Mutex
	v       MapRunLimitValues
	changed chan struct{} // closed and replaced by every Set
}

// MapRunLimitValues is one reading of [MapRunLimits].
type MapRunLimitValues struct {
	MaxConcurrency             int64
	ToleratedFailureCount      int64
	ToleratedFailurePercentage float64
}

// NewMapRunLimits returns limits holding v.
func NewMapRunLimits(v MapRunLimitValues) *MapRunLimits {
	return &MapRunLimits{v: v, changed: make(chan struct{})}
}

// Get returns the current values.
func (l *MapRunLimits) Get() MapRunLimitValues {
	v, _ := l.watch()
	return v
}

// Set changes the values whose argument is not nil and wakes the run.
func (l *MapRunLimits) Set(maxConcurrency, toleratedFailureCount *int64, toleratedFailurePercentage *float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if maxConcurrency != nil {
		l.v.MaxConcurrency = *maxConcurrency
	}
	if toleratedFailureCount != nil {
		l.v.ToleratedFailureCount = *toleratedFailureCount
	}
	if toleratedFailurePercentage != nil {
		l.v.ToleratedFailurePercentage = *toleratedFailurePercentage
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

// watch returns the current values and a channel closed at the next Set.
func (l *MapRunLimits) watch() (MapRunLimitValues, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.v, l.changed
}

// MapRunHost is a Map Run in the control plane: its child executions
// and counts.
type MapRunHost interface {
	ARN() string
	// Child returns the run of item i's child execution. A child that
	// succeeded before a crash is not run again: done is true and out is
	// its output.
	Child(i int, name string, input any) (c Run, out any, done bool)
	// EndChild records how c ended: aborted (the parent stopped), failed
	// with err, or succeeded with out; prev is its last event.
	EndChild(c Run, out any, err *TaskError, aborted bool, prev int64)
	// Close records the run's end.
	Close(failed bool)
	// Results are the children's outcomes for the ResultWriter.
	Results() []itemio.Result
}

// Progress is where a top-level thread stands: what the host persists
// at every transition and hands back to [Execute] to resume.
type Progress struct {
	State       string          `json:"state"`
	Input       json.RawMessage `json:"input"`
	EnteredID   int64           `json:"enteredId"`
	EnteredPrev int64           `json:"enteredPrev"`
	Entered     time.Time       `json:"entered"`
	Prev        int64           `json:"prev"`
	Vars        map[string]any  `json:"vars,omitempty"`
	WaitUntil   *time.Time      `json:"waitUntil,omitempty"`
	Token       string          `json:"token,omitempty"`
	Submitted   bool            `json:"submitted,omitempty"`
	// MapRunID is the id of a Distributed Map's run in progress: on resume
	// the run continues and children that already succeeded are kept.
	MapRunID string `json:"mapRunId,omitempty"`
}

// TaskWait is a .waitForTaskToken task waiting for SendTask* with its
// token; the host delivers answers with [TaskWait.Deliver].
type TaskWait struct {
	ch       chan TokenResult
	mu       sync.Mutex // serialises Deliver
	answered bool       // an answer (not a heartbeat) was delivered
	timedOut bool       // set by the waiting task before it deregisters
}

// TokenResult is one SendTaskSuccess (Output), SendTaskFailure (Fail) or
// SendTaskHeartbeat (Heartbeat).
type TokenResult struct {
	Output    any
	Fail      *TaskError
	Heartbeat bool
}

// Deliver hands res to the waiting task; false means the task no longer
// waits (it timed out or already has an answer).
//
// A delivery may come before the task reads any: a worker that got its
// token in the Lambda payload can heartbeat and answer while the task still
// waits for that Lambda's response. A heartbeat then adds nothing to a
// delivery not yet read, and an answer replaces an unread heartbeat; the
// first answer stands.
func (w *TaskWait) Deliver(res TokenResult) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.answered {
		return false
	}
	if !res.Heartbeat {
		select {
		case <-w.ch: // an unread heartbeat, replaced by the answer
		default:
		}
	}
	select {
	case w.ch <- res:
		w.answered = !res.Heartbeat
		return true
	default:
		return res.Heartbeat // a heartbeat is unread already
	}
}

// TimedOut reports whether the task timed out before it was answered;
// read it after the task released its token.
func (w *TaskWait) TimedOut() bool { return w.timedOut }

// expire ends the wait for a timeout that fired, unless an answer was
// delivered first: then it returns that answer, which stands (its sender
// was told it was accepted; the task had not read it yet because its
// select saw the timer too, or first). With heartbeat, an unread
// heartbeat also stands, and the wait goes on. After an expiry every
// delivery is refused, as a token that timed out is.
func (w *TaskWait) expire(heartbeat bool) (TokenResult, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case tr := <-w.ch:
		if !tr.Heartbeat || heartbeat {
			return tr, true
		}
	default:
	}
	w.answered, w.timedOut = true, true
	return TokenResult{}, false
}

// Failure is how a run failed: the error and cause, and the state (and
// its input) where it stopped, from which RedriveExecution starts again.
type Failure struct {
	TaskError
	State      string
	StateInput any
}

// Execute runs m on x from startAt with input until an End, Succeed or
// failure, and returns the output or the failure, and the id of the
// run's last event. prev is the event the first state follows; a non-nil
// resume continues a checkpointed run at its state.
func Execute(ctx context.Context, env *Env, x Run, m *Machine, startAt string, input any, prev int64, resume *Progress) (out any, last int64, f *Failure) {
	r := &runner{x: x, env: env, resume: resume}
	th := &thread{x: x, prev: prev, top: true}
	var vars *scope
	if resume != nil && resume.Vars != nil {
		vars = &scope{vars: resume.Vars}
	}
	out, ff := r.runMachine(ctx, m, startAt, input, th, vars, nil)
	if ff != nil {
		return nil, th.prev, &Failure{TaskError: TaskError{Name: ff.name, Cause: ff.cause}, State: ff.state, StateInput: ff.stateInput}
	}
	return out, th.prev, nil
}
