package interp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
	"github.com/stepwise-dev/stepwise/statemachine/states"
)

// InspectionData is what TestState returns with inspectionLevel DEBUG or
// TRACE: the state's data at each step of its data flow, as JSON text. An
// empty field was not reached or does not apply to the state, and is left
// out of the answer (AWS's shapes, as recorded: a Pass with Result has no
// afterInputPath or afterParameters; Choice, Succeed, Fail and Wait stop at
// afterInputPath).
type InspectionData struct {
	Input               string
	AfterInputPath      string // JSONPath only
	AfterParameters     string // JSONPath only
	AfterArguments      string // JSONata only
	Result              string
	AfterResultSelector string // JSONPath only
	AfterResultPath     string // JSONPath only
	// Variables are the workflow variables after the state: those given to
	// TestState and those the state assigns.
	Variables string

	// A Map's items after ItemsPath (JSONPath, without ItemReader),
	// ItemSelector and ItemBatcher (JSON arrays; "" when the field is
	// absent), its MaxConcurrency, and the tolerance it declares
	// (testconfig.go).
	AfterItemsPath, AfterItemSelector, AfterItemBatcher string
	MaxConcurrency                                      *int64
	ToleratedFailureCount                               *int64
	ToleratedFailurePercentage                          *float64
	// ErrorDetails names the Retry or Catch that handled the error.
	ErrorDetails *InspectionErrorDetails
	// Request and Response are an HTTP Task's raw exchange, at inspection
	// level TRACE only; nil otherwise.
	Request  *HTTPTraceRequest
	Response *HTTPTraceResponse
}

// inspect builds TestState's inspection data after the state ran: out and
// f are what it returned. It re-derives the steps of the data flow that the
// interpreter does not keep (InputPath, ResultPath), reads what was sent
// and received from the history events, and uses the mock when there is
// one. f is the state's failure, if any. TRACE's HTTP request and response
// are added by TestState from what the service invoker reported (trace.go).
func (r *runner) inspect(st *step, inVal any, f *failure, events []HistoryEvent) *InspectionData {
	s := st.s
	d := &InspectionData{Input: Marshal(inVal)}
	sent, received := taskEvents(events)
	vars := st.vars.all()
	if s.lang == langJSONata {
		switch s.typ {
		case "Task", "Parallel", "Map":
			d.AfterArguments = sent
			if d.AfterArguments == "" && s.j.args != nil { // a mock answered: nothing was sent
				if v, ff := r.jevalLazyVars(st, s.j.args, "Arguments", r.lazyVars(st, nil)); ff == nil {
					d.AfterArguments = Marshal(v)
				}
			}
			if f == nil {
				d.Result = received
				if d.Result == "" && r.mock != nil && r.mock.ErrorOutput == nil {
					d.Result = compactText(r.mock.Result)
				}
			}
		}
		d.Variables = marshalVars(vars, st.assigned)
		return d
	}
	withResult := s.typ == "Pass" && s.hasResult
	effInput, ff := r.applyInputPath(st, inVal)
	if ff != nil {
		return d
	}
	if !withResult {
		d.AfterInputPath = Marshal(effInput)
	}
	switch s.typ {
	case "Pass":
		if f != nil {
			return d
		}
		d.AfterResultSelector = Marshal(st.result)
		if withResult {
			d.Result = Marshal(st.result)
		} else {
			d.AfterParameters = Marshal(st.result)
		}
	case "Task", "Parallel", "Map":
		d.AfterParameters = sent
		if d.AfterParameters == "" {
			params := effInput
			if s.parameters != nil {
				if params, ff = r.evalTmpl(st, s.parameters, effInput, "Parameters"); ff != nil {
					return d
				}
			}
			d.AfterParameters = Marshal(params)
		}
		if f != nil {
			return d
		}
		d.Result = received
		if d.Result == "" && r.mock != nil && r.mock.ErrorOutput == nil {
			d.Result = compactText(r.mock.Result)
		}
		if d.Result == "" && s.resultSel == nil {
			d.Result = Marshal(st.result)
		}
		d.AfterResultSelector = Marshal(st.result)
	default:
		return d
	}
	if v, ff := r.applyResultPath(st, s.resultPath, inVal, st.result); ff == nil {
		d.AfterResultPath = Marshal(v)
	}
	// TestState runs the state alone, so the Assign that runMachine would
	// run after it is evaluated here, for the variables only.
	ab := s.compiledAssign
	if st.compiledAssign != nil {
		ab = st.compiledAssign
	}
	assigned, _ := r.runAssign(st, ab, nil, st.result)
	d.Variables = marshalVars(vars, assigned)
	return d
}

