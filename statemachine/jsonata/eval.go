package jsonata

import (
	"context"
	"fmt"
	"math"
	"time"
)

// frame is one scope of variable bindings.
type frame struct {
	vars   map[string]any
	parent *frame
}

func newFrame(parent *frame) *frame { return &frame{parent: parent} }

func (f *frame) bind(name string, v any) {
	if f.vars == nil {
		f.vars = make(map[string]any, 4)
	}
	f.vars[name] = v
}

func (f *frame) lookup(name string) any {
	for ; f != nil; f = f.parent {
		if v, ok := f.vars[name]; ok {
			return v
		}
	}
	return nil
}

// tuple is one binding set of a tuple stream (focus @, index #, parent
// %). "@" holds the context value.
type tuple struct {
	vals map[string]any
}

func (t *tuple) clone() *tuple {
	m := make(map[string]any, len(t.vals)+1)
	for k, v := range t.vals {
		m[k] = v
	}
	return &tuple{vals: m}
}

func frameFromTuple(env *frame, t *tuple) *frame {
	f := newFrame(env)
	for k, v := range t.vals {
		if k != "@" {
			f.bind(k, v)
		}
	}
	return f
}

// defaultMaxDepth bounds expression nesting during evaluation even without
// [WithLimits], so that runaway non-tail recursion fails with U1001 instead
// of exhausting the goroutine stack (which would kill the process).
const defaultMaxDepth = 20000

// checkEvery is how many evaluation steps pass between two checks of the
// context, the clock and the step budget: rare enough to cost nothing on
// the hot path (a counter and a mask), frequent enough that a cancelled
// evaluation stops within microseconds. A power of two less one.
const checkEvery = 1<<10 - 1

// evaluator holds the state of one Eval call.
type evaluator struct {
	cfg      *config
	ctx      context.Context
	depth    int
	maxDepth int
	deadline time.Time
	steps    int64
	maxSteps int64
	maxBytes int64
	now      time.Time
	nowSet   bool
	base     *frame
}

// evalPanic carries an evaluation error out of code that has no error
// result; Expr.eval turns it back into an error.
type evalPanic struct{ err error }

func (e *Expr) eval(ctx context.Context, input any, vars map[string]any) (result any, err error) {
	defer func() {
		if r := recover(); r != nil {
			ep, ok := r.(evalPanic)
			if !ok {
				panic(r)
			}
			result, err = nil, ep.err
		}
	}()
	ev := &evaluator{cfg: &e.cfg, ctx: ctx, maxDepth: defaultMaxDepth,
		maxSteps: e.cfg.budget.MaxSteps, maxBytes: e.cfg.budget.MaxValueBytes}
	for _, d := range []int{e.cfg.maxDepth, e.cfg.budget.MaxDepth} {
		if d > 0 && d < ev.maxDepth {
			ev.maxDepth = d
		}
	}
	if e.cfg.timeout > 0 {
		ev.deadline = time.Now().Add(e.cfg.timeout)
	}
	if err := ev.check(0); err != nil {
		return nil, err
	}
	ev.base = baseFrame(&e.cfg)
	env := newFrame(ev.base)
	for k, v := range vars {
		env.bind(k, wrap(v))
	}
	in := wrap(input)
	if input == nil {
		in = null
	}
	env.bind("$", in)
	if a, ok := in.(*array); ok {
		in = &array{items: []any{a}, seq: true, outer: true}
	}
	// The root node's own sequence has collapsed already; sequences that
	// reach here nested (a native function's result returned through a
	// tail call) stay arrays, as in jsonata-js.
	return ev.eval(e.root, in, env)
}

const (
	msgStackOverflow = "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive."
	msgTimeout       = "Expression evaluation timeout: Check for infinite loop"
	msgMemory        = "Expression evaluation memory limit exceeded: Check for excessive memory usage"
)

func limitError(pos int, msg string) *Error {
	return &Error{Code: "U1001", Position: pos, Message: msg, limit: true}
}

