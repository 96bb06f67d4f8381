package sfntest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// Mocks applies a mock config file to a long-running engine (the local
// stack's `runner up --mock-config FILE`), as AWS Step Functions Local's
// SFN_MOCK_CONFIG does: StartExecution on "<stateMachineArn>#<TestCase>"
// runs that test case of the state machine (named by the ARN; the key may
// also be the workflow name without the stack's "stepwise-" prefix), its
// mocked states answering from the file; every other execution and every
// state the case does not mock invokes the real Lambda and services.
//
// Mocks is a [statemachine.LambdaInvoker] and [statemachine.ServiceInvoker]
// wrapping the real ones; install [Mocks.StartHook] in front of
// StartExecution and call [Mocks.SetEngine] once the engine exists. It is
// safe for concurrent use.
type Mocks struct {
	cfg      *MockConfig
	lambda   statemachine.LambdaInvoker
	services statemachine.ServiceInvoker

	mu     sync.Mutex
	engine *statemachine.Engine
	execs  map[string]*mockedExec // execution ARN (also Distributed Map children) → its test case
}

type mockedExec struct {
	machine, testCase string
	states            map[string]string
	calls             map[string]int // state → invocations, shared with children
}

var (
	_ statemachine.LambdaInvoker  = (*Mocks)(nil)
	_ statemachine.ServiceInvoker = (*Mocks)(nil)
)

// NewMocks wraps the engine's real invokers (services may be nil).
func NewMocks(cfg *MockConfig, lambda statemachine.LambdaInvoker, services statemachine.ServiceInvoker) *Mocks {
	return &Mocks{cfg: cfg, lambda: lambda, services: services, execs: map[string]*mockedExec{}}
}

// SetEngine gives Mocks the engine, to answer mocked .waitForTaskToken
// tasks and to find Distributed Map children.
func (m *Mocks) SetEngine(e *statemachine.Engine) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.engine = e
}

// StartHook takes "#<TestCase>" off a StartExecution's state machine ARN
// and registers the execution for that test case; the returned function is
// told the ARN the execution got. An unknown test case is a
// ValidationException naming the mock config file and JSON pointer.
func (m *Mocks) StartHook(_ context.Context, in *statemachine.StartExecutionInput) (func(executionArn string), error) {
	arn, tc, ok := strings.Cut(in.StateMachineArn, "#")
	if !ok {
		return nil, nil
	}
	_, name, _ := strings.Cut(arn, ":stateMachine:")
	name, _, _ = strings.Cut(name, ":") // a version or alias qualifier
	machine := name
	if _, ok := m.cfg.machines[machine]; !ok {
		if short := strings.TrimPrefix(name, "stepwise-"); short != name {
			if _, ok := m.cfg.machines[short]; ok {
				machine = short
			}
		}
	}
	states, err := m.cfg.TestCase(machine, tc)
	if err != nil {
		return nil, &statemachine.APIError{Code: "ValidationException", Message: err.Error()}
	}
	in.StateMachineArn = arn
	if in.Name == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		in.Name = hex.EncodeToString(b[:])
	}
	x := &mockedExec{machine: machine, testCase: tc, states: states, calls: map[string]int{}}
	// Registered before the engine starts it, so its first task is mocked.
	prefix, _, _ := strings.Cut(arn, ":stateMachine:")
	guess := prefix + ":execution:" + name + ":" + in.Name
	m.mu.Lock()
	m.execs[guess] = x
	m.mu.Unlock()
	return func(actual string) {
		if actual != guess {
			m.mu.Lock()
			m.execs[actual] = x
			m.mu.Unlock()
		}
	}, nil
}

