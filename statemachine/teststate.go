package statemachine

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/stepwise-dev/stepwise/statemachine/internal/interp"
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
	if _, ok := m.State(name); !ok {
		return nil, apiErr("ValidationException", "State '%s' does not exist in the definition", name)
	}
	if err := activityNeedsMock(def, name, in.Mock != nil); err != nil {
		return nil, err
	}
	if err := flowNeedsMock(m, name, in.Mock != nil); err != nil {
		return nil, err
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
	vars := map[string]any{}
	if in.Variables != "" {
		if err := json.Unmarshal([]byte(in.Variables), &vars); err != nil {
			return nil, apiErr("ValidationException", "Invalid variables: '%s'", err.Error())
		}
	}
	out, err := interp.TestState(ctx, e.env, x, interp.StateTest{Machine: m, State: name, Input: inVal, Vars: vars, Mock: in.Mock,
		Config: in.StateConfiguration, Inspect: in.InspectionLevel == "DEBUG" || in.InspectionLevel == "TRACE", History: x.history,
		Trace: in.InspectionLevel == "TRACE", RevealSecrets: in.RevealSecrets})
	var bad *interp.TestInputError
	if errors.As(err, &bad) {
		return nil, apiErr("ValidationException", "%s", bad.Message)
	}
	return out, err
}

// flowNeedsMock refuses to test a Map or Parallel state, or a .sync or
// .waitForTaskToken Task, without a mock: "TestState only supports the
// following when a mock is specified: Activity tasks, .sync or
// .waitForTaskToken service integration patterns, Parallel, or Map
// states" (API reference). A mocked Map or Parallel does not run its
// iterations or branches: the mock is the state's result.
func flowNeedsMock(m *Machine, name string, mocked bool) error {
	if mocked {
		return nil
	}
	st, _ := m.State(name)
	switch {
	case st.Type == "Map" || st.Type == "Parallel":
		return apiErr("ValidationException", "TestState supports a %s state only with a mock: pass a mock result (the state's whole result) or error for state '%s'", st.Type, name)
	case st.Type == "Task" && (strings.HasSuffix(st.Resource, ".waitForTaskToken") || strings.HasSuffix(st.Resource, ".sync") || strings.Contains(st.Resource, ".sync:")):
		return apiErr("ValidationException", "TestState supports the .sync and .waitForTaskToken integration patterns only with a mock: state '%s' calls %s; pass a mock result or error", name, st.Resource)
	}
	return nil
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
		for _, c := range list(st[key]) {
			if cm, ok := c.(map[string]any); ok {
				add(cm["Next"])
			}
		}
	}
	return out
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}
