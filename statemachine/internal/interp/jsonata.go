package interp

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
	"github.com/stepwise-dev/stepwise/statemachine/jsonata"
	"github.com/stepwise-dev/stepwise/statemachine/states"
)

// CheckJSONata compiles a JSONata expression for validation.
func CheckJSONata(expr string) error {
	_, err := jsonata.Compile(expr, jsonata.StepFunctions())
	return err
}

// JSONataBudget bounds every JSONata evaluation of a state, as AWS Step
// Functions bounds its own: past a bound the state fails with
// States.QueryEvaluationError (catchable, retryable) instead of spinning or
// exhausting memory. The depth and size bounds follow what AWS was
// measured to accept through TestState: nesting near 100 levels,
// [1..873782] but not [1..873783], a string of 2^22 characters but not
// 2^23 (8 bytes an array item). AWS's time limit is not published; the
// step bound stands in for it deterministically: about 10 million steps
// is a few seconds here, above any expression over the largest accepted
// sequence ([1..873782] ~> $map(...) takes about 4 million).
//
// It is read when a machine is compiled ([Parse]). It is a variable only
// so that tests (statemachine's runaway tests) can lower the step bound;
// nothing else changes it.
var JSONataBudget = jsonata.Budget{MaxDepth: 100, MaxSteps: 10_000_000, MaxValueBytes: 873782 * 8}

// jsonataTmpl is a compiled JSONata-mode field value: a literal, a "{% expr %}"
// string, or an object/array whose members may hold expressions.
type jsonataTmpl struct {
	lit    any
	isLit  bool
	expr   *jsonata.Expr
	src    string
	keys   []string
	fields []*jsonataTmpl
	items  []*jsonataTmpl
	isArr  bool
}

// isExprString reports whether s is a "{% ... %}" JSONata expression.
func isExprString(s string) (string, bool) {
	if strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}") && len(s) >= 4 {
		return strings.TrimSpace(s[2 : len(s)-2]), true
	}
	return "", false
}

func compileJSONataTmpl(v any) (*jsonataTmpl, error) {
	switch v := v.(type) {
	case string:
		if src, ok := isExprString(v); ok {
			e, err := jsonata.Compile(src, jsonata.StepFunctions(), jsonata.WithBudget(JSONataBudget))
			if err != nil {
				return nil, err
			}
			return &jsonataTmpl{expr: e, src: src}, nil
		}
	case map[string]any:
		n := &jsonataTmpl{}
		static := true
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub, err := compileJSONataTmpl(v[k])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if !sub.isLit {
				static = false
			}
			n.keys = append(n.keys, k)
			n.fields = append(n.fields, sub)
		}
		if static {
			return &jsonataTmpl{lit: v, isLit: true}, nil
		}
		return n, nil
	case []any:
		n := &jsonataTmpl{isArr: true}
		static := true
		for i, it := range v {
			sub, err := compileJSONataTmpl(it)
			if err != nil {
				return nil, fmt.Errorf("%d: %w", i, err)
			}
			if !sub.isLit {
				static = false
			}
			n.items = append(n.items, sub)
		}
		if static {
			return &jsonataTmpl{lit: v, isLit: true}, nil
		}
		return n, nil
	}
	return &jsonataTmpl{lit: v, isLit: true}, nil
}

