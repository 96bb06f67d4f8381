package statemachine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/stepwise-dev/stepwise/statemachine/states"
)

// TestState runs one state in isolation, as the AWS TestState API does: the
// state's data flow is applied to Input, a Task is invoked for real (or
// answered by Mock), and the result says where the state would go next.
// Retries are not performed: a failure a retrier would retry reports
// Status RETRIABLE. No execution is recorded.
func (e *Engine) TestState(ctx context.Context, in TestStateInput) (*TestStateOutput, error) {
	var raw map[string]any
	if err := json.Unmarshal([]byte(in.Definition), &raw); err != nil {
		return nil, apiErr("InvalidDefinition", "Invalid State Machine Definition: '%s'", err.Error())
	}
	name := in.StateName
	var def []byte
	if _, ok := raw["States"]; ok {
		// A whole machine: test the named state (default StartAt).
		if name == "" {
			name, _ = raw["StartAt"].(string)
		}
		def = []byte(in.Definition)
	} else {
		if name == "" {
			name = "TestState"
		}
		states := map[string]any{name: raw}
		for _, next := range referencedStates(raw) {
			if next != name {
				states[next] = map[string]any{"Type": "Succeed"}
			}
		}
		var err error
		if def, err = json.Marshal(map[string]any{"StartAt": name, "States": states}); err != nil {
			return nil, err
		}
	}
	m, err := parse(def, TypeStandard)
	if err != nil {
		return nil, err
	}
	s, ok := m.states[name]
	if !ok {
		return nil, apiErr("ValidationException", "State '%s' does not exist in the definition", name)
	}
	input := "{}"
	if in.Input != "" {
		input = in.Input
	}
	var inVal any
	if err := json.Unmarshal([]byte(input), &inVal); err != nil {
		return nil, apiErr("InvalidExecutionInput", "Invalid input: '%s'", err.Error())
	}
	rec := &smRecord{info: StateMachine{Arn: e.arn("stateMachine", "TestState"), Name: "TestState", Type: TypeStandard, RoleArn: in.RoleArn}, machine: m}
	x := newExecution(e, rec, e.arn("execution", "TestState:"+e.opts.NewUUID()), "TestState", input, inVal)
	x.start = e.clock.Now()
	r := &runner{x: x, env: e.env, mock: in.Mock, noRetry: true}
	vars := &scope{}
	if in.Variables != "" {
		if err := json.Unmarshal([]byte(in.Variables), &vars.vars); err != nil {
			return nil, apiErr("ValidationException", "Invalid variables: '%s'", err.Error())
		}
	}
	th := &thread{x: x}
	st := &step{s: s, input: inVal, entered: e.clock.Now(), th: th, vars: vars, ctx: ctx}
	var out any
	var next string
	var f *failure
	if s.lang == langJSONata {
		out, next, f = r.execJSONata(ctx, st)
	} else {
		out, next, f = r.execState(ctx, st)
	}
	if f != nil && ctx.Err() != nil {
		// The caller gave up (its request context is done); evaluation
		// stopped on that and there is no one to answer.
		return nil, fmt.Errorf("test state %s: %w", name, context.Cause(ctx))
	}
	res := &TestStateOutput{}
	if in.InspectionLevel == "DEBUG" || in.InspectionLevel == "TRACE" {
		res.InspectionData = r.inspect(st, inVal, f, x.history())
	}
	if f == nil {
		res.Status = "SUCCEEDED"
		res.Output = marshal(out)
		res.NextState = next
		return res, nil
	}
	res.Error, res.Cause = f.name, f.cause
	switch c := matchCatch(s.catch, f.name); {
	case f.retriable:
		res.Status = "RETRIABLE"
	case c != nil && !f.runtime:
		res.Status = "CAUGHT_ERROR"
		res.NextState = c.next
		errOut := map[string]any{"Error": f.name, "Cause": f.cause}
		v, ff := r.applyResultPath(st, c.resultPath, inVal, errOut)
		if ff == nil {
			res.Output = marshal(v)
		}
	default:
		res.Status = "FAILED"
	}
	return res, nil
}

// referencedStates lists the state names a single state refers to.
func referencedStates(st map[string]any) []string {
	var out []string
	add := func(v any) {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	add(st["Next"])
	add(st["Default"])
	for _, key := range []string{"Choices", "Catch"} {
		for _, c := range asList(st[key]) {
			if cm, ok := c.(map[string]any); ok {
				add(cm["Next"])
			}
		}
	}
	return out
}

// mockResult answers a Task from TestState's Mock.
func mockResult(m *TestStateMock) (any, *failure) {
	if m.ErrorOutput != nil {
		return nil, &failure{name: m.ErrorOutput.Error, cause: m.ErrorOutput.Cause}
	}
	var v any
	if err := json.Unmarshal([]byte(m.Result), &v); err != nil {
		return nil, &failure{name: states.Runtime, cause: fmt.Sprintf("Mock.Result is not JSON: %v", err)}
	}
	return v, nil
}
