package statemachine

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
	"github.com/stepwise-dev/stepwise/statemachine/intrinsic"
	"github.com/stepwise-dev/stepwise/statemachine/jsonpath"
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
	x    *execution
	prev int64
	top  bool // the execution's own thread (checkpointed)
	// branch marks a Parallel branch: a state a failure leaves is
	// recorded as <Type>StateAborted, as AWS does.
	branch bool
}

func (t *thread) add(typ string, d any) int64 {
	id := t.x.addEvent(typ, t.prev, d)
	t.prev = id
	return id
}

type runner struct {
	x      *execution
	e      *Engine
	resume *progress // where a resumed execution picks up, until used
	// TestState: tasks answered by mock; failures a retrier would retry
	// are reported instead of retried.
	mock    *TestStateMock
	noRetry bool
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
	result   any
	assigned map[string]any
	assignB  *assignBlock
	// resume is the persisted progress this visit continues, if any.
	resume *progress
	// ctx is the run's context: expression evaluation stops when it is
	// done (StopExecution, TimeoutSeconds, engine shutdown, a TestState
	// caller gone).
	ctx context.Context
}

// progress returns the checkpoint of a top-level step.
func (r *runner) progress(st *step) *progress {
	p := &progress{State: st.s.name, Input: json.RawMessage(marshal(st.input)), EnteredID: st.enteredID, EnteredPrev: st.enteredPrev,
		Entered: st.entered, Prev: st.th.prev, Token: st.token}
	if st.vars != nil && len(st.vars.vars) > 0 {
		p.Vars = st.vars.vars
	}
	return p
}

// durable reports whether the step's position is checkpointed.
func (r *runner) durable(st *step) bool { return st.th.top && r.e.opts.Store != nil }

// waitFor sleeps d on the engine clock; a checkpointed Wait records its
// deadline so that a resumed execution keeps the remaining time.
func (r *runner) waitFor(ctx context.Context, st *step, d time.Duration) *failure {
	if r.durable(st) {
		until := r.e.clock.Now().Add(d)
		if st.resume != nil && st.resume.WaitUntil != nil {
			until = *st.resume.WaitUntil
			d = until.Sub(r.e.clock.Now())
		}
		p := r.progress(st)
		p.WaitUntil = &until
		r.x.checkpoint(p)
	}
	return r.sleep(ctx, d)
}

type (
	contextT  = context.Context
	durationT = time.Duration
)

func secondsDur(n float64) time.Duration { return time.Duration(n * float64(time.Second)) }

// sleep waits d on the engine clock.
func (r *runner) sleep(ctx context.Context, d time.Duration) *failure {
	if d <= 0 {
		return nil
	}
	select {
	case <-r.e.clock.After(d):
		return nil
	case <-ctx.Done():
		return &failure{name: states.Aborted, runtime: true}
	}
}

// scope holds workflow variables; children see their parents' variables.
type scope struct {
	parent *scope
	vars   map[string]any
}

func (sc *scope) lookup(name string) (any, bool) {
	for s := sc; s != nil; s = s.parent {
		if v, ok := s.vars[name]; ok {
			return v, true
		}
	}
	return nil, false
}

func (sc *scope) all() map[string]any {
	if sc == nil {
		return nil
	}
	if sc.parent == nil {
		return sc.vars
	}
	out := map[string]any{}
	for s := sc; s != nil; s = s.parent {
		for k, v := range s.vars {
			if _, ok := out[k]; !ok {
				out[k] = v
			}
		}
	}
	return out
}

func (sc *scope) set(name string, v any) {
	if sc.vars == nil {
		sc.vars = map[string]any{}
	}
	sc.vars[name] = v
}

const isoMillis = "2006-01-02T15:04:05.000Z"