// check is the slow part of the per-step bookkeeping, run every
// checkEvery+1 steps: has the caller given up, has the time limit passed,
// is the step budget spent?
func (ev *evaluator) check(pos int) error {
	if ev.ctx != nil {
		if err := ev.ctx.Err(); err != nil {
			return fmt.Errorf("jsonata: evaluation stopped: %w", context.Cause(ev.ctx))
		}
	}
	if ev.maxSteps > 0 && ev.steps > ev.maxSteps {
		return limitError(pos, msgTimeout)
	}
	if !ev.deadline.IsZero() && time.Now().After(ev.deadline) {
		return limitError(pos, msgTimeout)
	}
	return nil
}

// spend counts n steps of work done outside eval (a built-in's loop, a
// large copy) and runs check when one falls due.
func (ev *evaluator) spend(n int64, pos int) error {
	before := ev.steps
	ev.steps += n
	if before|checkEvery != ev.steps|checkEvery {
		return ev.check(pos)
	}
	return nil
}

// tick is spend for code without an error result: it panics with the
// error, which Expr.eval returns.
func (ev *evaluator) tick(n int) {
	if err := ev.spend(int64(n), 0); err != nil {
		panic(evalPanic{err})
	}
}

// grow fails when a value of the given size (bytes of a string, 8 bytes an
// array item) would pass the budget's MaxValueBytes. Building it counts as
// a step per 256 bytes, so that the step budget and the cancellation
// checks also see work done by copying: a string doubled in a loop costs
// in proportion to its length, not one step a round.
func (ev *evaluator) grow(size int64, pos int) error {
	if ev.maxBytes > 0 && size > ev.maxBytes {
		return limitError(pos, msgMemory)
	}
	if size >= 256 {
		return ev.spend(size>>8, pos)
	}
	return nil
}

// growItems is grow for an array of n items.
func (ev *evaluator) growItems(n int, pos int) error {
	return ev.grow(int64(n)*8, pos)
}

// capItems is growItems without counting steps, for loops that check a
// growing array after each item.
func (ev *evaluator) capItems(n int, pos int) error { return ev.capBytes(int64(n)*8, pos) }

// capBytes is grow without counting steps, for loops that check a growing
// string after each piece.
func (ev *evaluator) capBytes(size int64, pos int) error {
	if ev.maxBytes > 0 && size > ev.maxBytes {
		return limitError(pos, msgMemory)
	}
	return nil
}

