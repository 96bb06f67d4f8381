package sfntest

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	lambdalocal "github.com/stepwise-dev/stepwise/local/lambda"
	"github.com/stepwise-dev/stepwise/statemachine"
)

// Execution is one running execution of a [Workflow], on its own engine
// and virtual clock.
type Execution struct {
	w           *Workflow
	engine      *statemachine.Engine
	clock       *statemachine.VirtualClock
	rt          *lambdalocal.Runtime
	arn         string
	interactive bool
	done        chan struct{} // closed when the execution has ended
	stuck       chan struct{} // closed when Run meets a token nothing answers
	stopWatch   context.CancelFunc
	stopWorkers func() // stops the activity workers

	mu       sync.Mutex
	calls    map[string]int      // state → invocations so far
	inflight map[string]int      // state → invocations running now
	pending  map[string][]*Token // state → unanswered tokens
	changed  chan struct{}       // closed and replaced when pending changes
	problems []string
	finished bool
}

// Start starts an execution with the given input (JSON text; "" is {}).
// Its virtual clock advances by itself: Wait states, Retry back-off and
// timeouts take no real time.
func (w *Workflow) Start(ctx context.Context, input string) (*Execution, error) {
	return w.start(ctx, "", input, true)
}

// StartNamed is [Workflow.Start] with an execution name (what $$.Execution.Name
// and the execution ARN carry); "" generates one.
func (w *Workflow) StartNamed(ctx context.Context, name, input string) (*Execution, error) {
	return w.start(ctx, name, input, true)
}

// Run runs an execution to its end and returns the result. A
// .waitForTaskToken state without [OnToken] or [Mock] ends the run with a
// problem naming the state; use [Workflow.Start] to answer tokens from the
// test. ctx bounds the run (see [Context]).
func (w *Workflow) Run(ctx context.Context, input string) (*Result, error) {
	x, err := w.start(ctx, "", input, false)
	if err != nil {
		return nil, err
	}
	return x.Wait(ctx)
}

var invalidNameChars = regexp.MustCompile(`[^0-9A-Za-z_-]`)

func (w *Workflow) start(ctx context.Context, execName, input string, interactive bool) (*Execution, error) {
	if input == "" {
		input = "{}"
	}
	if !json.Valid([]byte(input)) {
		return nil, fmt.Errorf("sfntest: %s: the execution input is not JSON: %.80s", w.name, input)
	}
	x := &Execution{w: w, interactive: interactive, done: make(chan struct{}), stuck: make(chan struct{}),
		calls: map[string]int{}, inflight: map[string]int{}, pending: map[string][]*Token{}, changed: make(chan struct{})}
	x.clock = statemachine.NewVirtualClock(w.cfg.start)
	var err error
	if x.rt, err = lambdalocal.New(lambdalocal.Options{Region: Region, AccountID: AccountID, Functions: w.fns, Handlers: w.cfg.handlers}); err != nil {
		return nil, fmt.Errorf("sfntest: %s: %w", w.name, err)
	}
	x.engine, err = statemachine.New(statemachine.Options{Clock: x.clock, Lambda: x, Services: x, Objects: w.objs, Region: Region, AccountID: AccountID})
	if err != nil {
		return nil, err
	}
	name := invalidNameChars.ReplaceAllString(w.name, "-")
	if len(name) > 80 {
		name = name[:80]
	}
	sm, err := x.engine.CreateStateMachine(ctx, statemachine.CreateStateMachineInput{Name: name, Definition: string(w.def)})
	if err != nil {
		x.close()
		return nil, fmt.Errorf("sfntest: %s: %w", w.name, err)
	}
	if x.stopWorkers, err = x.startActivities(ctx); err != nil {
		x.close()
		return nil, fmt.Errorf("sfntest: %s: %w", w.name, err)
	}
	x.clock.SetAuto(true)
	ex, err := x.engine.StartExecution(ctx, statemachine.StartExecutionInput{StateMachineArn: sm.Arn, Name: execName, Input: input, InputSet: true})
	if err != nil {
		x.close()
		return nil, fmt.Errorf("sfntest: %s: %w", w.name, err)
	}
	x.arn = ex.ExecutionArn
	wctx, cancel := context.WithCancel(context.Background())
	x.stopWatch = cancel
	go func() {
		if _, err := x.engine.WaitExecution(wctx, x.arn); err == nil {
			close(x.done)
		}
	}()
	return x, nil
}

// Arn is the execution's ARN.
func (x *Execution) Arn() string { return x.arn }

// Engine is the engine the execution runs on, for what the harness does
// not wrap (DescribeMapRun, GetExecutionHistory of a child, ...).
func (x *Execution) Engine() *statemachine.Engine { return x.engine }

// Clock is the execution's virtual clock.
func (x *Execution) Clock() *statemachine.VirtualClock { return x.clock }

func (x *Execution) problem(format string, a ...any) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.problems = append(x.problems, fmt.Sprintf(format, a...))
}