// context returns the context object ($$) of the step, built on first use.
func (r *runner) context(st *step) map[string]any {
	if st.ctxObj != nil {
		return st.ctxObj
	}
	x := r.x
	x.mu.Lock()
	if x.ctxExec == nil {
		exe := map[string]any{
			"Id":        x.arn,
			"Input":     x.inVal,
			"Name":      x.name,
			"RoleArn":   x.sm.info.RoleArn,
			"StartTime": x.start.UTC().Format(isoMillis),
		}
		if !x.sync {
			exe["RedriveCount"] = float64(x.redrives)
		}
		if x.redriveDate != nil {
			exe["RedriveTime"] = x.redriveDate.UTC().Format(isoMillis)
		}
		x.ctxExec = exe
		x.ctxSM = map[string]any{"Id": x.sm.baseArn(), "Name": x.sm.info.Name}
	}
	exe, sm := x.ctxExec, x.ctxSM
	x.mu.Unlock()
	c := map[string]any{
		"Execution":    exe,
		"State":        map[string]any{"Name": st.s.name, "EnteredTime": st.entered.UTC().Format(isoMillis)},
		"StateMachine": sm,
	}
	if st.s.typ == "Task" {
		c["State"].(map[string]any)["RetryCount"] = float64(st.retries)
	}
	if st.token != "" {
		c["Task"] = map[string]any{"Token": st.token}
	}
	if st.item != nil {
		c["Map"] = map[string]any{"Item": map[string]any{"Index": float64(st.item.index), "Value": st.item.value}}
	}
	st.ctxObj = c
	return c
}

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
		st := &step{s: s, input: input, entered: r.e.clock.Now(), th: th, vars: vars, item: item, ctx: ctx}
		if p := r.resume; p != nil && th.top && p.State == cur {
			r.resume = nil
			st.resume = p
			st.entered, st.enteredID, st.enteredPrev = p.Entered, p.EnteredID, p.EnteredPrev
			th.prev = p.Prev
		} else {
			st.enteredPrev = th.prev
			st.enteredID = th.add(s.enteredType, &StateEnteredEventDetails{Name: s.name, Input: lazyJSON(input)})
			if r.durable(st) {
				r.x.checkpoint(r.progress(st))
			}
		}
		var out any
		var next string
		var f *failure
		if s.lang == langJSONata {
			out, next, f = r.execJSONata(ctx, st)
		} else {
			out, next, f = r.execState(ctx, st)
			if f == nil {
				ab := s.assignB
				if st.assignB != nil {
					ab = st.assignB
				}
				if ab != nil && s.typ != "Fail" {
					st.assigned, f = r.runAssign(st, ab, nil, st.result)
				}
			}
		}
		if r.x.overflow {
			return nil, &failure{name: states.Runtime, runtime: true, cause: "The execution reached the maximum number of events in its history (25000)."}
		}
		if f != nil {
			if f.runtime || ctx.Err() != nil {
				if f.state == "" {
					f.state, f.stateInput = cur, input
				}
				f.branchPrev = th.prev
				r.aborted(th, s)
				return nil, f
			}
			c := matchCatch(s.catch, f.name)
			if c == nil {
				if f.state == "" {
					f.state, f.stateInput = cur, input
				}
				f.branchPrev = th.prev
				r.aborted(th, s)
				return nil, f
			}
			errOut := map[string]any{"Error": f.name, "Cause": f.cause}
			var res any
			var assigned map[string]any
			var ff *failure
			if s.lang == langJSONata {
				jv := r.jvars(st, map[string]any{"errorOutput": errOut})
				if assigned, ff = r.runAssign(st, c.assignB, jv, nil); ff != nil {
					return nil, ff
				}
				res = errOut
				if c.outputJ != nil {
					if res, ff = r.jeval(st, c.outputJ, "Output", jv); ff != nil {
						return nil, ff
					}
				}
			} else {
				if assigned, ff = r.runAssign(st, c.assignB, nil, errOut); ff != nil {
					return nil, ff
				}
				if res, ff = r.applyResultPath(st, c.resultPath, input, errOut); ff != nil {
					return nil, ff
				}
			}
			th.add(s.exitedType, r.exited(s.name, lazyJSON(res), assigned, vars))
			cur, input = c.next, res
			continue
		}
		if s.typ != "Fail" {
			if jsonSize(out, maxPayload) > maxPayload {
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

// aborted records <Type>StateAborted when a failure leaves a state of a
// Parallel branch.
func (r *runner) aborted(th *thread, s *state) {
	if th.branch && s.typ != "Fail" && !r.x.overflow {
		th.add(eventtype.StateAborted(s.typ), nil)
	}
}

// exited builds a StateExited event and applies the assigned variables.
func (r *runner) exited(name string, output JSONText, assigned map[string]any, vars *scope) *StateExitedEventDetails {
	d := &StateExitedEventDetails{Name: name, Output: output}
	if len(assigned) > 0 { // an empty Assign block records neither field
		d.AssignedVariables = make(map[string]string, len(assigned))
		for k, v := range assigned {
			d.AssignedVariables[k] = marshal(v)
			vars.set(k, v)
		}
		d.AssignedVariablesDetails = &HistoryEventDetails{}
	}
	return d
}

func matchErr(list []string, name string) bool {
	for _, e := range list {
		switch {
		case e == name:
			return true
		case e == states.ALL:
			return true
		case e == states.TaskFailed && name != states.Timeout && name != states.HeartbeatTimeout && !strings.HasPrefix(name, states.Prefix) || e == states.TaskFailed && name == states.TaskFailed:
			return true
		}
	}
	return false
}

func matchCatch(cs []*catcher, name string) *catcher {
	for _, c := range cs {
		if matchErr(c.errors, name) {
			return c
		}
	}
	return nil
}

// execState runs one state visit and returns its output and the next state
// ("" at the end).
func (r *runner) execState(ctx context.Context, st *step) (any, string, *failure) {
	s := st.s
	next := s.next
	if s.end {
		next = ""
	}
	switch s.typ {
	case "Pass":
		eff, f := r.applyInputPath(st, st.input)
		if f != nil {
			return nil, "", f
		}
		res := eff
		if s.hasResult {
			res = s.result
		} else if s.parameters != nil {
			if res, f = r.evalTmpl(st, s.parameters, eff, "Parameters"); f != nil {
				return nil, "", f
			}
		}
		st.result = res
		out, f := r.finishOutput(st, res)
		return out, next, f
	case "Succeed":
		eff, f := r.applyInputPath(st, st.input)
		if f != nil {
			return nil, "", f
		}
		st.result = eff
		out, f := r.applyOutputPath(st, eff)
		return out, "", f
	case "Fail":
		return nil, "", r.execFail(st)
	case "Choice":
		eff, f := r.applyInputPath(st, st.input)
		if f != nil {
			return nil, "", f
		}
		target := ""
		for _, c := range s.choices {
			ok, f := r.evalRule(st, c, eff)
			if f != nil {
				return nil, "", f
			}
			if ok {
				target = c.next
				st.assignB = c.assignB
				break
			}
		}
		if target == "" {
			target = s.defaultNext
		}
		if target == "" {
			return nil, "", &failure{name: states.NoChoiceMatched, cause: "No Matches!"}
		}
		st.result = eff
		out, f := r.applyOutputPath(st, eff)
		return out, target, f
	case "Wait":
		eff, f := r.applyInputPath(st, st.input)
		if f != nil {
			return nil, "", f
		}
		if f := r.execWait(ctx, st, eff); f != nil {
			return nil, "", f
		}
		st.result = eff
		out, f := r.applyOutputPath(st, eff)
		return out, next, f
	case "Task", "Parallel", "Map":
		eff, f := r.applyInputPath(st, st.input)
		if f != nil {
			return nil, "", f
		}
		res, f := r.withRetry(ctx, st, func() (any, *failure) {
			switch s.typ {
			case "Task":
				return r.execTask(ctx, st, eff)
			case "Parallel":
				return r.execParallel(ctx, st, eff)
			}
			return r.execMap(ctx, st, eff)
		})
		if f != nil {
			return nil, "", f
		}
		if s.resultSel != nil {
			if res, f = r.evalTmpl(st, s.resultSel, res, "ResultSelector"); f != nil {
				return nil, "", f
			}
		}
		st.result = res
		out, f := r.finishOutput(st, res)
		return out, next, f
	}
	return nil, "", r.runtimeErr(st, "unsupported state type %q", s.typ)
}

// withRetry runs attempt, retrying failures as the state's Retry says.
func (r *runner) withRetry(ctx context.Context, st *step, attempt func() (any, *failure)) (any, *failure) {
	counts := make([]int, len(st.s.retry))
	for {
		res, f := attempt()
		if f == nil || f.runtime || ctx.Err() != nil {
			return res, r.giveUp(st, f)
		}
		idx := -1
		for i, rt := range st.s.retry {
			if matchErr(rt.errors, f.name) {
				idx = i
				break
			}
		}
		if idx < 0 {
			return nil, r.giveUp(st, f)
		}
		rt := st.s.retry[idx]
		if counts[idx] >= rt.maxAttempts {
			return nil, r.giveUp(st, f)
		}
		if r.noRetry {
			f.retriable = true
			return nil, f
		}
		if f.failEvent != "" {
			st.th.prev = f.prev
		}
		delay := rt.interval * math.Pow(rt.backoff, float64(counts[idx]))
		if rt.hasMaxDelay && delay > rt.maxDelay {
			delay = rt.maxDelay
		}
		if rt.jitter {
			delay *= r.e.opts.Rand()
		}
		counts[idx]++
		st.retries++
		st.ctxObj = nil
		select {
		case <-r.e.clock.After(time.Duration(delay * float64(time.Second))):
		case <-ctx.Done():
			return nil, f
		}
	}
}

// giveUp records a Map/Parallel failure event once the failure is final.
func (r *runner) giveUp(st *step, f *failure) *failure {
	if f == nil || f.failEvent == "" {
		return f
	}
	st.th.prev = f.prev
	st.th.add(f.failEvent, nil)
	f.failEvent = ""
	return f
}

func (r *runner) applyInputPath(st *step, input any) (any, *failure) {
	ip := st.s.inputPath
	if ip.null {
		return map[string]any{}, nil
	}
	if ip.p == nil {
		return input, nil
	}
	v, err := r.resolve(st, ip.p, input)
	if err != nil {
		return nil, r.runtimeErr(st, "%s", err.Error())
	}
	return v, nil
}

func (r *runner) applyOutputPath(st *step, v any) (any, *failure) {
	op := st.s.outputPath
	if op.null {
		return map[string]any{}, nil
	}
	if op.p == nil {
		return v, nil
	}
	out, err := r.resolve(st, op.p, v)
	if err != nil {
		return nil, r.runtimeErr(st, "%s", err.Error())
	}
	return out, nil
}

func (r *runner) applyResultPath(st *step, rp optPath, input, result any) (any, *failure) {
	if rp.null {
		return input, nil
	}
	if rp.p == nil {
		return result, nil
	}
	out, err := rp.p.Set(input, result)
	if err != nil {
		return nil, r.runtimeErr(st, "%s", err.Error())
	}
	return out, nil
}

// finishOutput applies ResultPath then OutputPath, and the payload limit.
func (r *runner) finishOutput(st *step, res any) (any, *failure) {
	v, f := r.applyResultPath(st, st.s.resultPath, st.input, res)
	if f != nil {
		return nil, f
	}
	return r.applyOutputPath(st, v)
}

// resolve evaluates a path against input, the context object or variables.
// An indefinite path (wildcard, slice, filter) that selects nothing yields
// an empty array, as Jayway does.
func (r *runner) resolve(st *step, p *jsonpath.Path, input any) (any, error) {
	v, err := r.resolve1(st, p, input)
	if err != nil && !p.Definite() && errors.Is(err, jsonpath.ErrNotFound) {
		return []any{}, nil
	}
	return v, err
}

func (r *runner) resolve1(st *step, p *jsonpath.Path, input any) (any, error) {
	switch p.Root() {
	case jsonpath.RootContext:
		return pathGet(st, p, r.context(st))
	case jsonpath.RootVariable:
		v, ok := st.vars.lookup(p.Variable())
		if !ok {
			//lint:ignore ST1005 AWS's wording, checked by the conformance corpus
			return nil, fmt.Errorf("The variable '$%s' is not defined", p.Variable())
		}
		return pathGet(st, p, v)
	}
	return pathGet(st, p, input)
}

// pathGet evaluates p on the run's context: bounded, and stopped by
// StopExecution, TimeoutSeconds or a TestState caller going away.
func pathGet(st *step, p *jsonpath.Path, doc any) (any, error) {
	if st.ctx == nil {
		return p.Get(doc)
	}
	return p.GetContext(st.ctx, doc)
}

// stepResolver adapts a step to intrinsic.Resolver.
type stepResolver struct {
	r     *runner
	st    *step
	input any
}

func (sr stepResolver) Resolve(p *jsonpath.Path) (any, error) {
	return sr.r.resolve(sr.st, p, sr.input)
}

// evalTmpl evaluates a payload template against input.
func (r *runner) evalTmpl(st *step, t *tmpl, input any, field string) (any, *failure) {
	if t.isLit {
		return t.lit, nil
	}
	if t.isArr {
		out := make([]any, len(t.items))
		for i, it := range t.items {
			v, f := r.evalTmpl(st, it, input, field)
			if f != nil {
				return nil, f
			}
			out[i] = v
		}
		return out, nil
	}
	out := make(map[string]any, len(t.fields))
	for i := range t.fields {
		fd := &t.fields[i]
		switch {
		case fd.sub != nil:
			v, f := r.evalTmpl(st, fd.sub, input, field)
			if f != nil {
				return nil, f
			}
			out[fd.key] = v
		case fd.path != nil:
			v, err := r.resolve(st, fd.path, input)
			if err != nil {
				if fd.path.Root() == jsonpath.RootVariable || errors.Is(err, jsonpath.ErrLimit) {
					return nil, r.runtimeErr(st, "%s", err.Error())
				}
				return nil, r.runtimeErr(st, "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", fd.expr, fd.src, marshal(input))
			}
			out[fd.key] = v
		case fd.fn != nil:
			v, err := fd.fn.Eval(stepResolver{r, st, input}, &intrinsic.Options{Rand: r.e.opts.Rand, UUID: r.e.opts.NewUUID})
			if err != nil {
				var ie *intrinsic.Error
				if errors.As(err, &ie) && errors.Is(err, jsonpath.ErrNotFound) {
					return nil, r.runtimeErr(st, "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", fd.expr, fd.src, marshal(input))
				}
				return nil, &failure{name: states.IntrinsicFailure, cause: err.Error()}
			}
			out[fd.key] = v
		}
	}
	return out, nil
}

func (r *runner) execFail(st *step) *failure {
	s := st.s
	f := &failure{}
	if s.errorLit != nil {
		f.name = *s.errorLit
	}
	if s.causeLit != nil {
		f.cause = *s.causeLit
	}
	for _, p := range []struct {
		t     *tmpl
		field string
		dst   *string
	}{{s.errorPath, "ErrorPath", &f.name}, {s.causePath, "CausePath", &f.cause}} {
		if p.t == nil {
			continue
		}
		fd := &p.t.fields[0]
		var v any
		var err error
		if fd.fn != nil {
			v, err = fd.fn.Eval(stepResolver{r, st, st.input}, &intrinsic.Options{Rand: r.e.opts.Rand, UUID: r.e.opts.NewUUID})
			if err != nil {
				return &failure{name: states.IntrinsicFailure, cause: err.Error()}
			}
		} else {
			v, err = r.resolve(st, fd.path, st.input)
			if err != nil {
				return r.runtimeErr(st, "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", fd.expr, p.field, marshal(st.input))
			}
		}
		sv, ok := v.(string)
		if !ok {
			sv = marshal(v)
		}
		*p.dst = sv
	}
	return f
}

// execWait sleeps on the engine clock.
func (r *runner) execWait(ctx context.Context, st *step, eff any) *failure {
	s := st.s
	var d time.Duration
	switch {
	case s.hasSeconds:
		f, _ := s.seconds.(float64)
		d = time.Duration(f) * time.Second
	case s.secondsPath != nil:
		v, err := r.resolve(st, s.secondsPath, eff)
		if err != nil {
			return r.runtimeErr(st, "The SecondsPath parameter does not reference an input value: %s", s.secondsPath)
		}
		n, ok := v.(float64)
		if !ok {
			return r.runtimeErr(st, "The SecondsPath parameter does not reference an input value: %s", s.secondsPath)
		}
		if n != math.Trunc(n) {
			return r.runtimeErr(st, "The SecondsPath parameter cannot be parsed as a long value: %s == %s", s.secondsPath, marshal(n))
		}
		if n < 0 {
			return r.runtimeErr(st, "The SecondsPath parameter references a negative value: %s == %s", s.secondsPath, marshal(n))
		}
		if n > 99999999 {
			return r.runtimeErr(st, "Wait state delay is too long.")
		}
		d = time.Duration(n) * time.Second
	case s.hasTimestamp:
		ts, _ := s.timestamp.(string)
		t, err := parseTimestamp(ts)
		if err != nil {
			return r.runtimeErr(st, "The Timestamp parameter does not reference a valid ISO-8601 extended offset date-time format string: %s", ts)
		}
		d = t.Sub(r.e.clock.Now())
	case s.timestampPath != nil:
		v, err := r.resolve(st, s.timestampPath, eff)
		if err != nil {
			return r.runtimeErr(st, "The TimestampPath parameter does not reference an input value: %s", s.timestampPath)
		}
		ts, _ := v.(string)
		t, err := parseWaitTimestamp(ts)
		if err != nil {
			return r.runtimeErr(st, "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", s.timestampPath, ts)
		}
		d = t.Sub(r.e.clock.Now())
	}
	if d <= 0 {
		return nil
	}
	if d > math.MaxInt32*time.Second {
		return r.runtimeErr(st, "Wait state delay is too long.")
	}
	return r.waitFor(ctx, st, d)
}

func parseTimestamp(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, err
	}
	if !rfc3339Strict(s) {
		return t, errors.New("bad timestamp")
	}
	return t, nil
}

func rfc3339Strict(s string) bool {
	return len(s) >= 20 && s[4] == '-' && s[7] == '-' && (s[10] == 'T')
}

// evalRule evaluates a Choice rule.
func (r *runner) evalRule(st *step, c *choiceRule, input any) (bool, *failure) {
	switch c.op {
	case "And":
		for _, sub := range c.and {
			ok, f := r.evalRule(st, sub, input)
			if f != nil || !ok {
				return false, f
			}
		}
		return true, nil
	case "Or":
		for _, sub := range c.or {
			ok, f := r.evalRule(st, sub, input)
			if f != nil {
				return false, f
			}
			if ok {
				return true, nil
			}
		}
		return false, nil
	case "Not":
		ok, f := r.evalRule(st, c.not, input)
		return !ok, f
	}
	var v any
	present := true
	if c.variable != nil {
		var err error
		v, err = r.resolve(st, c.variable, input)
		if err != nil {
			if c.op == "IsPresent" {
				present = false
			} else {
				return false, r.runtimeErr(st, "Invalid path '%s': The choice state's condition path references an invalid value.", c.variable)
			}
		}
	}
	if c.op == "IsPresent" {
		b, _ := c.val.(bool)
		return present == b, nil
	}
	want := c.val
	op := c.op
	if c.valPath != nil {
		w, err := r.resolve(st, c.valPath, input)
		if err != nil {
			return false, r.runtimeErr(st, "Invalid path '%s': The choice state's condition path references an invalid value.", c.valPath)
		}
		want = w
		op = strings.TrimSuffix(op, "Path")
	}
	return compareChoice(op, v, want), nil
}

func compareChoice(op string, v, want any) bool {
	switch op {
	case "IsNull":
		b, _ := want.(bool)
		return (v == nil) == b
	case "IsNumeric":
		b, _ := want.(bool)
		_, ok := v.(float64)
		return ok == b
	case "IsString":
		b, _ := want.(bool)
		_, ok := v.(string)
		return ok == b
	case "IsBoolean":
		b, _ := want.(bool)
		_, ok := v.(bool)
		return ok == b
	case "IsTimestamp":
		b, _ := want.(bool)
		s, ok := v.(string)
		if ok {
			_, err := parseTimestamp(s)
			ok = err == nil
		}
		return ok == b
	case "BooleanEquals":
		a, ok1 := v.(bool)
		b, ok2 := want.(bool)
		return ok1 && ok2 && a == b
	case "StringMatches":
		a, ok1 := v.(string)
		p, ok2 := want.(string)
		return ok1 && ok2 && wildcardMatch(p, a)
	}
	if strings.HasPrefix(op, "String") {
		a, ok1 := v.(string)
		b, ok2 := want.(string)
		if !ok1 || !ok2 {
			return false
		}
		return cmpOp(strings.TrimPrefix(op, "String"), strings.Compare(a, b))
	}
	if strings.HasPrefix(op, "Numeric") {
		a, ok1 := v.(float64)
		b, ok2 := want.(float64)
		if !ok1 || !ok2 {
			return false
		}
		c := 0
		if a < b {
			c = -1
		} else if a > b {
			c = 1
		}
		return cmpOp(strings.TrimPrefix(op, "Numeric"), c)
	}
	if strings.HasPrefix(op, "Timestamp") {
		as, ok1 := v.(string)
		bs, ok2 := want.(string)
		if !ok1 || !ok2 {
			return false
		}
		a, err1 := parseTimestamp(as)
		b, err2 := parseTimestamp(bs)
		if err1 != nil || err2 != nil {
			return false
		}
		return cmpOp(strings.TrimPrefix(op, "Timestamp"), a.Compare(b))
	}
	return false
}

func cmpOp(op string, c int) bool {
	switch op {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "GreaterThan":
		return c > 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

// wildcardMatch implements StringMatches: "*" matches any run of
// characters; "\*" and "\\" are escapes.
func wildcardMatch(pattern, s string) bool {
	type tok struct {
		star bool
		c    rune
	}
	var toks []tok
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		if rs[i] == '\\' && i+1 < len(rs) {
			i++
			toks = append(toks, tok{c: rs[i]})
		} else if rs[i] == '*' {
			toks = append(toks, tok{star: true})
		} else {
			toks = append(toks, tok{c: rs[i]})
		}
	}
	str := []rune(s)
	var match func(ti, si int) bool
	match = func(ti, si int) bool {
		for ti < len(toks) {
			if toks[ti].star {
				for k := si; k <= len(str); k++ {
					if match(ti+1, k) {
						return true
					}
				}
				return false
			}
			if si >= len(str) || str[si] != toks[ti].c {
				return false
			}
			ti++
			si++
		}
		return si == len(str)
	}
	return match(0, 0)
}

// ---- Task ----

// newToken returns a task token: 256 random bits, URL-safe. The letter in
// front keeps it from starting with "-", which command lines (the AWS CLI's
// --task-token, the runner's approve) would read as an option.
func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "T" + base64.RawURLEncoding.EncodeToString(b[:])
}

type resourceKind int

const (
	resLambdaARN resourceKind = iota
	resLambdaInvoke
	resStartExecution
	resSDKSfn
	resService
)

func classify(resource string) (kind resourceKind, pattern IntegrationPattern, service, action string) {
	res := resource
	switch {
	case strings.HasSuffix(res, ".waitForTaskToken"):
		pattern = WaitForTaskToken
		res = strings.TrimSuffix(res, ".waitForTaskToken")
	case strings.HasSuffix(res, ".sync:2"):
		pattern = RunJob
		res = strings.TrimSuffix(res, ":2")
		res = strings.TrimSuffix(res, ".sync")
		action = ":2"
	case strings.HasSuffix(res, ".sync"):
		pattern = RunJob
		res = strings.TrimSuffix(res, ".sync")
	}
	parts := strings.SplitN(res, ":", 7)
	if len(parts) >= 6 && parts[2] == "lambda" {
		return resLambdaARN, pattern, "lambda", ""
	}
	if len(parts) >= 6 && parts[2] == "states" && parts[3] == "" && parts[4] == "" {
		svc := parts[5]
		act := ""
		if len(parts) == 7 {
			act = parts[6]
		}
		if i := strings.LastIndex(svc, ":"); i >= 0 {
			svc, act = svc[:i], svc[i+1:]+":"+act
		}
		// svc is e.g. "lambda", "states", "aws-sdk"; act the action (and for aws-sdk "sfn:startExecution")
		switch {
		case svc == "lambda" && act == "invoke":
			return resLambdaInvoke, pattern, "lambda", "invoke"
		case svc == "states" && strings.HasPrefix(act, "startExecution"):
			return resStartExecution, pattern, "states", "startExecution" + action
		case svc == "aws-sdk" && strings.HasPrefix(act, "sfn:"):
			return resSDKSfn, pattern, "aws-sdk:sfn", strings.TrimPrefix(act, "sfn:")
		}
		if svc == "aws-sdk" {
			if i := strings.Index(act, ":"); i >= 0 {
				return resService, pattern, "aws-sdk:" + act[:i], act[i+1:]
			}
		}
		return resService, pattern, svc, act
	}
	return resService, pattern, "", ""
}

func (r *runner) timeouts(st *step, eff any) (timeout, heartbeat *int64, f *failure) {
	s := st.s
	timeout, heartbeat = s.timeout, s.heartbeat
	if s.j != nil {
		for _, fld := range []struct {
			n   *jnode
			loc string
			dst **int64
		}{{s.j.timeout, "TimeoutSeconds", &timeout}, {s.j.heartbeat, "HeartbeatSeconds", &heartbeat}} {
			if fld.n == nil || fld.n.isLit {
				continue
			}
			v, f := r.jeval(st, fld.n, fld.loc, r.jvars(st, nil))
			if f != nil {
				return nil, nil, f
			}
			n, ok := v.(float64)
			if !ok || n < 1 || n != math.Trunc(n) {
				return nil, nil, r.evalFailed(st, fld.loc, fmt.Sprintf("The %s field must be a positive integer, but was: %s", fld.loc, marshal(v)))
			}
			t := int64(n)
			*fld.dst = &t
		}
		return timeout, heartbeat, nil
	}
	if s.timeoutPath != nil {
		v, err := r.resolve(st, s.timeoutPath, eff)
		n, ok := v.(float64)
		if err != nil || !ok || n < 1 || n != math.Trunc(n) {
			return nil, nil, r.runtimeErr(st, "The TimeoutSecondsPath parameter does not reference a valid positive integer: %s", s.timeoutPath)
		}
		t := int64(n)
		timeout = &t
	}
	if s.heartbeatPath != nil {
		v, err := r.resolve(st, s.heartbeatPath, eff)
		n, ok := v.(float64)
		if err != nil || !ok || n < 1 || n != math.Trunc(n) {
			return nil, nil, r.runtimeErr(st, "The HeartbeatSecondsPath parameter does not reference a valid positive integer: %s", s.heartbeatPath)
		}
		h := int64(n)
		heartbeat = &h
	}
	return timeout, heartbeat, nil
}

func (r *runner) execTask(ctx context.Context, st *step, eff any) (any, *failure) {
	s := st.s
	kind, pattern, service, action := classify(s.resource)
	resumed := false
	if pattern == WaitForTaskToken {
		st.token = newToken()
		if st.resume != nil && st.resume.Token != "" {
			st.token = st.resume.Token
			resumed = st.resume.Submitted
		}
		st.ctxObj = nil
	}
	params := eff
	if s.parameters != nil {
		var f *failure
		if params, f = r.evalTmpl(st, s.parameters, eff, "Parameters"); f != nil {
			return nil, f
		}
	}
	timeout, heartbeat, f := r.timeouts(st, eff)
	if f != nil {
		return nil, f
	}
	tctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var timer <-chan time.Time // nil (never fires) without TimeoutSeconds
	var deadline time.Time
	if timeout != nil {
		deadline = r.e.clock.Now().Add(time.Duration(*timeout) * time.Second)
		timer = r.e.clock.After(time.Duration(*timeout) * time.Second)
	}
	// late reports whether a result that came at t came after the
	// deadline: it is a timeout then, whichever of the result and the
	// timer the task saw first.
	late := func(t time.Time) bool { return timeout != nil && t.After(deadline) }
	if r.mock != nil {
		return mockResult(r.mock)
	}
	if kind == resLambdaARN {
		return r.lambdaARN(tctx, cancel, st, params, timeout, timer, late)
	}
	resType, resName := service, action
	if kind == resLambdaInvoke {
		resType, resName = "lambda", "invoke"
	}
	if kind == resStartExecution {
		resType, resName = "states", action
		if pattern == RunJob {
			resName = "startExecution.sync" + strings.TrimPrefix(action, "startExecution")
		}
	}
	if kind == resSDKSfn {
		resType, resName = "aws-sdk:sfn", action
	}
	if pattern == WaitForTaskToken {
		resName += ".waitForTaskToken"
	} else if pattern == RunJob && kind != resStartExecution {
		resName += ".sync"
	}
	if !resumed {
		sched := &TaskScheduledEventDetails{ResourceType: resType, Resource: resName, Region: r.e.opts.Region, Parameters: lazyJSON(params), TimeoutInSeconds: timeout, HeartbeatInSeconds: heartbeat}
		st.th.add(eventtype.TaskScheduled, sched)
		st.th.add(eventtype.TaskStarted, &TaskEventDetails{ResourceType: resType, Resource: resName})
	}
	fail := func(f *failure) (any, *failure) {
		typ := eventtype.TaskFailed
		if f.name == states.Timeout || f.name == states.HeartbeatTimeout {
			typ = eventtype.TaskTimedOut
		}
		st.th.add(typ, &TaskFailureEventDetails{ResourceType: resType, Resource: resName, Error: f.name, Cause: f.cause})
		return nil, f
	}
	var wait *taskWait
	if pattern == WaitForTaskToken {
		wait = &taskWait{ch: make(chan tokenResult, 1)}
		r.e.mu.Lock()
		r.e.tokens[st.token] = wait
		r.e.mu.Unlock()
		defer func() {
			r.e.mu.Lock()
			delete(r.e.tokens, st.token)
			if wait.timedOut {
				if len(r.e.timedOut) > 10000 {
					r.e.timedOut = map[string]bool{}
				}
				r.e.timedOut[st.token] = true
			}
			r.e.mu.Unlock()
		}()
		if r.durable(st) && !resumed {
			r.x.checkpoint(r.progress(st))
		}
	}
	if resumed {
		return r.awaitToken(ctx, st, wait, resType, resName, heartbeat, timer)
	}
	type result struct {
		v  any
		f  *failure
		at time.Time
	}
	done := make(chan result, 1)
	release := func() {}
	if kind == resStartExecution || kind == resSDKSfn {
		// The call (and a .sync submission) happens before any timer fires.
		release = holdClock(r.e.clock)
	}
	go func() {
		var v any
		var f *failure
		switch kind {
		case resLambdaInvoke:
			v, f = r.lambdaInvoke(tctx, params)
		case resStartExecution, resSDKSfn:
			v, f = r.nestedSfn(tctx, kind, pattern, action, params, func(sub any) {
				st.th.add(eventtype.TaskSubmitted, &TaskOutputEventDetails{ResourceType: resType, Resource: resName, Output: lazyJSON(sub)})
				release()
			})
			release()
		default:
			v, f = r.service(tctx, s.resource, service, action, pattern, params, st.token, timeout, heartbeat)
		}
		done <- result{v, f, r.e.clock.Now()}
	}()
	var res result
	select {
	case res = <-done:
	case t := <-timer:
		select {
		case res = <-done:
			// The result came with the deadline. A token wait that follows
			// must still see the deadline passed, not a drained timer.
			again := make(chan time.Time, 1)
			again <- t
			timer = again
		default:
			cancel(errTimedOut)
			return fail(&failure{name: states.Timeout})
		}
	case <-ctx.Done():
		return nil, &failure{name: states.Aborted, runtime: true}
	}
	if late(res.at) {
		cancel(errTimedOut)
		return fail(&failure{name: states.Timeout})
	}
	if res.f != nil {
		return fail(res.f)
	}
	out := lazyJSON(res.v)
	if jsonSize(res.v, maxPayload) > maxPayload {
		return fail(&failure{name: states.DataLimitExceeded, cause: fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", resName)})
	}
	if pattern != WaitForTaskToken {
		st.th.add(eventtype.TaskSucceeded, &TaskOutputEventDetails{ResourceType: resType, Resource: resName, Output: out})
		return res.v, nil
	}
	st.th.add(eventtype.TaskSubmitted, &TaskOutputEventDetails{ResourceType: resType, Resource: resName, Output: out})
	if r.durable(st) {
		p := r.progress(st)
		p.Submitted = true
		r.x.checkpoint(p)
	}
	return r.awaitToken(ctx, st, wait, resType, resName, heartbeat, timer)
}

// awaitToken waits for SendTaskSuccess/Failure/Heartbeat on the step's token.
func (r *runner) awaitToken(ctx context.Context, st *step, wait *taskWait, resType, resName string, heartbeat *int64, timer <-chan time.Time) (any, *failure) {
	fail := func(f *failure) (any, *failure) {
		typ := eventtype.TaskFailed
		if f.name == states.Timeout || f.name == states.HeartbeatTimeout {
			typ = eventtype.TaskTimedOut
		}
		st.th.add(typ, &TaskFailureEventDetails{ResourceType: resType, Resource: resName, Error: f.name, Cause: f.cause})
		return nil, f
	}
	var hb <-chan time.Time
	if heartbeat != nil {
		hb = r.e.clock.After(time.Duration(*heartbeat) * time.Second)
	}
	for {
		select {
		case tr := <-wait.ch:
			if tr.heartbeat {
				if heartbeat != nil {
					hb = r.e.clock.After(time.Duration(*heartbeat) * time.Second)
				}
				continue
			}
			if tr.fail != nil {
				return fail(tr.fail)
			}
			st.th.add(eventtype.TaskSucceeded, &TaskOutputEventDetails{ResourceType: resType, Resource: resName, Output: lazyJSON(tr.output)})
			return tr.output, nil
		case <-hb:
			wait.timedOut = true
			return fail(&failure{name: states.HeartbeatTimeout})
		case <-timer:
			wait.timedOut = true
			return fail(&failure{name: states.Timeout})
		case <-ctx.Done():
			return nil, &failure{name: states.Aborted, runtime: true}
		}
	}
}

func (r *runner) lambdaARN(ctx context.Context, cancel context.CancelCauseFunc, st *step, params any, timeout *int64, timer <-chan time.Time, late func(time.Time) bool) (any, *failure) {
	s := st.s
	in := marshal(params)
	st.th.add(eventtype.LambdaFunctionScheduled, &LambdaFunctionScheduledEventDetails{Resource: s.resource, Input: textJSON(in), TimeoutInSeconds: timeout})
	st.th.add(eventtype.LambdaFunctionStarted, nil)
	fail := func(f *failure) (any, *failure) {
		st.th.add(eventtype.LambdaFunctionFailed, &FailureEventDetails{Error: f.name, Cause: f.cause})
		return nil, f
	}
	if r.e.opts.Lambda == nil {
		return fail(&failure{name: "Lambda.ServiceException", cause: "no Lambda invoker configured"})
	}
	type result struct {
		res LambdaResult
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		res, err := r.e.opts.Lambda.Invoke(ctx, s.resource, []byte(in))
		done <- result{res, err, r.e.clock.Now()}
	}()
	timedOut := func() (any, *failure) {
		cancel(errTimedOut)
		st.th.add(eventtype.LambdaFunctionTimedOut, &FailureEventDetails{Error: states.Timeout})
		return nil, &failure{name: states.Timeout}
	}
	var res result
	select {
	case res = <-done:
	case <-timer:
		select {
		case res = <-done:
		default:
			return timedOut()
		}
	case <-ctx.Done():
		return nil, &failure{name: states.Aborted, runtime: true}
	}
	if late(res.at) {
		return timedOut()
	}
	if res.err != nil {
		return fail(taskErr(res.err))
	}
	if res.res.FunctionError != "" {
		return fail(lambdaFunctionError(res.res.Payload, false))
	}
	if len(res.res.Payload) > maxPayload {
		return fail(&failure{name: states.DataLimitExceeded, cause: fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", s.resource)})
	}
	var v any
	if len(res.res.Payload) > 0 {
		if err := json.Unmarshal(res.res.Payload, &v); err != nil {
			v = string(res.res.Payload)
		}
	}
	st.th.add(eventtype.LambdaFunctionSucceeded, &OutputEventDetails{Output: lazyJSON(v)})
	return v, nil
}

func taskErr(err error) *failure {
	var te *TaskError
	if errors.As(err, &te) {
		return &failure{name: te.Name, cause: te.Cause}
	}
	return &failure{name: "Lambda.ServiceException", cause: err.Error()}
}

// lambdaFunctionError turns a function error document into a failure:
// Error = errorType, Cause = the document (re-serialised compactly for the
// optimised integration).
func lambdaFunctionError(payload []byte, compact bool) *failure {
	var doc map[string]any
	name := "Exception"
	cause := string(payload)
	if err := json.Unmarshal(payload, &doc); err == nil {
		if t, ok := doc["errorType"].(string); ok && t != "" {
			name = t
		}
		if compact {
			cause = marshalOrdered(payload)
		}
	}
	return &failure{name: name, cause: cause}
}

// marshalOrdered re-serialises JSON text compactly, keeping member order.
func marshalOrdered(b []byte) string {
	var buf jsonBuf
	if err := compactJSON(&buf, b); err != nil {
		return string(b)
	}
	return string(buf.b)
}

func compactJSON(w *jsonBuf, b []byte) error {
	var out = make([]byte, 0, len(b))
	inStr := false
	esc := false
	for _, c := range b {
		if inStr {
			out = append(out, c)
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch c {
		case ' ', '\n', '\t', '\r':
			continue
		case '"':
			inStr = true
		}
		out = append(out, c)
	}
	w.b = out
	return nil
}

func (r *runner) lambdaInvoke(ctx context.Context, params any) (any, *failure) {
	pm, _ := params.(map[string]any)
	fn, _ := pm["FunctionName"].(string)
	var payload []byte
	payload = []byte("{}")
	if p, ok := pm["Payload"]; ok && p != nil {
		if s, isStr := p.(string); isStr {
			payload = []byte(s)
		} else {
			payload = []byte(marshal(p))
		}
	}
	if r.e.opts.Lambda == nil {
		return nil, &failure{name: "Lambda.ServiceException", cause: "no Lambda invoker configured"}
	}
	res, err := r.e.opts.Lambda.Invoke(ctx, fn, payload)
	if err != nil {
		return nil, taskErr(err)
	}
	if res.FunctionError != "" {
		return nil, lambdaFunctionError(res.Payload, true)
	}
	if len(res.Payload) > maxPayload {
		return nil, &failure{name: states.DataLimitExceeded, cause: "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service limit."}
	}
	var v any
	if len(res.Payload) > 0 {
		if err := json.Unmarshal(res.Payload, &v); err != nil {
			v = string(res.Payload)
		}
	}
	ver := res.ExecutedVersion
	if ver == "" {
		ver = "$LATEST"
	}
	reqID := res.RequestID
	if reqID == "" {
		reqID = r.e.opts.NewUUID()
	}
	n := strconv.Itoa(len(res.Payload))
	date := r.e.clock.Now().UTC().Format(time.RFC1123)
	date = strings.Replace(date, "UTC", "GMT", 1)
	trace := "Root=1-" + strconv.FormatInt(r.e.clock.Now().Unix(), 16) + "-" + strings.ReplaceAll(r.e.opts.NewUUID(), "-", "")[:24] + ";Sampled=0"
	all := map[string]any{
		"Connection":                     []any{"keep-alive"},
		"Content-Length":                 []any{n},
		"Content-Type":                   []any{"application/json"},
		"Date":                           []any{date},
		"X-Amz-Executed-Version":         []any{ver},
		"x-amzn-Remapped-Content-Length": []any{"0"},
		"x-amzn-RequestId":               []any{reqID},
		"X-Amzn-Trace-Id":                []any{trace},
	}
	hdr := map[string]any{}
	for k, v := range all {
		hdr[k] = v.([]any)[0]
	}
	if lt, _ := pm["LogType"].(string); lt == "Tail" {
		all["X-Amz-Log-Result"] = []any{""}
		hdr["X-Amz-Log-Result"] = ""
	}
	out := map[string]any{
		"ExecutedVersion":     ver,
		"Payload":             v,
		"SdkHttpMetadata":     map[string]any{"AllHttpHeaders": all, "HttpHeaders": hdr, "HttpStatusCode": float64(200)},
		"SdkResponseMetadata": map[string]any{"RequestId": reqID},
		"StatusCode":          float64(200),
	}
	if lt, _ := pm["LogType"].(string); lt == "Tail" {
		out["LogResult"] = ""
	}
	return out, nil
}

func (r *runner) service(ctx context.Context, resource, service, action string, pattern IntegrationPattern, params any, token string, timeout, heartbeat *int64) (any, *failure) {
	if r.e.opts.Services == nil {
		return nil, &failure{name: states.Runtime, cause: fmt.Sprintf("The resource '%s' is not supported: no service invoker is configured", resource)}
	}
	req := ServiceRequest{Resource: resource, Service: service, Action: action, Pattern: pattern, Input: params, TaskToken: token}
	if timeout != nil {
		req.Timeout = time.Duration(*timeout) * time.Second
	}
	if heartbeat != nil {
		req.Heartbeat = time.Duration(*heartbeat) * time.Second
	}
	v, err := r.e.opts.Services.InvokeService(ctx, req)
	if err != nil {
		return nil, taskErr(err)
	}
	return v, nil
}

// ---- Parallel ----

func (r *runner) execParallel(ctx context.Context, st *step, eff any) (any, *failure) {
	s := st.s
	input := eff
	if s.parameters != nil {
		var f *failure
		if input, f = r.evalTmpl(st, s.parameters, eff, "Parameters"); f != nil {
			return nil, f
		}
	}
	st.th.add(eventtype.ParallelStateStarted, nil)
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outs := make([]any, len(s.branches))
	threads := make([]*thread, len(s.branches))
	var mu sync.Mutex
	var first *failure
	var firstPrev int64
	var wg sync.WaitGroup
	for i, b := range s.branches {
		th := &thread{x: r.x, prev: st.th.prev, branch: true}
		threads[i] = th
		wg.Add(1)
		go func(i int, b *Machine) {
			defer wg.Done()
			out, f := r.runMachine(bctx, b, b.startAt, input, th, &scope{parent: st.vars}, nil)
			if f != nil {
				mu.Lock()
				if first == nil && bctx.Err() == nil {
					first, firstPrev = f, th.prev
					if f.branchPrev != 0 {
						firstPrev = f.branchPrev
					}
					cancel()
				}
				mu.Unlock()
				return
			}
			outs[i] = out
		}(i, b)
	}
	wg.Wait()
	if first != nil {
		if first.runtime {
			st.th.prev = firstPrev
			st.th.add(eventtype.ParallelStateFailed, nil)
			return nil, first
		}
		return nil, &failure{name: first.name, cause: first.cause, failEvent: eventtype.ParallelStateFailed, prev: firstPrev}
	}
	if ctx.Err() != nil {
		return nil, &failure{name: states.Aborted, runtime: true}
	}
	last := r.x.lastEventID()
	st.th.prev = last
	st.th.add(eventtype.ParallelStateSucceeded, nil)
	st.th.prev = last
	return outs, nil
}

// ---- Map ----

func (r *runner) intField(st *step, eff any, lit *int64, p *jsonpath.Path, name string) (int64, bool, *failure) {
	if p != nil {
		v, err := r.resolve(st, p, eff)
		if err != nil {
			return 0, false, r.runtimeErr(st, "%s", err.Error())
		}
		n, ok := v.(float64)
		if sv, isStr := v.(string); isStr {
			// AWS parses numeric text too ("1").
			if i, err := strconv.ParseInt(sv, 10, 64); err == nil {
				n, ok = float64(i), true
			}
		}
		if !ok || n != math.Trunc(n) {
			return 0, false, r.runtimeErr(st, "The %s field refers to value \"%s\" which is not a valid integer: %s", name, rawString(v), p)
		}
		return int64(n), true, nil
	}
	if lit != nil {
		return *lit, true, nil
	}
	return 0, false, nil
}

func (r *runner) execMap(ctx context.Context, st *step, eff any) (any, *failure) {
	s := st.s
	if s.lang == langJSONata {
		return r.execMapJSONata(ctx, st, eff)
	}
	itemsVal := eff
	if s.itemsPath.p != nil {
		v, err := r.resolve(st, s.itemsPath.p, eff)
		if err != nil {
			return nil, r.runtimeErr(st, "%s", err.Error())
		}
		itemsVal = v
	}
	if s.itemReader != nil {
		var f *failure
		if itemsVal, f = r.readItems(ctx, st, eff); f != nil {
			return nil, f
		}
	}
	items, ok := itemsVal.([]any)
	if !ok {
		return nil, r.runtimeErr(st, "Item selector path does not reference an array: %s", marshal(itemsVal))
	}
	maxConc := s.maxConc
	if s.maxConcPath != nil {
		n, _, f := r.intField(st, eff, nil, s.maxConcPath, "MaxConcurrencyPath")
		if f != nil {
			return nil, f
		}
		maxConc = n
	}
	// Per-item inputs (ItemSelector / legacy Parameters).
	inputs := make([]any, len(items))
	for i, it := range items {
		if s.itemSelector != nil {
			ist := *st
			ist.item = &mapItem{index: i, value: it}
			ist.ctxObj = nil
			v, f := r.evalTmpl(&ist, s.itemSelector, eff, "ItemSelector")
			if f != nil {
				return nil, f
			}
			inputs[i] = v
		} else {
			inputs[i] = it
		}
	}
	if s.itemBatcher != nil {
		var f *failure
		if inputs, f = r.batchItems(st, inputs, eff); f != nil {
			return nil, f
		}
	}
	if st.resume == nil || st.resume.MapRunID == "" {
		st.th.add(eventtype.MapStateStarted, &MapStateStartedEventDetails{Length: len(inputs)})
	}
	tolCount, hasCount, f := r.intField(st, eff, s.tolCount, s.tolCountPath, "ToleratedFailureCountPath")
	if f != nil {
		return nil, f
	}
	if hasCount && tolCount < 0 {
		return nil, r.runtimeErr(st, "ToleratedFailureCount cannot be negative.")
	}
	tolPct, hasPct := 0.0, false
	if s.tolPct != nil {
		tolPct, hasPct = *s.tolPct, true
	}
	if s.tolPctPath != nil {
		v, err := r.resolve(st, s.tolPctPath, eff)
		if err != nil {
			return nil, r.runtimeErr(st, "%s", err.Error())
		}
		n, ok := v.(float64)
		if sv, isStr := v.(string); isStr {
			if x, err := strconv.ParseFloat(sv, 64); err == nil {
				n, ok = x, true
			}
		}
		if !ok {
			return nil, r.runtimeErr(st, "The ToleratedFailurePercentagePath field refers to value \"%s\" which is not a valid float: %s", rawString(v), s.tolPctPath)
		}
		tolPct, hasPct = n, true
	}
	if hasPct && (tolPct < 0 || tolPct > 100) {
		return nil, r.runtimeErr(st, "ToleratedFailurePercentage must be between 0 and 100.")
	}
	if s.distributed {
		return r.mapRun(ctx, st, eff, inputs, maxConc, tolCount, hasCount, tolPct, hasPct)
	}
	return r.inlineMap(ctx, st, inputs, maxConc, tolCount, hasCount, tolPct, hasPct)
}

// rawString renders a value as text: strings bare, anything else as JSON.
func rawString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return marshal(v)
}

func tolerated(failed, total int, tolCount int64, hasCount bool, tolPct float64, hasPct bool) bool {
	if failed == 0 {
		return true
	}
	if hasCount && int64(failed) <= tolCount {
		return true
	}
	if hasPct && total > 0 && float64(failed)*100/float64(total) <= tolPct {
		return true
	}
	return false
}

func (r *runner) inlineMap(ctx context.Context, st *step, inputs []any, maxConc, tolCount int64, hasCount bool, tolPct float64, hasPct bool) (any, *failure) {
	s := st.s
	n := len(inputs)
	outs := make([]any, n)
	if maxConc <= 0 || maxConc > 40 {
		maxConc = 40
	}
	if s.processor.pure {
		maxConc = 1
	}
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	failed := 0
	var firstFail *failure
	var failPrev int64
	var wg sync.WaitGroup
	sem := make(chan int64, maxConc) // carries the prev id for the next iteration start
	for i := int64(0); i < maxConc; i++ {
		sem <- st.th.prev
	}
	lastSucc := st.th.prev
	for i := 0; i < n; i++ {
		var prev int64
		select {
		case prev = <-sem:
		case <-mctx.Done():
		}
		if mctx.Err() != nil {
			break
		}
		th := &thread{x: r.x, prev: prev}
		th.add(eventtype.MapIterationStarted, &MapIterationEventDetails{Name: s.name, Index: i})
		wg.Add(1)
		iter := func(i int) {
			defer wg.Done()
			out, f := r.runMachine(mctx, s.processor, s.processor.startAt, inputs[i], th, &scope{parent: st.vars}, &mapItem{index: i, value: inputs[i]})
			if f != nil {
				if mctx.Err() != nil && !f.runtime {
					sem <- th.prev
					return
				}
				r.x.addEvent(eventtype.MapIterationFailed, th.prev, &MapIterationEventDetails{Name: s.name, Index: i})
				mu.Lock()
				failed++
				if f.runtime || !tolerated(failed, n, tolCount, hasCount, tolPct, hasPct) {
					if firstFail == nil {
						firstFail, failPrev = f, th.prev
						cancel()
					}
				}
				mu.Unlock()
				sem <- th.prev
				return
			}
			outs[i] = out
			id := r.x.addEvent(eventtype.MapIterationSucceeded, th.prev, &MapIterationEventDetails{Name: s.name, Index: i})
			mu.Lock()
			if id > lastSucc {
				lastSucc = id
			}
			mu.Unlock()
			sem <- th.prev
		}
		if s.processor.pure {
			iter(i) // never blocks: no goroutine needed
		} else {
			go iter(i)
		}
	}
	wg.Wait()
	if firstFail != nil {
		if firstFail.runtime {
			st.th.prev = failPrev
			st.th.add(eventtype.MapStateFailed, nil)
			return nil, firstFail
		}
		if hasCount || hasPct {
			return nil, &failure{name: states.ExceedToleratedFailureThreshold, cause: "The specified tolerated failure threshold was exceeded", failEvent: eventtype.MapStateFailed, prev: failPrev}
		}
		return nil, &failure{name: firstFail.name, cause: firstFail.cause, failEvent: eventtype.MapStateFailed, prev: failPrev}
	}
	if ctx.Err() != nil {
		return nil, &failure{name: states.Aborted, runtime: true}
	}
	last := r.x.lastEventID()
	st.th.prev = last
	st.th.add(eventtype.MapStateSucceeded, nil)
	st.th.prev = last
	return outs, nil
}

// mapRun runs a Distributed Map: each item becomes a child execution.
func (r *runner) mapRun(ctx context.Context, st *step, eff any, inputs []any, maxConc, tolCount int64, hasCount bool, tolPct float64, hasPct bool) (any, *failure) {
	s := st.s
	label := s.label
	if label == "" {
		label = s.name
	}
	resumed := st.resume != nil && st.resume.MapRunID != ""
	runID := r.e.opts.NewUUID()
	if resumed {
		runID = st.resume.MapRunID
	}
	arn := r.e.arn("mapRun", r.x.sm.info.Name+"/"+label+":"+runID)
	mr := &mapRun{execArn: r.x.arn, info: MapRun{MapRunArn: arn, ExecutionArn: r.x.arn, Status: StatusRunning, StartDate: r.e.clock.Now(),
		MaxConcurrency: int(maxConc), ToleratedFailureCount: tolCount, ToleratedFailurePercentage: tolPct}}
	mr.info.ItemCounts.Total = int64(len(inputs))
	mr.info.ExecutionCounts.Total = int64(len(inputs))
	r.e.mu.Lock()
	r.e.mapRuns[arn] = mr
	r.e.mu.Unlock()
	r.e.persistMapRun(mr)
	runStarted := st.th.prev
	if !resumed {
		runStarted = st.th.add(eventtype.MapRunStarted, &MapRunStartedEventDetails{MapRunArn: arn})
		if r.durable(st) {
			p := r.progress(st)
			p.MapRunID = runID
			r.x.checkpoint(p)
		}
	}
	childType := s.childType
	if childType == "" {
		childType = TypeStandard
	}
	childRec := &smRecord{info: StateMachine{Arn: r.x.sm.baseArn() + "/" + label, Name: r.x.sm.info.Name + "/" + label, Type: childType, RoleArn: r.x.sm.info.RoleArn}, machine: s.processor}
	n := len(inputs)
	outs := make([]any, n)
	children := make([]*execution, n)
	limit := maxConc
	if limit <= 0 || limit > 40 {
		limit = 40
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	var firstFail *failure
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			name := childName(runID, i)
			carn := r.e.arn("execution", r.x.sm.info.Name+"/"+label+":"+name)
			if resumed {
				// A child that succeeded before the crash keeps its result.
				r.e.mu.RLock()
				old := r.e.execs[carn]
				r.e.mu.RUnlock()
				if old != nil && old.status() == StatusSucceeded {
					var out any
					_ = json.Unmarshal([]byte(deref(old.describe().Output)), &out)
					children[i] = old
					mr.mu.Lock()
					mr.info.ItemCounts.Succeeded++
					mr.info.ExecutionCounts.Succeeded++
					mr.mu.Unlock()
					mu.Lock()
					outs[i] = out
					mu.Unlock()
					return
				}
			}
			in := marshal(inputs[i])
			x := newExecution(r.e, childRec, carn, name, in, inputs[i])
			x.mapRunArn = arn
			x.parent = r.x
			children[i] = x
			r.e.mu.Lock()
			if old, ok := r.e.execs[carn]; ok {
				for j, y := range r.e.execList {
					if y == old {
						r.e.execList = append(r.e.execList[:j:j], r.e.execList[j+1:]...)
						break
					}
				}
			}
			r.e.execs[carn] = x
			r.e.execList = append(r.e.execList, x)
			r.e.mu.Unlock()
			x.mu.Lock()
			x.start = r.e.clock.Now()
			x.mu.Unlock()
			x.addEvent(eventtype.ExecutionStarted, 0, &ExecutionStartedEventDetails{Input: textJSON(in), RoleArn: childRec.info.RoleArn})
			cr := &runner{x: x, e: r.e}
			th := &thread{x: x}
			out, f := cr.runMachine(ctx, s.processor, s.processor.startAt, inputs[i], th, nil, &mapItem{index: i, value: inputs[i]})
			if r.e.ctx.Err() != nil {
				return // engine closing: the child stays RUNNING for a resumed run
			}
			mr.mu.Lock()
			if f != nil && ctx.Err() != nil {
				// The parent was stopped (or timed out): the child is aborted.
				x.finish(StatusAborted, nil, &failure{}, th.prev)
				mr.info.ItemCounts.Aborted++
				mr.info.ExecutionCounts.Aborted++
			} else if f != nil {
				x.finish(StatusFailed, nil, f, th.prev)
				mr.info.ItemCounts.Failed++
				mr.info.ExecutionCounts.Failed++
			} else {
				x.finish(StatusSucceeded, out, nil, th.prev)
				mr.info.ItemCounts.Succeeded++
				mr.info.ExecutionCounts.Succeeded++
			}
			mr.mu.Unlock()
			mu.Lock()
			defer mu.Unlock()
			if f != nil {
				failed++
				if !tolerated(failed, n, tolCount, hasCount, tolPct, hasPct) && firstFail == nil {
					firstFail = f
				}
				return
			}
			outs[i] = out
		}(i)
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, &failure{name: states.Aborted, runtime: true}
	}
	now := r.e.clock.Now()
	mr.mu.Lock()
	mr.info.StopDate = &now
	if firstFail != nil {
		mr.info.Status = StatusFailed
	} else {
		mr.info.Status = StatusSucceeded
	}
	mr.mu.Unlock()
	r.e.persistMapRun(mr)
	if firstFail != nil {
		f := &failure{name: states.ExceedToleratedFailureThreshold, cause: "The specified tolerated failure threshold was exceeded"}
		if !hasCount && !hasPct {
			f = &failure{name: states.ExceedToleratedFailureThreshold, cause: "The specified tolerated failure threshold was exceeded"}
		}
		st.th.add(eventtype.MapRunFailed, &FailureEventDetails{Error: f.name, Cause: f.cause})
		st.th.add(eventtype.MapStateFailed, nil)
		return nil, f
	}
	var result any = outs
	if s.resultWriter != nil {
		res, f := r.writeResults(ctx, st, eff, arn, children)
		if f != nil {
			st.th.add(eventtype.MapRunFailed, &FailureEventDetails{Error: f.name, Cause: f.cause})
			st.th.add(eventtype.MapStateFailed, nil)
			return nil, f
		}
		result = res
	}
	st.th.add(eventtype.MapRunSucceeded, nil)
	st.th.add(eventtype.MapStateSucceeded, nil)
	// AWS links the MapStateExited of a distributed Map to MapRunStarted
	// (every recording since 2024-11; older ones link it to MapRunSucceeded).
	st.th.prev = runStarted
	return result, nil
}

// childName names the i-th child execution of a Map Run. Names derive
// from the run id so that a resumed run finds the children it started.
func childName(runID string, i int) string {
	if len(runID) == 36 {
		return runID[:24] + fmt.Sprintf("%012x", i)
	}
	return fmt.Sprintf("%s-%d", runID, i)
}

// ---- nested Step Functions ----

func (r *runner) nestedSfn(ctx context.Context, kind resourceKind, pattern IntegrationPattern, action string, params any, submit func(any)) (any, *failure) {
	pm, _ := params.(map[string]any)
	if kind == resSDKSfn && action != "startExecution" && action != "startExecution.sync" {
		return r.sdkSfn(ctx, action, pm)
	}
	smArn, _ := pm["StateMachineArn"].(string)
	in := StartExecutionInput{StateMachineArn: smArn}
	if name, ok := pm["Name"].(string); ok {
		in.Name = name
	}
	if v, ok := pm["Input"]; ok && v != nil {
		in.InputSet = true
		if s, isStr := v.(string); isStr {
			in.Input = s
		} else {
			in.Input = marshal(v)
		}
	}
	x, err := r.e.start(ctx, in, false)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			if kind == resSDKSfn {
				return nil, r.sdkSfnError(ae)
			}
			return nil, &failure{name: serviceErrorName("StepFunctions", ae.Code),
				cause: fmt.Sprintf("%s (Service: AWSStepFunctions; Status Code: 400; Error Code: %s; Request ID: %s; Proxy: null)", ae.Message, ae.Code, r.e.opts.NewUUID())}
		}
		return nil, &failure{name: states.TaskFailed, cause: err.Error()}
	}
	d := x.describe()
	body := `{"executionArn":"` + d.ExecutionArn + `","startDate":` + strconv.FormatFloat(float64(d.StartDate.UnixMilli())/1000, 'f', -1, 64) + `}`
	reqID := r.e.opts.NewUUID()
	date := strings.Replace(r.e.clock.Now().UTC().Format(time.RFC1123), "UTC", "GMT", 1)
	started := map[string]any{
		"ExecutionArn": d.ExecutionArn,
		"StartDate":    d.StartDate.UTC().Format(isoMillis),
		"SdkHttpMetadata": map[string]any{
			"AllHttpHeaders": map[string]any{"x-amzn-RequestId": []any{reqID}, "connection": []any{"keep-alive"}, "Content-Length": []any{strconv.Itoa(len(body))},
				"Date": []any{date}, "Content-Type": []any{"application/x-amz-json-1.0"}},
			"HttpHeaders": map[string]any{"x-amzn-RequestId": reqID, "connection": "keep-alive", "Content-Length": strconv.Itoa(len(body)),
				"Date": date, "Content-Type": "application/x-amz-json-1.0"},
			"HttpStatusCode": float64(200),
		},
		"SdkResponseMetadata": map[string]any{"RequestId": reqID},
	}
	if kind == resSDKSfn {
		return map[string]any{"ExecutionArn": d.ExecutionArn, "StartDate": d.StartDate.UTC().Format(isoMillis)}, nil
	}
	if pattern != RunJob {
		return started, nil
	}
	submit(started)
	select {
	case <-x.done:
	case <-ctx.Done():
		_ = x.stop("", "")
		return nil, &failure{name: states.Aborted, runtime: true}
	}
	d = x.describe()
	out := map[string]any{
		"ExecutionArn":    d.ExecutionArn,
		"Input":           *d.Input,
		"InputDetails":    map[string]any{"Included": true},
		"Name":            d.Name,
		"StartDate":       d.StartDate.UTC().Format(isoMillis),
		"StateMachineArn": d.StateMachineArn,
		"Status":          d.Status,
		"StopDate":        d.StopDate.UTC().Format(isoMillis),
	}
	if d.Output != nil {
		out["Output"] = *d.Output
		out["OutputDetails"] = map[string]any{"Included": true}
		if strings.HasSuffix(action, ":2") {
			var v any
			_ = json.Unmarshal([]byte(*d.Output), &v)
			out["Output"] = v
			var iv any
			_ = json.Unmarshal([]byte(*d.Input), &iv)
			out["Input"] = iv
		}
	}
	if d.Status != StatusSucceeded {
		if d.Error != nil {
			out["Error"] = *d.Error
		}
		if d.Cause != nil {
			out["Cause"] = *d.Cause
		}
		name := states.TaskFailed
		switch d.Status {
		case StatusTimedOut:
			name = states.Timeout
		}
		return nil, &failure{name: name, cause: marshal(out)}
	}
	return out, nil
}

func (r *runner) sdkSfn(ctx context.Context, action string, pm map[string]any) (any, *failure) {
	tok, _ := pm["TaskToken"].(string)
	var err error
	switch action {
	case "sendTaskSuccess":
		out, _ := pm["Output"].(string)
		err = r.e.SendTaskSuccess(ctx, tok, out)
	case "sendTaskFailure":
		en, _ := pm["Error"].(string)
		c, _ := pm["Cause"].(string)
		err = r.e.SendTaskFailure(ctx, tok, en, c)
	case "sendTaskHeartbeat":
		err = r.e.SendTaskHeartbeat(ctx, tok)
	case "describeExecution":
		arn, _ := pm["ExecutionArn"].(string)
		d, derr := r.e.DescribeExecution(ctx, arn)
		if derr != nil {
			err = derr
			break
		}
		return describeJSON(d), nil
	case "stopExecution":
		arn, _ := pm["ExecutionArn"].(string)
		en, _ := pm["Error"].(string)
		c, _ := pm["Cause"].(string)
		d, serr := r.e.StopExecution(ctx, arn, en, c)
		if serr != nil {
			err = serr
			break
		}
		return map[string]any{"StopDate": d.StopDate.UTC().Format(isoMillis)}, nil
	default:
		return nil, &failure{name: states.Runtime, cause: "unsupported aws-sdk:sfn action " + action}
	}
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			return nil, r.sdkSfnError(ae)
		}
		return nil, &failure{name: states.TaskFailed, cause: err.Error()}
	}
	return map[string]any{}, nil
}

func describeJSON(d *Execution) map[string]any {
	out := map[string]any{"ExecutionArn": d.ExecutionArn, "StateMachineArn": d.StateMachineArn, "Name": d.Name, "Status": d.Status,
		"StartDate": d.StartDate.UTC().Format(isoMillis)}
	if d.Input != nil {
		out["Input"] = *d.Input
		out["InputDetails"] = map[string]any{"Included": true}
	}
	if d.Output != nil {
		out["Output"] = *d.Output
		out["OutputDetails"] = map[string]any{"Included": true}
	}
	describeMore(d, out)
	return out
}