// compileJSONataField compiles raw[key] when present.
func compileJSONataField(raw map[string]any, key string) (*jsonataTmpl, error) {
	v, ok := raw[key]
	if !ok {
		return nil, nil
	}
	n, err := compileJSONataTmpl(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return n, nil
}

// jfields are a state's JSONata-mode fields.
type jfields struct {
	args, output, items, itemSelector         *jsonataTmpl
	seconds, timestamp, timeout, heartbeat    *jsonataTmpl
	maxConc, tolCount, tolPct, errorF, causeF *jsonataTmpl
}

func compileJFields(raw map[string]any) (*jfields, error) {
	j := &jfields{}
	var err error
	for _, f := range []struct {
		key string
		dst **jsonataTmpl
	}{{"Arguments", &j.args}, {"Output", &j.output}, {"Items", &j.items}, {"ItemSelector", &j.itemSelector},
		{"Seconds", &j.seconds}, {"Timestamp", &j.timestamp}, {"TimeoutSeconds", &j.timeout}, {"HeartbeatSeconds", &j.heartbeat},
		{"MaxConcurrency", &j.maxConc}, {"ToleratedFailureCount", &j.tolCount}, {"ToleratedFailurePercentage", &j.tolPct},
		{"Error", &j.errorF}, {"Cause", &j.causeF}} {
		if *f.dst, err = compileJSONataField(raw, f.key); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// assignBlock is a compiled Assign: JSONata nodes or JSONPath templates.
type assignBlock struct {
	names []string
	j     []*jsonataTmpl
	p     []*tmpl
}

func compileAssign(v any, lang string) (*assignBlock, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, nil
	}
	a := &assignBlock{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if lang == langJSONata {
			n, err := compileJSONataTmpl(m[k])
			if err != nil {
				//lint:ignore ST1005 starts with the ASL field name
				return nil, fmt.Errorf("Assign/%s: %w", k, err)
			}
			a.names = append(a.names, k)
			a.j = append(a.j, n)
			continue
		}
		t, err := compileTmpl(map[string]any{k: m[k]})
		if err != nil {
			//lint:ignore ST1005 starts with the ASL field name
			return nil, fmt.Errorf("Assign/%s: %w", k, err)
		}
		a.names = append(a.names, strings.TrimSuffix(k, ".$"))
		a.p = append(a.p, t)
	}
	return a, nil
}

// jvars builds the variable bindings of a JSONata evaluation.
func (r *runner) jvars(st *step, extra map[string]any) map[string]any {
	vars := map[string]any{}
	for k, v := range st.vars.all() {
		vars[k] = v
	}
	states := map[string]any{"input": st.input, "context": r.context(st)}
	for k, v := range extra {
		states[k] = v
	}
	vars["states"] = states
	return vars
}

// lazyVars returns a function that builds the evaluation variables on
// first use, so that states whose fields are all literals build nothing.
func (r *runner) lazyVars(st *step, extra map[string]any) func() map[string]any {
	var m map[string]any
	return func() map[string]any {
		if m == nil {
			m = r.jvars(st, extra)
		}
		return m
	}
}

// jevalLazyVars is jeval with lazily built variables.
func (r *runner) jevalLazyVars(st *step, n *jsonataTmpl, loc string, vars func() map[string]any) (any, *failure) {
	if n.isLit {
		return n.lit, nil
	}
	return r.jeval(st, n, loc, vars())
}

// jeval evaluates a JSONata-mode field; loc is the field's location for
// messages ("Arguments/FunctionName").
func (r *runner) jeval(st *step, n *jsonataTmpl, loc string, vars map[string]any) (any, *failure) {
	switch {
	case n.isLit:
		return n.lit, nil
	case n.expr != nil:
		ctx := st.ctx
		if ctx == nil {
			ctx = context.Background()
		}
		v, err := n.expr.EvalContext(ctx, st.input, vars)
		if err != nil {
			if ctx.Err() != nil {
				// Stopped, timed out or shutting down: whoever cancelled
				// records the outcome; the state records nothing.
				return nil, &failure{name: states.Aborted, runtime: true}
			}
			if errors.Is(err, jsonata.ErrLimit) {
				var je *jsonata.Error
				errors.As(err, &je)
				return nil, r.evalFailed(st, loc, fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' threw an error during evaluation: %s", n.src, loc, je.Message))
			}
			if errors.Is(err, jsonata.ErrFunctionResult) {
				return nil, r.evalFailed(st, loc, fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' returned an unsupported result type.", n.src, loc))
			}
			if errors.Is(err, jsonata.ErrUndefined) {
				return nil, r.evalFailed(st, loc, fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' returned nothing (undefined).", n.src, loc))
			}
			return nil, r.evalFailed(st, loc, fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' threw an error during evaluation. %s", n.src, loc, err.Error()))
		}
		return v, nil
	case n.isArr:
		out := make([]any, 0, len(n.items))
		for i, it := range n.items {
			v, f := r.jeval(st, it, fmt.Sprintf("%s/%d", loc, i), vars)
			if f != nil {
				return nil, f
			}
			out = append(out, v)
		}
		return out, nil
	}
	out := make(map[string]any, len(n.keys))
	for i, k := range n.keys {
		v, f := r.jeval(st, n.fields[i], loc+"/"+k, vars)
		if f != nil {
			return nil, f
		}
		out[k] = v
	}
	return out, nil
}

// evalFailed records an EvaluationFailed event (previousEventId 0, as AWS)
// and returns the States.QueryEvaluationError failure.
func (r *runner) evalFailed(st *step, loc, msg string) *failure {
	return r.evalFailedAt(st, loc, msg, st.enteredPrev)
}

// evalFailedAt is evalFailed with an explicit previousEventId.
func (r *runner) evalFailedAt(st *step, loc, msg string, prev int64) *failure {
	cause := fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). ", st.s.name, st.enteredID) + msg
	id := r.x.AddEvent(eventtype.EvaluationFailed, prev, &EvaluationFailedEventDetails{Error: states.QueryEvaluationError, Cause: cause, Location: loc, State: st.s.name})
	st.th.prev = id
	return &failure{name: states.QueryEvaluationError, cause: cause, runtime: true}
}

// runAssign evaluates an Assign block against the old variable values and
// returns the new bindings.
func (r *runner) runAssign(st *step, a *assignBlock, vars map[string]any, pathInput any) (map[string]any, *failure) {
	if a == nil {
		return nil, nil
	}
	out := make(map[string]any, len(a.names))
	for i, name := range a.names {
		if a.j != nil {
			v, f := r.jeval(st, a.j[i], "Assign/"+name, vars)
			if f != nil {
				return nil, f
			}
			out[name] = v
			continue
		}
		v, f := r.evalTmpl(st, a.p[i], pathInput, "Assign")
		if f != nil {
			return nil, f
		}
		for _, vv := range v.(map[string]any) {
			out[name] = vv
		}
	}
	return out, nil
}

// typeName names a JSON value's type as AWS's messages do.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// jsonataFlow is the JSONata data flow: Arguments, Output and Assign,
// evaluated with $states and the workflow variables (vars, built once per
// visit).
type jsonataFlow struct {
	r    *runner
	vars func() map[string]any
}

func (fl *jsonataFlow) input(st *step) (any, *failure) { return st.input, nil }

func (fl *jsonataFlow) pass(st *step, in any) (any, bool, *failure) { return nil, false, nil }

func (fl *jsonataFlow) args(st *step, in any) (any, *failure) {
	if st.s.j.args == nil {
		return in, nil
	}
	return fl.r.jevalLazyVars(st, st.s.j.args, "Arguments", fl.vars)
}

func (fl *jsonataFlow) matches(st *step, i int, c *choiceRule, in any) (bool, *failure) {
	if c.condJ == nil {
		return false, nil
	}
	v, f := fl.r.jevalLazyVars(st, c.condJ, fmt.Sprintf("Choices/%d/Condition", i), fl.vars)
	if f != nil {
		return false, f
	}
	b, _ := v.(bool)
	return b, nil
}

func (fl *jsonataFlow) wait(ctx context.Context, st *step, in any) *failure {
	return fl.r.execWaitJSONata(ctx, st, fl.vars)
}

func (fl *jsonataFlow) fail(st *step) *failure { return fl.r.execFailJSONata(st, fl.vars) }

// caught runs the catcher's Assign and Output with $states.errorOutput;
// without Output the error output is the result.
func (fl *jsonataFlow) caught(st *step, c *catcher, errOut map[string]any) (any, map[string]any, *failure) {
	jv := fl.r.jvars(st, map[string]any{"errorOutput": errOut})
	assigned, f := fl.r.runAssign(st, c.compiledAssign, jv, nil)
	if f != nil {
		return nil, nil, f
	}
	var res any = errOut
	if c.outputJ != nil {
		if res, f = fl.r.jeval(st, c.outputJ, "Output", jv); f != nil {
			return nil, nil, f
		}
	}
	return res, assigned, nil
}

// output runs Assign and Output: the Choice rule's when one was taken,
// else the state's.
func (fl *jsonataFlow) output(st *step, in, result any, hasResult bool, rule *choiceRule) (any, *failure) {
	assign, output := st.s.compiledAssign, st.s.j.output
	if rule != nil {
		assign, output = rule.compiledAssign, rule.outputJ
	}
	return fl.r.finishJSONata(st, fl.vars, result, hasResult, assign, output)
}

// finishJSONata runs a JSONata state's Assign and Output: with
// hasResult, $states.result is result and the default output; without,
// the default output is the state's input.
func (r *runner) finishJSONata(st *step, vars func() map[string]any, result any, hasResult bool, assign *assignBlock, output *jsonataTmpl) (any, *failure) {
	v := vars
	if hasResult {
		v = r.lazyVars(st, map[string]any{"result": result})
	}
	var assigned map[string]any
	var f *failure
	if assign != nil {
		if assigned, f = r.runAssign(st, assign, v(), nil); f != nil {
			return nil, f
		}
	}
	out := result
	if !hasResult {
		out = st.input
	}
	if output != nil {
		if out, f = r.jevalLazyVars(st, output, "Output", v); f != nil {
			return nil, f
		}
	}
	st.assigned = assigned
	return out, nil
}

// execFailJSONata builds a JSONata Fail state's failure from Error and Cause.
func (r *runner) execFailJSONata(st *step, vars func() map[string]any) *failure {
	s, j := st.s, st.s.j
	f := &failure{}
	if s.fail.errorLit != nil {
		f.name = *s.fail.errorLit
	}
	if s.fail.causeLit != nil {
		f.cause = *s.fail.causeLit
	}
	if j.errorF != nil && !j.errorF.isLit {
		v, ff := r.jevalLazyVars(st, j.errorF, "Error", vars)
		if ff != nil {
			return ff
		}
		f.name = rawString(v)
	}
	if j.causeF != nil && !j.causeF.isLit {
		v, ff := r.jevalLazyVars(st, j.causeF, "Cause", vars)
		if ff != nil {
			return ff
		}
		f.cause = rawString(v)
	}
	return f
}

// execWaitJSONata evaluates a JSONata Wait state's Seconds or Timestamp and
// waits.
func (r *runner) execWaitJSONata(ctx context.Context, st *step, vars func() map[string]any) *failure {
	j := st.s.j
	var d time.Duration
	switch {
	case j.seconds != nil:
		v, f := r.jevalLazyVars(st, j.seconds, "Seconds", vars)
		if f != nil {
			return f
		}
		n, _ := v.(float64)
		d = secondsDur(n)
	case j.timestamp != nil:
		v, f := r.jevalLazyVars(st, j.timestamp, "Timestamp", vars)
		if f != nil {
			return f
		}
		ts, _ := v.(string)
		t, err := parseWaitTimestamp(ts)
		if err != nil {
			return r.evalFailedAt(st, "Timestamp", "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: "+ts, st.th.prev)
		}
		d = t.Sub(r.env.Clock.Now())
	}
	return r.waitFor(ctx, st, d)
}

// mapItemsJSONata evaluates a JSONata Map's Items (default: the input).
func (r *runner) mapItemsJSONata(st *step, input any) ([]any, *failure) {
	j := st.s.j
	if j.items == nil {
		items, ok := input.([]any)
		if !ok {
			return nil, r.evalFailed(st, "", fmt.Sprintf("Map state input must be an array but was: %s", Marshal(input)))
		}
		return items, nil
	}
	v, f := r.jeval(st, j.items, "Items", r.jvars(st, nil))
	if f != nil {
		return nil, f
	}
	items, ok := v.([]any)
	switch v.(type) {
	case nil, bool, float64, string, []any, map[string]any:
	default:
		return nil, r.evalFailed(st, "Items", fmt.Sprintf("The JSONata expression '%s' specified for the field 'Items' returned an unsupported result type.", j.items.src))
	}
	if !ok {
		return nil, r.evalFailed(st, "Items", fmt.Sprintf("The JSONata expression '%s' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '%s' for value: %s", j.items.src, typeName(v), Marshal(v)))
	}
	return items, nil
}

// execMapJSONata evaluates a JSONata Map's fields and runs its iterations.
func (r *runner) execMapJSONata(ctx context.Context, st *step, input any) (any, *failure) {
	s := st.s
	j := s.j
	var items []any
	var f *failure
	if s.mapState.itemReader != nil {
		if items, f = r.readItems(ctx, st, input); f != nil {
			return nil, f
		}
	} else if items, f = r.mapItemsJSONata(st, input); f != nil {
		st.th.add(eventtype.MapStateFailed, nil)
		return nil, f
	}
	vars := r.jvars(st, nil)
	num := func(n *jsonataTmpl, loc string) (float64, bool, *failure) {
		if n == nil {
			return 0, false, nil
		}
		v, f := r.jeval(st, n, loc, vars)
		if f != nil {
			return 0, false, f
		}
		x, ok := v.(float64)
		if !ok {
			return 0, false, r.evalFailed(st, loc, fmt.Sprintf("The %s field must be a number, but was: %s", loc, Marshal(v)))
		}
		return x, true, nil
	}
	mc, _, f := num(j.maxConc, "MaxConcurrency")
	if f != nil {
		return nil, f
	}
	tc, hasCount, f := num(j.tolCount, "ToleratedFailureCount")
	if f != nil {
		return nil, f
	}
	tp, hasPct, f := num(j.tolPct, "ToleratedFailurePercentage")
	if f != nil {
		return nil, f
	}
	t := r.testedMap(st)
	inputs := make([]any, len(items))
	for i, it := range items {
		inputs[i] = it
		if j.itemSelector != nil {
			ist := *st
			ist.item = &mapItem{index: i, value: it}
			ist.ctxObj = nil
			v, f := r.jeval(&ist, j.itemSelector, "ItemSelector", r.jvars(&ist, nil))
			if f != nil {
				return nil, f
			}
			inputs[i] = v
		}
	}
	t.noteItems(s, inputs, false)
	if s.mapState.itemBatcher != nil {
		if inputs, f = r.batchItems(st, inputs, input); f != nil {
			return nil, f
		}
		t.noteItems(s, inputs, true)
	}
	if st.resume == nil || st.resume.MapRunID == "" {
		st.th.add(eventtype.MapStateStarted, &MapStateStartedEventDetails{Length: len(inputs)})
	}
	job := mapJob{effInput: input, inputs: inputs, maxConc: int64(mc)}
	if hasCount {
		count := int64(tc)
		job.tolerance.count = &count
	}
	if hasPct {
		job.tolerance.pct = &tp
	}
	if t != nil {
		return r.testMap(st, job)
	}
	if s.mapState.distributed {
		return r.mapRun(ctx, st, job)
	}
	return r.inlineMap(ctx, st, job)
}