// taskEvents returns what the tested state's task sent (TaskScheduled
// parameters, LambdaFunctionScheduled input) and the result it received
// (the output of *Succeeded), as JSON text; "" when there is none.
func taskEvents(events []HistoryEvent) (sent, received string) {
	for _, ev := range events {
		if ev.Details == nil {
			continue
		}
		var m map[string]any
		b, err := json.Marshal(ev.Details)
		if err != nil || json.Unmarshal(b, &m) != nil {
			continue
		}
		switch {
		case ev.Type == eventtype.TaskScheduled:
			sent, _ = m["parameters"].(string)
		case ev.Type == eventtype.LambdaFunctionScheduled:
			sent, _ = m["input"].(string)
		case strings.HasSuffix(ev.Type, "Succeeded") && (strings.HasPrefix(ev.Type, "Task") || strings.HasPrefix(ev.Type, "LambdaFunction")):
			received, _ = m["output"].(string)
		}
	}
	return sent, received
}

// marshalVars is the JSON text of the variables after a state, "" when
// there are none.
func marshalVars(vars, assigned map[string]any) string {
	if len(vars) == 0 && len(assigned) == 0 {
		return ""
	}
	all := make(map[string]any, len(vars)+len(assigned))
	for k, v := range vars {
		all[k] = v
	}
	for k, v := range assigned {
		all[k] = v
	}
	return Marshal(all)
}

// compactText re-encodes JSON text compactly (as AWS returns it), or
// returns it unchanged if it is not JSON.
func compactText(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	return Marshal(v)
}

// Mock answers a TestState task instead of invoking it.
type Mock struct {
	Result      string
	ErrorOutput *MockError
}

// MockError is a mocked task failure.
type MockError struct {
	Error, Cause string
}

// TestResult is the outcome of one [TestState] call.
type TestResult struct {
	Output    string
	Error     string
	Cause     string
	NextState string
	Status    string // SUCCEEDED FAILED RETRIABLE CAUGHT_ERROR
	// InspectionData is set when [StateTest.Inspect] asks for it.
	InspectionData *InspectionData
}

// StateTest is one state to run alone (the TestState API).
type StateTest struct {
	Machine *Machine
	State   string
	Input   any
	Vars    map[string]any
	Mock    *Mock // answers a Task instead of invoking it; may be nil
	Config  StateConfig
	Inspect bool // fill InspectionData
	// Trace (inspection level TRACE) adds an HTTP Task's request and
	// response to InspectionData; RevealSecrets shows what its connection
	// added (see [ServiceRequest.Trace]).
	Trace, RevealSecrets bool
	// History returns the events the run recorded so far.
	History func() []HistoryEvent
}

// TestState runs t.State of t.Machine once on x: retries are not
// performed (a failure a retrier would retry reports RETRIABLE) and a
// Catch is reported, not followed. The error is set when ctx ended the
// evaluation, or is a *[TestInputError] when t.Config does not fit the
// state.
func TestState(ctx context.Context, env *Env, x Run, t StateTest) (*TestResult, error) {
	s, ok := t.Machine.states[t.State]
	if !ok {
		return nil, fmt.Errorf("test state: no state %q", t.State)
	}
	if err := checkTestConfig(s, t.Config, t.Mock); err != nil {
		return nil, err
	}
	inVal := t.Input
	r := &runner{x: x, env: env, mock: t.Mock, noRetry: true, test: &testRun{state: s, cfg: t.Config}}
	vars := &scope{vars: t.Vars}
	th := &thread{x: x}
	var trace *traceSink
	if t.Inspect && t.Trace {
		trace = &traceSink{reveal: t.RevealSecrets}
		ctx = context.WithValue(ctx, traceKey{}, trace)
	}
	st := &step{s: s, input: inVal, entered: env.Clock.Now(), th: th, vars: vars, ctx: ctx}
	out, next, f := r.execStep(ctx, st)
	if f != nil && ctx.Err() != nil {
		// The caller gave up (its request context is done); evaluation
		// stopped on that and there is no one to answer.
		return nil, fmt.Errorf("test state %s: %w", t.State, context.Cause(ctx))
	}
	if r.test.err != nil {
		return nil, r.test.err
	}
	res := &TestResult{}
	defer func() {
		if res.InspectionData != nil {
			r.test.fill(res.InspectionData)
		}
	}()
	if t.Inspect {
		res.InspectionData = r.inspect(st, inVal, f, t.History())
		trace.fill(res.InspectionData)
	}
	if f == nil {
		res.Status = "SUCCEEDED"
		res.Output = Marshal(out)
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
		for i := range s.catch {
			if s.catch[i] == c {
				r.test.errors.CatchIndex = &i
			}
		}
		errOut := map[string]any{"Error": f.name, "Cause": f.cause}
		v, ff := r.applyResultPath(st, c.resultPath, inVal, errOut)
		if ff == nil {
			res.Output = Marshal(v)
		}
	default:
		res.Status = "FAILED"
	}
	return res, nil
}

// mockResult answers a Task from TestState's Mock.
func mockResult(m *Mock) (any, *failure) {
	if m.ErrorOutput != nil {
		return nil, &failure{name: m.ErrorOutput.Error, cause: m.ErrorOutput.Cause}
	}
	var v any
	if err := json.Unmarshal([]byte(m.Result), &v); err != nil {
		return nil, &failure{name: states.Runtime, cause: fmt.Sprintf("Mock.Result is not JSON: %v", err)}
	}
	return v, nil
}