// lookup finds the test case of the execution a task runs in: its own, or
// that of the execution whose Distributed Map started it.
func (m *Mocks) lookup(ctx context.Context, execArn string) *mockedExec {
	m.mu.Lock()
	x, ok := m.execs[execArn]
	if ok || len(m.execs) == 0 || m.engine == nil {
		m.mu.Unlock()
		return x
	}
	roots := map[string]*mockedExec{}
	for arn, x := range m.execs {
		roots[arn] = x
	}
	e := m.engine
	m.mu.Unlock()
	for arn, rx := range roots {
		runs, err := e.ListMapRuns(ctx, arn)
		if err != nil {
			continue
		}
		for _, mr := range runs {
			kids, err := e.ListExecutions(ctx, statemachine.ListExecutionsInput{MapRunArn: mr.MapRunArn})
			if err != nil {
				continue
			}
			m.mu.Lock()
			for _, k := range kids {
				m.execs[k.ExecutionArn] = rx
			}
			m.mu.Unlock()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.execs[execArn]
}

// response returns the mocked response of a task, if its execution runs
// a test case that mocks the state.
func (m *Mocks) response(ctx context.Context) (statemachine.TaskInfo, Response, bool) {
	ti, ok := statemachine.TaskInfoFrom(ctx)
	if !ok {
		return ti, Response{}, false
	}
	x := m.lookup(ctx, ti.ExecutionArn)
	if x == nil {
		return ti, Response{}, false
	}
	name, ok := x.states[ti.StateName]
	if !ok {
		return ti, Response{}, false
	}
	m.mu.Lock()
	n := x.calls[ti.StateName]
	x.calls[ti.StateName] = n + 1
	m.mu.Unlock()
	r, ok := m.cfg.Response(name, n)
	if !ok {
		return ti, Response{problem: fmt.Sprintf("test case %s of %s: state %q was invoked %d times, but mocked response %q (/MockedResponses/%s) has no entry for invocation %d", x.testCase, m.cfg.file, ti.StateName, n+1, name, esc(name), n)}, true
	}
	if r.Throw != nil {
		return ti, Throw(r.Throw.Error, r.Throw.Cause), true
	}
	return ti, Response{ret: r.Return}, true
}

// answer turns a mocked response into the task's outcome; for a
// .waitForTaskToken task the Return is sent as the token's success.
func (m *Mocks) answer(ctx context.Context, ti statemachine.TaskInfo, token string, r Response) (json.RawMessage, error) {
	switch {
	case r.problem != "":
		return nil, &statemachine.TaskError{Name: "States.Runtime", Cause: r.problem}
	case r.throw != nil:
		return nil, &statemachine.TaskError{Name: r.throw.Error, Cause: r.throw.Cause}
	case token != "":
		m.mu.Lock()
		e := m.engine
		m.mu.Unlock()
		if e == nil {
			return nil, &statemachine.TaskError{Name: "States.Runtime", Cause: "sfntest: Mocks has no engine (SetEngine)"}
		}
		// After the engine has recorded the call, as a real callback would.
		go func() { _ = e.SendTaskSuccess(context.WithoutCancel(ctx), token, string(r.ret)) }()
		return json.RawMessage("{}"), nil
	}
	return r.ret, nil
}

// Invoke implements [statemachine.LambdaInvoker].
func (m *Mocks) Invoke(ctx context.Context, function string, payload []byte) (statemachine.LambdaResult, error) {
	ti, r, ok := m.response(ctx)
	if !ok {
		return m.lambda.Invoke(ctx, function, payload)
	}
	ret, err := m.answer(ctx, ti, ti.Token, r)
	if err != nil {
		return statemachine.LambdaResult{}, err
	}
	return statemachine.LambdaResult{Payload: lambdaPayload(ret)}, nil
}

// InvokeService implements [statemachine.ServiceInvoker].
func (m *Mocks) InvokeService(ctx context.Context, req statemachine.ServiceRequest) (any, error) {
	ti, r, ok := m.response(ctx)
	if !ok {
		if m.services == nil {
			return nil, &statemachine.TaskError{Name: "States.Runtime", Cause: fmt.Sprintf("The resource '%s' is not supported: no service invoker is configured", req.Resource)}
		}
		return m.services.InvokeService(ctx, req)
	}
	ret, err := m.answer(ctx, ti, req.TaskToken, r)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(ret, &v); err != nil {
		return nil, &statemachine.TaskError{Name: "States.Runtime", Cause: err.Error()}
	}
	return v, nil
}