// Wait waits for the execution to end and returns its result. If ctx ends
// first, the result is the execution as it stands (RUNNING) with a
// problem naming the states still waiting, and err is ctx's error.
func (x *Execution) Wait(ctx context.Context) (*Result, error) {
	var waitErr error
	select {
	case <-x.done:
	case <-x.stuck:
	case <-ctx.Done():
		waitErr = ctx.Err()
		x.mu.Lock()
		for _, st := range sortedKeys(x.inflight) {
			if x.inflight[st] > 0 {
				x.problems = append(x.problems, fmt.Sprintf("state %q was still running its task (a handler or service call that did not return)", st))
			}
		}
		for _, st := range sortedKeys(x.pending) {
			if len(x.pending[st]) > 0 {
				x.problems = append(x.problems, fmt.Sprintf("state %q still waits for its task token: answer it with Execution.Token(ctx, %q), give sfntest.OnToken(%q, ...), or mock the state", st, st, st))
			}
		}
		x.mu.Unlock()
	}
	res, err := x.result(context.WithoutCancel(ctx))
	x.close()
	if err != nil {
		return nil, err
	}
	if waitErr != nil && res.Status == statemachine.StatusRunning {
		res.Problems = append(res.Problems, fmt.Sprintf("the execution was still RUNNING when the test's context ended (%v); path so far: %s", waitErr, res.pathString()))
		return res, fmt.Errorf("sfntest: %s: %w", x.w.name, waitErr)
	}
	return res, nil
}

func (x *Execution) close() {
	x.mu.Lock()
	x.finished = true
	for _, toks := range x.pending {
		for _, t := range toks {
			t.release()
		}
	}
	x.mu.Unlock()
	if x.stopWatch != nil {
		x.stopWatch()
	}
	if x.stopWorkers != nil {
		x.stopWorkers()
	}
	x.clock.Close()
	x.engine.Close()
	x.rt.Close()
}

// Token waits until the named state has asked for a task token that is
// not answered yet and returns it. While a token waits for the test, the
// execution's virtual clock stands still (so the task cannot time out
// under the test's feet) until the token is answered or released.
func (x *Execution) Token(ctx context.Context, state string) (*Token, error) {
	if _, ok := x.w.asl.states[state]; !ok {
		return nil, fmt.Errorf("sfntest: %s: Token(%q): the state machine has no state %q (its states: %s)", x.w.name, state, state, x.w.asl.names())
	}
	for {
		x.mu.Lock()
		for _, t := range x.pending[state] {
			if !t.taken {
				t.taken = true
				x.mu.Unlock()
				return t, nil
			}
		}
		ch := x.changed
		x.mu.Unlock()
		select {
		case <-ch:
		case <-x.done:
			d, _ := x.engine.DescribeExecution(context.Background(), x.arn)
			return nil, fmt.Errorf("sfntest: %s: Token(%q): the execution ended (%s%s) before state %q asked for a task token; path: %s",
				x.w.name, state, d.Status, errSuffix(d), state, x.pathSoFar())
		case <-ctx.Done():
			return nil, fmt.Errorf("sfntest: %s: Token(%q): state %q did not ask for a task token before the test's context ended (%v); path so far: %s",
				x.w.name, state, state, ctx.Err(), x.pathSoFar())
		}
	}
}

func errSuffix(d *statemachine.Execution) string {
	if d == nil || d.Error == nil {
		return ""
	}
	s := ", error " + *d.Error
	if d.Cause != nil && *d.Cause != "" {
		s += ": " + strings.TrimSpace(*d.Cause)
	}
	return s
}

func (x *Execution) pathSoFar() string {
	events, err := x.engine.GetExecutionHistory(context.Background(), x.arn)
	if err != nil {
		return "?"
	}
	return strings.Join(x.w.asl.topPath(events), " → ")
}

// Token is a task token a .waitForTaskToken state asked for.
type Token struct {
	State string
	Token string
	x     *Execution
	taken bool
	once  sync.Once
	hold  func()
}

func (t *Token) release() { t.once.Do(t.hold) }

func (t *Token) answered() {
	t.release()
	x := t.x
	x.mu.Lock()
	defer x.mu.Unlock()
	l := x.pending[t.State]
	for i, p := range l {
		if p == t {
			x.pending[t.State] = append(l[:i:i], l[i+1:]...)
			break
		}
	}
	close(x.changed)
	x.changed = make(chan struct{})
}

// Succeed sends SendTaskSuccess with output marshalled to JSON
// (json.RawMessage and JSON text in a string are taken as is).
func (t *Token) Succeed(ctx context.Context, output any) error {
	b, err := jsonText(output)
	if err != nil {
		return fmt.Errorf("sfntest: token of %q: %w", t.State, err)
	}
	defer t.answered()
	return t.x.engine.SendTaskSuccess(ctx, t.Token, string(b))
}

// Fail sends SendTaskFailure.
func (t *Token) Fail(ctx context.Context, errorName, cause string) error {
	defer t.answered()
	return t.x.engine.SendTaskFailure(ctx, t.Token, errorName, cause)
}

// Heartbeat sends SendTaskHeartbeat; the clock keeps standing still.
func (t *Token) Heartbeat(ctx context.Context) error {
	return t.x.engine.SendTaskHeartbeat(ctx, t.Token)
}

// Release leaves the token unanswered and lets virtual time run on, so
// the task's TimeoutSeconds or HeartbeatSeconds fire.
func (t *Token) Release() { t.answered() }

func jsonText(v any) ([]byte, error) {
	switch v := v.(type) {
	case json.RawMessage:
		return v, nil
	case string:
		if json.Valid([]byte(v)) {
			return []byte(v), nil
		}
	}
	return json.Marshal(v)
}
