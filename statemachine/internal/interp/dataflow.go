// Data flow between states: JSONPath InputPath, Parameters, ResultPath,
// OutputPath, payload templates, variables (scope) and the context object.

package interp

import (
	"context"
	"errors"
	"fmt"

	"github.com/stepwise-dev/stepwise/statemachine/intrinsic"
	"github.com/stepwise-dev/stepwise/statemachine/jsonpath"
	"github.com/stepwise-dev/stepwise/statemachine/states"
)

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
	exe, sm := r.contextObject()
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
				return nil, r.runtimeErr(st, "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", fd.expr, fd.src, Marshal(input))
			}
			out[fd.key] = v
		case fd.fn != nil:
			v, err := fd.fn.Eval(stepResolver{r, st, input}, &intrinsic.Options{Rand: r.env.Rand, UUID: r.env.NewUUID})
			if err != nil {
				var ie *intrinsic.Error
				if errors.As(err, &ie) && errors.Is(err, jsonpath.ErrNotFound) {
					return nil, r.runtimeErr(st, "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", fd.expr, fd.src, Marshal(input))
				}
				return nil, &failure{name: states.IntrinsicFailure, cause: err.Error()}
			}
			out[fd.key] = v
		}
	}
	return out, nil
}

// jsonPathFlow is the JSONPath data flow: InputPath, Parameters (applied
// by the Task, Parallel and Map work itself), ResultSelector, ResultPath
// and OutputPath.
type jsonPathFlow struct{ r *runner }

func (fl jsonPathFlow) input(st *step) (any, *failure) { return fl.r.applyInputPath(st, st.input) }

func (fl jsonPathFlow) pass(st *step, in any) (any, bool, *failure) {
	s := st.s
	if s.hasResult {
		return s.result, true, nil
	}
	if s.parameters != nil {
		res, f := fl.r.evalTmpl(st, s.parameters, in, "Parameters")
		return res, true, f
	}
	return in, true, nil
}

func (fl jsonPathFlow) args(st *step, in any) (any, *failure) { return in, nil }

func (fl jsonPathFlow) matches(st *step, i int, c *choiceRule, in any) (bool, *failure) {
	return fl.r.evalRule(st, c, in)
}

func (fl jsonPathFlow) wait(ctx context.Context, st *step, in any) *failure {
	return fl.r.execWait(ctx, st, in)
}

func (fl jsonPathFlow) fail(st *step) *failure { return fl.r.execFail(st) }

// output applies ResultSelector (Task, Parallel, Map), ResultPath and
// OutputPath to a result, or only OutputPath to the effective input of a
// state without one (Succeed, Choice, Wait). st.result is what Assign
// then sees as "$".
func (fl jsonPathFlow) output(st *step, in, result any, hasResult bool, rule *choiceRule) (any, *failure) {
	if !hasResult {
		st.result = in
		return fl.r.applyOutputPath(st, in)
	}
	if st.s.resultSel != nil && st.s.typ != "Pass" {
		var f *failure
		if result, f = fl.r.evalTmpl(st, st.s.resultSel, result, "ResultSelector"); f != nil {
			return nil, f
		}
	}
	st.result = result
	return fl.r.finishOutput(st, result)
}

// caught runs the catcher's Assign (on the error output) and ResultPath
// (into the state's input).
func (fl jsonPathFlow) caught(st *step, c *catcher, errOut map[string]any) (any, map[string]any, *failure) {
	assigned, f := fl.r.runAssign(st, c.compiledAssign, nil, errOut)
	if f != nil {
		return nil, nil, f
	}
	res, f := fl.r.applyResultPath(st, c.resultPath, st.input, errOut)
	if f != nil {
		return nil, nil, f
	}
	return res, assigned, nil
}