func (ev *evaluator) eval(n *node, input any, env *frame) (result any, err error) {
	ev.depth++
	defer func() { ev.depth-- }()
	if ev.depth > ev.maxDepth {
		return nil, limitError(n.pos, msgStackOverflow)
	}
	ev.steps++
	if ev.steps&checkEvery == 0 {
		if err := ev.check(n.pos); err != nil {
			return nil, err
		}
	}
	switch n.typ {
	case "path":
		result, err = ev.evalPath(n, input, env)
	case "binary":
		result, err = ev.evalBinary(n, input, env)
	case "unary":
		result, err = ev.evalUnary(n, input, env)
	case "name":
		result = lookup(input, n.op)
	case "string":
		result = n.op
	case "number":
		result = n.num
	case "value":
		result = n.val
	case "wildcard":
		result = evalWildcard(input)
	case "descendant":
		result = evalDescendants(input)
	case "parent":
		result = env.lookup(n.slot.label)
	case "condition":
		var c any
		c, err = ev.eval(n.cond, input, env)
		if err != nil {
			return nil, err
		}
		if toBool(c) {
			result, err = ev.eval(n.then, input, env)
		} else if n.els != nil {
			result, err = ev.eval(n.els, input, env)
		}
	case "block":
		f := newFrame(env)
		for _, it := range n.items {
			result, err = ev.eval(it, input, f)
			if err != nil {
				return nil, err
			}
		}
	case "bind":
		result, err = ev.eval(n.rhs, input, env)
		if err != nil {
			return nil, err
		}
		env.bind(n.lhs.op, result)
	case "regex":
		result = n.re
	case "function":
		result, err = ev.evalFunction(n, input, env, nil, false)
	case "partial":
		result, err = ev.evalPartial(n, input, env)
	case "variable":
		if n.op == "" {
			if a, ok := input.(*array); ok && a.outer {
				result = a.items[0]
			} else {
				result = input
			}
		} else {
			result = env.lookup(n.op)
		}
	case "lambda":
		result = &function{lambda: n, input: input, env: env, thunk: n.thunk, sig: n.sig}
	case "apply":
		result, err = ev.evalApply(n, input, env)
	case "transform":
		result = &function{transform: n, env: env, sig: transformSig}
	case "sort":
		result, err = ev.evalSort(n, input, env)
	default:
		return nil, &Error{Code: "S0206", Position: n.pos, Message: "Unknown expression type " + n.typ}
	}
	if err != nil {
		return nil, err
	}
	for _, p := range n.predicate {
		result, err = ev.evalFilter(p.expr, result, env)
		if err != nil {
			return nil, err
		}
	}
	if n.typ != "path" && n.group != nil {
		result, err = ev.evalGroup(n.group, result, env)
		if err != nil {
			return nil, err
		}
	}
	if a, ok := result.(*array); ok && a.seq && !a.tuples {
		if n.keepArray {
			a.keep = true
		}
		switch {
		case len(a.items) == 0:
			result = nil
		case len(a.items) == 1 && !a.keep:
			result = a.items[0]
		}
	}
	return result, nil
}

func lookup(input any, key string) any {
	switch x := input.(type) {
	case *array:
		res := newSeq()
		for _, it := range x.items {
			v := lookup(it, key)
			if v == nil {
				continue
			}
			if a, ok := v.(*array); ok {
				res.items = append(res.items, a.items...)
			} else {
				res.items = append(res.items, v)
			}
		}
		return res
	case *object:
		return x.vals[key]
	case map[string]any:
		v, ok := x[key]
		if !ok {
			return nil
		}
		return wrap(v)
	}
	return nil
}

func flattenInto(dst []any, v any) []any {
	if a, ok := v.(*array); ok {
		for _, it := range a.items {
			dst = flattenInto(dst, it)
		}
		return dst
	}
	return append(dst, v)
}

func evalWildcard(input any) any {
	res := newSeq()
	if a, ok := input.(*array); ok && a.outer && len(a.items) > 0 {
		input = a.items[0]
	}
	if a, ok := input.(*array); ok {
		res.items = flattenInto(res.items, a)
		return res
	}
	if isObject(input) {
		for _, k := range objKeys(input) {
			v, _ := objGet(input, k)
			if a, ok := v.(*array); ok {
				res.items = flattenInto(res.items, a)
			} else if v != nil {
				res.items = append(res.items, v)
			}
		}
	}
	return res
}

func evalDescendants(input any) any {
	if input == nil {
		return nil
	}
	res := newSeq()
	var rec func(v any)
	rec = func(v any) {
		if a, ok := v.(*array); ok {
			for _, it := range a.items {
				rec(it)
			}
			return
		}
		if v == nil {
			return
		}
		res.items = append(res.items, v)
		if isObject(v) {
			for _, k := range objKeys(v) {
				c, _ := objGet(v, k)
				rec(c)
			}
		}
	}
	rec(input)
	if len(res.items) == 1 {
		return res.items[0]
	}
	return res
}

// plainStep reports whether a path step is a bare name or variable, which
// the fast path in evalPath can follow without sequences.
func plainStep(s *node) bool {
	return (s.typ == "name" || s.typ == "variable") && s.stages == nil && s.predicate == nil && s.group == nil &&
		!s.keepArray && !s.tuple && !s.hasFocus && s.index == "" && s.ancestor == nil && !s.consarray
}

