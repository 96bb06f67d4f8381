package sfntest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/stepwise-dev/stepwise/statemachine"
)

var (
	_ statemachine.LambdaInvoker  = (*Execution)(nil)
	_ statemachine.ServiceInvoker = (*Execution)(nil)
	_ statemachine.ClockHandoff   = (*Execution)(nil)
)

// HoldsClockDuringCalls implements [statemachine.ClockHandoff]: Invoke
// and InvokeService hold the clock from their first statement to their
// return.
func (x *Execution) HoldsClockDuringCalls() {}

// next counts an invocation of a state and returns its mocked response, if
// the state is mocked.
func (x *Execution) next(state string) (Response, bool) {
	x.mu.Lock()
	n := x.calls[state]
	x.calls[state] = n + 1
	x.mu.Unlock()
	if rs, ok := x.w.cfg.mocks[state]; ok {
		if n >= len(rs) {
			n = len(rs) - 1
		}
		return rs[n], true
	}
	if x.w.mockFn != nil {
		return x.w.mockFn(state, n)
	}
	return Response{}, false
}

// Invoke implements [statemachine.LambdaInvoker]: a mocked state answers
// from its responses, any other runs the function's Go handler through
// local/lambda (aws-lambda-go's adapter).
func (x *Execution) Invoke(ctx context.Context, function string, payload []byte) (statemachine.LambdaResult, error) {
	release := x.clock.Hold()
	defer release()
	ti, _ := statemachine.TaskInfoFrom(ctx)
	if r, ok := x.next(ti.StateName); ok {
		if r.problem != "" {
			x.problem("%s", r.problem)
			return statemachine.LambdaResult{}, &statemachine.TaskError{Name: "States.Runtime", Cause: "sfntest: " + r.problem}
		}
		if r.throw != nil {
			return statemachine.LambdaResult{}, &statemachine.TaskError{Name: r.throw.Error, Cause: r.throw.Cause}
		}
		if ti.Token != "" {
			if err := x.engine.SendTaskSuccess(context.WithoutCancel(ctx), ti.Token, string(r.ret)); err != nil {
				x.problem("state %q: answering the mocked task token: %v", ti.StateName, err)
			}
			return statemachine.LambdaResult{Payload: []byte("null")}, nil
		}
		return statemachine.LambdaResult{Payload: lambdaPayload(r.ret)}, nil
	}
	x.running(ti.StateName, 1)
	res, err := x.rt.Invoke(ctx, function, payload)
	x.running(ti.StateName, -1)
	var te *statemachine.TaskError
	if errors.As(err, &te) && te.Name == "Lambda.ResourceNotFoundException" {
		x.problem("state %q invokes Lambda function %q, which has no handler: give one with sfntest.Handler(%q, fn) or mock the state with sfntest.Mock(%q, ...)", ti.StateName, function, functionName(function), ti.StateName)
		return res, err
	}
	if err != nil {
		return res, err
	}
	if res.FunctionError != "" {
		var doc struct {
			Type    string `json:"errorType"`
			Message string `json:"errorMessage"`
			Stack   []any  `json:"stackTrace"`
		}
		if json.Unmarshal(res.Payload, &doc) == nil && len(doc.Stack) > 0 {
			x.problem("state %q: the handler of %q panicked: %s (errorType %q)", ti.StateName, functionName(function), doc.Message, doc.Type)
		}
		return res, nil
	}
	if ti.Token != "" {
		x.tokenAsked(ti)
	}
	return res, nil
}

// lambdaPayload takes the function's response out of a mocked Lambda
// Invoke response ({"StatusCode":200,"Payload":...}); a Return without
// Payload is the function's response itself.
func lambdaPayload(ret json.RawMessage) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(ret, &m) == nil {
		if p, ok := m["Payload"]; ok {
			return p
		}
	}
	return ret
}

// functionName is the function name in a Lambda ARN or name.
func functionName(fn string) string {
	for i := len(fn) - 1; i >= 0; i-- {
		if fn[i] == ':' {
			rest := fn[i+1:]
			if rest == "$LATEST" || (len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9') {
				fn = fn[:i]
				continue
			}
			return rest
		}
	}
	return fn
}

