package interp

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
	"github.com/stepwise-dev/stepwise/statemachine/intrinsic"
	"github.com/stepwise-dev/stepwise/statemachine/states"
)

// failure is a state or execution failure: an error name and a cause.
// runtime failures (States.Runtime and friends) cannot be retried or caught
// and end the execution.
type failure struct {
	name, cause string
	runtime     bool
	// where the top-level run stopped, for RedriveExecution
	state      string
	stateInput any
	// failEvent (e.g. "MapStateFailed") is recorded with previousEventId
	// prev once no retrier takes the failure.
	failEvent string
	prev      int64
	retriable bool // TestState: a retrier would have retried
	// branchPrev is the branch thread's last event before its
	// StateAborted event (what a retried Parallel links to).
	branchPrev int64
}

func (f *failure) Error() string { return f.name + ": " + f.cause }

// thread is one sequence of history events (the execution, or one branch
// or iteration); prev is the id of its last event.
type thread struct {
	x    Run
	prev int64
	top  bool // the execution's own thread (checkpointed)
	// branch marks a Parallel branch: a state a failure leaves is
	// recorded as <Type>StateAborted, as AWS does.
	branch bool
}

func (t *thread) add(typ string, d any) int64 {
	id := t.x.AddEvent(typ, t.prev, d)
	t.prev = id
	return id
}

// runner runs one execution (or a Map Run child, or a TestState state)
// against its env; it writes to the execution through x.
type runner struct {
	x      Run
	env    *Env
	resume *Progress // where a resumed execution picks up, until used
	// TestState: tasks answered by mock; failures a retrier would retry
	// are reported instead of retried.
	mock    *Mock
	noRetry bool
	test    *testRun // the state under test and its stateConfiguration

	// The Execution and StateMachine members of $$, built once per run.
	ctxOnce        sync.Once
	ctxExec, ctxSM map[string]any
}

// contextObject returns the members of $$ that do not change during the
// run.
func (r *runner) contextObject() (exe, sm map[string]any) {
	r.ctxOnce.Do(func() {
		info := r.x.Info()
		r.ctxExec = map[string]any{
			"Id":        info.ARN,
			"Input":     info.Input,
			"Name":      info.Name,
			"RoleArn":   info.RoleArn,
			"StartTime": info.StartTime.UTC().Format(isoMillis),
		}
		if !info.NoRedriveCount {
			r.ctxExec["RedriveCount"] = float64(info.RedriveCount)
		}
		if info.RedriveTime != nil {
			r.ctxExec["RedriveTime"] = info.RedriveTime.UTC().Format(isoMillis)
		}
		r.ctxSM = map[string]any{"Id": info.StateMachineARN, "Name": info.StateMachineName}
	})
	return r.ctxExec, r.ctxSM
}

// mapItem is the $$.Map.Item of an iteration.
type mapItem struct {
	index int
	value any
}

// step is the per-state-visit context: the state, its input, and what the
// context object needs.
type step struct {
	s         *state
	input     any
	entered   time.Time
	enteredID int64
	// enteredPrev is the previousEventId of the StateEntered event.
	enteredPrev int64
	retries     int
	token       string
	item        *mapItem
	th          *thread
	vars        *scope
	ctxObj      map[string]any
	// result is what JSONPath Assign sees as "$"; assigned holds the
	// variables the visit assigns.
	result         any
	assigned       map[string]any
	compiledAssign *assignBlock
	// resume is the persisted progress this visit continues, if any.
	resume *Progress
	// ctx is the run's context: expression evaluation stops when it is
	// done (StopExecution, TimeoutSeconds, engine shutdown, a TestState
	// caller gone).
	ctx context.Context
}

// progress returns the checkpoint of a top-level step.
func (r *runner) progress(st *step) *Progress {
	p := &Progress{State: st.s.name, Input: json.RawMessage(Marshal(st.input)), EnteredID: st.enteredID, EnteredPrev: st.enteredPrev,
		Entered: st.entered, Prev: st.th.prev, Token: st.token}
	if st.vars != nil && len(st.vars.vars) > 0 {
		p.Vars = st.vars.vars
	}
	return p
}

// durable reports whether the step's position is checkpointed.
func (r *runner) durable(st *step) bool { return st.th.top && r.env.Durable }

func (r *runner) runtimeErr(st *step, format string, a ...any) *failure {
	return &failure{name: states.Runtime, runtime: true,
		cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). ", st.s.name, st.enteredID) + fmt.Sprintf(format, a...)}
}