func (ev *evaluator) evalPath(n *node, input any, env *frame) (any, error) {
	start := 0
	var inputSeq *array
	if a, ok := input.(*array); ok && n.items[0].typ != "variable" {
		inputSeq = a
	} else if !n.keepSing && n.group == nil && !n.tuple {
		// Fast path: follow leading plain steps while each gives a single
		// non-array value, the common $states.input.a.b shape. It has
		// the same result as the general loop below, without allocating
		// a sequence per step.
		cur := input
		for start < len(n.items) && plainStep(n.items[start]) {
			step := n.items[start]
			var v any
			if step.typ == "name" {
				v = lookup(cur, step.op)
			} else {
				var err error
				if v, err = ev.eval(step, cur, env); err != nil {
					return nil, err
				}
			}
			if v == nil {
				return nil, nil
			}
			if a, ok := v.(*array); ok {
				if start == len(n.items)-1 && !a.seq {
					return a, nil
				}
				if a.cons {
					inputSeq = newSeq(a)
				} else {
					inputSeq = &array{seq: true, items: a.items}
				}
				start++
				if start == len(n.items) || len(inputSeq.items) == 0 {
					return inputSeq, nil
				}
				break
			}
			cur = v
			start++
		}
		if start == len(n.items) {
			return cur, nil
		}
		if inputSeq == nil {
			inputSeq = newSeq(cur)
		}
	} else {
		inputSeq = newSeq(input)
	}
	var result *array
	isTuple := false
	var tuples []*tuple
	for i := start; i < len(n.items); i++ {
		step := n.items[i]
		if step.tuple {
			isTuple = true
		}
		var err error
		if i == 0 && step.consarray {
			var v any
			v, err = ev.eval(step, inputSeq, env)
			if err != nil {
				return nil, err
			}
			if a, ok := v.(*array); ok {
				result = a
			} else if v == nil {
				result = nil
			} else {
				result = newSeq(v)
			}
		} else if isTuple {
			tuples, err = ev.evalTupleStep(step, inputSeq, tuples, env)
		} else {
			result, err = ev.evalStep(step, inputSeq, env, i == len(n.items)-1)
		}
		if err != nil {
			return nil, err
		}
		if !isTuple && (result == nil || len(result.items) == 0) {
			break
		}
		if !step.hasFocus {
			inputSeq = result
		}
	}
	if isTuple {
		if n.tuple {
			result = tupleArray(tuples)
		} else {
			result = newSeq()
			for _, t := range tuples {
				result.items = append(result.items, t.vals["@"])
			}
		}
	}
	if n.keepSing && result != nil {
		if result.cons && !result.seq {
			result = newSeq(result)
		}
		result.keep = true
	}
	if n.group != nil {
		var in any = result
		if isTuple {
			in = tupleArray(tuples)
		}
		return ev.evalGroup(n.group, in, env)
	}
	if result == nil {
		return nil, nil
	}
	return result, nil
}

func tupleArray(ts []*tuple) *array {
	a := &array{seq: true, tuples: true, items: make([]any, len(ts))}
	for i, t := range ts {
		a.items[i] = t
	}
	return a
}

func (ev *evaluator) evalStep(step *node, input *array, env *frame, last bool) (*array, error) {
	if step.typ == "sort" {
		v, err := ev.evalSort(step, input, env)
		if err != nil {
			return nil, err
		}
		for _, st := range step.stages {
			if st.typ == "filter" {
				v, err = ev.evalFilter(st.expr, v, env)
				if err != nil {
					return nil, err
				}
			}
		}
		if a, ok := v.(*array); ok {
			return a, nil
		}
		if v == nil {
			return newSeq(), nil
		}
		return newSeq(v), nil
	}
	results := make([]any, 0, len(input.items))
	total := 0 // items of the flattened result, for the size budget
	for _, item := range input.items {
		res, err := ev.eval(step, item, env)
		if err != nil {
			return nil, err
		}
		for _, st := range step.stages {
			res, err = ev.evalFilter(st.expr, res, env)
			if err != nil {
				return nil, err
			}
		}
		if res != nil {
			results = append(results, res)
			if ev.maxBytes > 0 {
				total++
				if a, ok := res.(*array); ok {
					total += len(a.items) - 1
				}
				if err := ev.capItems(total, step.pos); err != nil {
					return nil, err
				}
			}
		}
	}
	if last && len(results) == 1 {
		if a, ok := results[0].(*array); ok && !a.seq {
			return a, nil
		}
	}
	out := &array{seq: true, items: make([]any, 0, len(results))}
	for _, res := range results {
		if a, ok := res.(*array); ok && !a.cons {
			out.items = append(out.items, a.items...)
		} else {
			out.items = append(out.items, res)
		}
	}
	return out, nil
}