// InvokeService implements [statemachine.ServiceInvoker]: a mocked state
// answers from its responses. An unmocked .waitForTaskToken call is taken
// as sent (its token then waits for an answer); any other unmocked service
// call fails, as the harness has no such service.
func (x *Execution) InvokeService(ctx context.Context, req statemachine.ServiceRequest) (any, error) {
	release := x.clock.Hold()
	defer release()
	ti, _ := statemachine.TaskInfoFrom(ctx)
	if r, ok := x.next(ti.StateName); ok {
		if r.problem != "" {
			x.problem("%s", r.problem)
			return nil, &statemachine.TaskError{Name: "States.Runtime", Cause: "sfntest: " + r.problem}
		}
		if r.throw != nil {
			return nil, &statemachine.TaskError{Name: r.throw.Error, Cause: r.throw.Cause}
		}
		if req.TaskToken != "" {
			if err := x.engine.SendTaskSuccess(context.WithoutCancel(ctx), req.TaskToken, string(r.ret)); err != nil {
				x.problem("state %q: answering the mocked task token: %v", ti.StateName, err)
			}
			return map[string]any{}, nil
		}
		var v any
		if err := json.Unmarshal(r.ret, &v); err != nil {
			return nil, &statemachine.TaskError{Name: "States.Runtime", Cause: err.Error()}
		}
		return v, nil
	}
	if fn, ok := x.w.cfg.services[req.Service+":"+req.Action]; ok {
		x.running(ti.StateName, 1)
		v, err := fn(ctx, req)
		x.running(ti.StateName, -1)
		if err == nil && req.Pattern == statemachine.WaitForTaskToken {
			ti.Token = req.TaskToken
			x.tokenAsked(ti)
		}
		return v, err
	}
	if req.Pattern == statemachine.WaitForTaskToken {
		ti.Token = req.TaskToken
		x.tokenAsked(ti)
		return map[string]any{}, nil
	}
	x.problem("state %q calls %s:%s, which the harness does not run: mock it with sfntest.Mock(%q, sfntest.Return(...)) or implement it with sfntest.Service(%q, fn)", ti.StateName, req.Service, req.Action, ti.StateName, req.Service+":"+req.Action)
	return nil, &statemachine.TaskError{Name: "States.Runtime", Cause: fmt.Sprintf("sfntest: %s:%s is not mocked", req.Service, req.Action)}
}

// tokenAsked handles the token of a .waitForTaskToken call that has been
// made: an [OnToken] answer, or a pending token for the test.
func (x *Execution) tokenAsked(ti statemachine.TaskInfo) {
	if a, ok := x.w.cfg.answers[ti.StateName]; ok {
		var err error
		ctx := context.Background()
		switch a.kind {
		case answerSucceed:
			err = x.engine.SendTaskSuccess(ctx, ti.Token, string(a.output))
		case answerFail:
			err = x.engine.SendTaskFailure(ctx, ti.Token, a.errorName, a.cause)
		}
		if err != nil {
			x.problem("state %q: answering its task token: %v", ti.StateName, err)
		}
		return
	}
	if !x.interactive {
		x.problem("state %q waits for a task token and nothing answers it: give sfntest.OnToken(%q, sfntest.Succeed(...)) (or NoAnswer to let it time out), mock the state, or use Workflow.Start and Execution.Token", ti.StateName, ti.StateName)
		x.mu.Lock()
		select {
		case <-x.stuck:
		default:
			close(x.stuck)
		}
		x.mu.Unlock()
		return
	}
	t := &Token{State: ti.StateName, Token: ti.Token, x: x, hold: x.clock.Hold()}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.finished {
		t.release()
		return
	}
	x.pending[ti.StateName] = append(x.pending[ti.StateName], t)
	close(x.changed)
	x.changed = make(chan struct{})
}

func (x *Execution) running(state string, d int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.inflight[state] += d
}