// runMachine runs m from startAt until an End, Succeed or failure.
func (r *runner) runMachine(ctx context.Context, m *Machine, startAt string, input any, th *thread, vars *scope, item *mapItem) (any, *failure) {
	cur := startAt
	if vars == nil {
		vars = &scope{}
	}
	for {
		s := m.states[cur]
		if s == nil {
			return nil, &failure{name: states.Runtime, runtime: true, cause: fmt.Sprintf("state %q does not exist", cur)}
		}
		if ctx.Err() != nil {
			return nil, &failure{name: states.Aborted, runtime: true}
		}
		st := &step{s: s, input: input, entered: r.env.Clock.Now(), th: th, vars: vars, item: item, ctx: ctx}
		if p := r.resume; p != nil && th.top && p.State == cur {
			r.resume = nil
			st.resume = p
			st.entered, st.enteredID, st.enteredPrev = p.Entered, p.EnteredID, p.EnteredPrev
			th.prev = p.Prev
		} else {
			st.enteredPrev = th.prev
			st.enteredID = th.add(s.enteredType, &StateEnteredEventDetails{Name: s.name, Input: lazyJSON(input)})
			if r.durable(st) {
				r.x.Checkpoint(r.progress(st))
			}
		}
		out, next, f := r.execStep(ctx, st)
		if f == nil && s.lang != langJSONata {
			f = r.assignJSONPath(st)
		}
		if r.x.Overflowed() {
			return nil, &failure{name: states.Runtime, runtime: true, cause: "The execution reached the maximum number of events in its history (25000)."}
		}
		if f != nil {
			var c *catcher
			if !f.runtime && ctx.Err() == nil {
				c = matchCatch(s.catch, f.name)
			}
			if c == nil {
				if f.state == "" {
					f.state, f.stateInput = cur, input
				}
				f.branchPrev = th.prev
				r.aborted(th, s)
				return nil, f
			}
			res, assigned, ff := r.flow(st).caught(st, c, map[string]any{"Error": f.name, "Cause": f.cause})
			if ff != nil {
				return nil, ff
			}
			th.add(s.exitedType, r.exited(s.name, lazyJSON(res), assigned, vars))
			cur, input = c.next, res
			continue
		}
		if s.typ != "Fail" {
			if jsonSize(out, MaxPayload) > MaxPayload {
				return nil, &failure{name: states.DataLimitExceeded, runtime: true, state: cur, stateInput: input,
					cause: fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", s.name)}
			}
			th.add(s.exitedType, r.exited(s.name, lazyJSON(out), st.assigned, vars))
		}
		if next == "" {
			return out, nil
		}
		cur, input = next, out
	}
}

// assignJSONPath runs a JSONPath state's Assign (or the taken Choice
// rule's), which sees the state's result as "$".
func (r *runner) assignJSONPath(st *step) *failure {
	ab := st.s.compiledAssign
	if st.compiledAssign != nil {
		ab = st.compiledAssign
	}
	if ab == nil || st.s.typ == "Fail" {
		return nil
	}
	var f *failure
	st.assigned, f = r.runAssign(st, ab, nil, st.result)
	return f
}

// aborted records <Type>StateAborted when a failure leaves a state of a
// Parallel branch.
func (r *runner) aborted(th *thread, s *state) {
	if th.branch && s.typ != "Fail" && !r.x.Overflowed() {
		th.add(eventtype.StateAborted(s.typ), nil)
	}
}

// exited builds a StateExited event and applies the assigned variables.
func (r *runner) exited(name string, output JSONText, assigned map[string]any, vars *scope) *StateExitedEventDetails {
	d := &StateExitedEventDetails{Name: name, Output: output}
	if len(assigned) > 0 { // an empty Assign block records neither field
		d.AssignedVariables = make(map[string]string, len(assigned))
		for k, v := range assigned {
			d.AssignedVariables[k] = Marshal(v)
			vars.set(k, v)
		}
		d.AssignedVariablesDetails = &HistoryEventDetails{}
	}
	return d
}

// flow is one query language's data flow around a state's work: JSONPath
// (InputPath, Parameters, ResultSelector, ResultPath, OutputPath; Assign
// runs after it in runMachine) or JSONata (Arguments, Output, Assign).
// execStep is the one dispatch over state types; the flow does what
// differs between the languages.
type flow interface {
	// input is what the state works on (InputPath in JSONPath).
	input(st *step) (any, *failure)
	// pass is a Pass state's result; ok is false when it has none.
	pass(st *step, in any) (res any, ok bool, f *failure)
	// args is what a Task, Parallel or Map state's work receives.
	args(st *step, in any) (any, *failure)
	// matches reports whether Choice rule i (c) holds for in.
	matches(st *step, i int, c *choiceRule, in any) (bool, *failure)
	wait(ctx context.Context, st *step, in any) *failure
	fail(st *step) *failure
	// output is the state's output: from result when hasResult (Pass,
	// Task, Parallel, Map), else from in; rule is the Choice rule taken.
	output(st *step, in, result any, hasResult bool, rule *choiceRule) (any, *failure)
	// caught is the output of Catch c for the error output errOut, and
	// the variables c assigns.
	caught(st *step, c *catcher, errOut map[string]any) (any, map[string]any, *failure)
}

// flow returns the data flow of the step's query language.
func (r *runner) flow(st *step) flow {
	if st.s.lang == langJSONata {
		return &jsonataFlow{r: r, vars: r.lazyVars(st, nil)}
	}
	return jsonPathFlow{r}
}

// execStep runs one state visit and returns its output and the next state
// ("" at the end).
func (r *runner) execStep(ctx context.Context, st *step) (any, string, *failure) {
	s := st.s
	fl := r.flow(st)
	if s.typ == "Fail" {
		return nil, "", fl.fail(st)
	}
	in, f := fl.input(st)
	if f != nil {
		return nil, "", f
	}
	next := s.next
	if s.end || s.typ == "Succeed" {
		next = ""
	}
	var res any
	hasResult := false
	var rule *choiceRule
	switch s.typ {
	case "Succeed":
	case "Pass":
		res, hasResult, f = fl.pass(st, in)
	case "Choice":
		next, rule, f = r.choose(st, fl, in)
	case "Wait":
		f = fl.wait(ctx, st, in)
	case "Task", "Parallel", "Map":
		var args any
		if args, f = fl.args(st, in); f == nil {
			res, f = r.runWithRetry(ctx, st, args)
			hasResult = true
		}
	default:
		return nil, "", r.runtimeErr(st, "unsupported state type %q", s.typ)
	}
	if f != nil {
		return nil, "", f
	}
	out, f := fl.output(st, in, res, hasResult, rule)
	return out, next, f
}

// choose returns the Next of the first Choice rule that holds (and the
// rule), or the Default.
func (r *runner) choose(st *step, fl flow, in any) (string, *choiceRule, *failure) {
	for i, c := range st.s.choice.choices {
		ok, f := fl.matches(st, i, c, in)
		if f != nil {
			return "", nil, f
		}
		if ok {
			st.compiledAssign = c.compiledAssign
			return c.next, c, nil
		}
	}
	if st.s.choice.defaultNext == "" {
		return "", nil, &failure{name: states.NoChoiceMatched, cause: "No Matches!"}
	}
	return st.s.choice.defaultNext, nil, nil
}

// runWithRetry runs a Task, Parallel or Map state's work on input (the
// effective input, or the evaluated Arguments in JSONata), retrying as its
// Retry says. Both query languages share it.
func (r *runner) runWithRetry(ctx context.Context, st *step, input any) (any, *failure) {
	return r.withRetry(ctx, st, func() (any, *failure) {
		switch st.s.typ {
		case "Task":
			return r.execTask(ctx, st, input)
		case "Parallel":
			return r.execParallel(ctx, st, input)
		}
		return r.execMap(ctx, st, input)
	})
}

func (r *runner) execFail(st *step) *failure {
	s := st.s
	f := &failure{}
	if s.fail.errorLit != nil {
		f.name = *s.fail.errorLit
	}
	if s.fail.causeLit != nil {
		f.cause = *s.fail.causeLit
	}
	for _, p := range []struct {
		t     *tmpl
		field string
		dst   *string
	}{{s.fail.errorPath, "ErrorPath", &f.name}, {s.fail.causePath, "CausePath", &f.cause}} {
		if p.t == nil {
			continue
		}
		fd := &p.t.fields[0]
		var v any
		var err error
		if fd.fn != nil {
			v, err = fd.fn.Eval(stepResolver{r, st, st.input}, &intrinsic.Options{Rand: r.env.Rand, UUID: r.env.NewUUID})
			if err != nil {
				return &failure{name: states.IntrinsicFailure, cause: err.Error()}
			}
		} else {
			v, err = r.resolve(st, fd.path, st.input)
			if err != nil {
				return r.runtimeErr(st, "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", fd.expr, p.field, Marshal(st.input))
			}
		}
		sv, ok := v.(string)
		if !ok {
			sv = Marshal(v)
		}
		*p.dst = sv
	}
	return f
}