func (ev *evaluator) evalTupleStep(step *node, input *array, tuples []*tuple, env *frame) ([]*tuple, error) {
	if step.typ == "sort" {
		var res []*tuple
		if tuples != nil {
			v, err := ev.evalSort(step, tupleArray(tuples), env)
			if err != nil {
				return nil, err
			}
			for _, it := range toItems(v) {
				res = append(res, it.(*tuple))
			}
		} else {
			v, err := ev.evalSort(step, input, env)
			if err != nil {
				return nil, err
			}
			for i, it := range toItems(v) {
				t := &tuple{vals: map[string]any{"@": it}}
				if step.index != "" {
					t.vals[step.index] = float64(i)
				}
				res = append(res, t)
			}
		}
		return ev.evalStages(step.stages, res, env)
	}
	if tuples == nil {
		tuples = make([]*tuple, 0, len(input.items))
		for _, it := range input.items {
			tuples = append(tuples, &tuple{vals: map[string]any{"@": it}})
		}
	}
	var result []*tuple
	for _, tb := range tuples {
		stepEnv := frameFromTuple(env, tb)
		res, err := ev.eval(step, tb.vals["@"], stepEnv)
		if err != nil {
			return nil, err
		}
		if res == nil {
			continue
		}
		var items []any
		isTS := false
		if a, ok := res.(*array); ok {
			items = a.items
			isTS = a.tuples
		} else {
			items = []any{res}
		}
		for bb, it := range items {
			t := tb.clone()
			if isTS {
				for k, v := range it.(*tuple).vals {
					t.vals[k] = v
				}
			} else {
				if step.hasFocus {
					t.vals[step.focus] = it
					t.vals["@"] = tb.vals["@"]
				} else {
					t.vals["@"] = it
				}
				if step.index != "" {
					t.vals[step.index] = float64(bb)
				}
				if step.ancestor != nil {
					t.vals[step.ancestor.label] = tb.vals["@"]
				}
			}
			result = append(result, t)
		}
		if err := ev.capItems(len(result), step.pos); err != nil {
			return nil, err
		}
	}
	return ev.evalStages(step.stages, result, env)
}

func (ev *evaluator) evalStages(stages []*stage, ts []*tuple, env *frame) ([]*tuple, error) {
	for _, st := range stages {
		switch st.typ {
		case "filter":
			v, err := ev.evalFilter(st.expr, tupleArray(ts), env)
			if err != nil {
				return nil, err
			}
			ts = ts[:0:0]
			for _, it := range toItems(v) {
				if t, ok := it.(*tuple); ok {
					ts = append(ts, t)
				}
			}
		case "index":
			for i, t := range ts {
				t.vals[st.index] = float64(i)
			}
		}
	}
	if ts == nil {
		ts = []*tuple{}
	}
	return ts, nil
}

func (ev *evaluator) evalFilter(pred *node, input any, env *frame) (any, error) {
	results := newSeq()
	if input == nil {
		return results, nil
	}
	var items []any
	isTuples := false
	if a, ok := input.(*array); ok {
		items = a.items
		isTuples = a.tuples
		results.tuples = a.tuples
	} else {
		items = []any{input}
	}
	if pred.typ == "number" {
		idx := int(math.Floor(pred.num))
		if idx < 0 {
			idx += len(items)
		}
		if idx >= 0 && idx < len(items) {
			item := items[idx]
			if a, ok := item.(*array); ok {
				return a, nil
			}
			results.items = append(results.items, item)
		}
		return results, nil
	}
	for index, item := range items {
		context, fenv := item, env
		if isTuples {
			t := item.(*tuple)
			context = t.vals["@"]
			fenv = frameFromTuple(env, t)
		}
		res, err := ev.eval(pred, context, fenv)
		if err != nil {
			return nil, err
		}
		if isNumber(res) {
			res = &array{items: []any{res}}
		}
		if a, ok := res.(*array); ok && allNumbers(a.items) {
			for _, x := range a.items {
				ii := int(math.Floor(x.(float64)))
				if ii < 0 {
					ii += len(items)
				}
				if ii == index {
					results.items = append(results.items, item)
				}
			}
		} else if toBool(res) {
			results.items = append(results.items, item)
		}
	}
	return results, nil
}

func allNumbers(items []any) bool {
	for _, it := range items {
		if _, ok := it.(float64); !ok {
			return false
		}
	}
	return true
}

// evalGroup evaluates an object constructor (or grouping clause) over input.
func (ev *evaluator) evalGroup(g *node, input any, env *frame) (any, error) {
	type entry struct {
		data  any
		index int
	}
	var items []any
	reduce := false
	if a, ok := input.(*array); ok {
		items = a.items
		reduce = a.tuples
	} else {
		items = []any{input}
	}
	if len(items) == 0 {
		items = []any{nil}
	}
	groups := map[string]*entry{}
	var order []string
	for _, item := range items {
		ctx, ienv := item, env
		if reduce {
			t, ok := item.(*tuple)
			if !ok {
				continue
			}
			ctx = t.vals["@"]
			ienv = frameFromTuple(env, t)
		}
		for pi, pr := range g.pairs {
			k, err := ev.eval(pr[0], ctx, ienv)
			if err != nil {
				return nil, err
			}
			if k == nil {
				continue
			}
			ks, ok := k.(string)
			if !ok {
				return nil, &Error{Code: "T1003", Position: g.pos, Value: k, Message: "Key in object structure must evaluate to a string; got: " + previewValue(k)}
			}
			if e, ok := groups[ks]; ok {
				if e.index != pi {
					return nil, &Error{Code: "D1009", Position: g.pos, Value: ks, Message: "Multiple key definitions evaluate to same key: " + ks}
				}
				e.data = appendValues(e.data, item)
			} else {
				groups[ks] = &entry{data: item, index: pi}
				order = append(order, ks)
			}
		}
	}
	out := newObject(len(order))
	for _, k := range order {
		e := groups[k]
		ctx, genv := e.data, env
		if reduce {
			t := reduceTuples(e.data)
			ctx = t.vals["@"]
			delete(t.vals, "@")
			genv = frameFromTuple(env, t)
		}
		v, err := ev.eval(g.pairs[e.index][1], ctx, genv)
		if err != nil {
			return nil, err
		}
		if v != nil {
			out.set(k, v)
		}
	}
	return out, nil
}

// reduceTuples merges a group of tuples into one whose values are
// sequences of the members' values.
func reduceTuples(data any) *tuple {
	a, ok := data.(*array)
	if !ok {
		return data.(*tuple).clone()
	}
	res := &tuple{vals: map[string]any{}}
	for _, it := range a.items {
		for k, v := range it.(*tuple).vals {
			res.vals[k] = appendValues(res.vals[k], v)
		}
	}
	return res
}

// appendValues is $append: it joins two values into a sequence.
func appendValues(a, b any) any {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	out := &array{}
	if x, ok := a.(*array); ok {
		out.items = append(out.items, x.items...)
	} else {
		out.items = append(out.items, a)
	}
	if y, ok := b.(*array); ok {
		out.items = append(out.items, y.items...)
	} else {
		out.items = append(out.items, b)
	}
	return out
}
