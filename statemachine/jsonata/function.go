package jsonata

import (
	"errors"
	"strconv"
	"strings"
)

// function is a JSONata function value: a lambda, a built-in, a partial
// application, a composition (f ~> g), a transform, or a Go function.
type function struct {
	name string
	sig  *signature

	// lambda
	lambda *node
	input  any
	env    *frame
	thunk  bool

	// built-in: args are validated against sig; input is the context
	native func(ev *evaluator, args []any, input any, env *frame) (any, error)
	arity  int

	// partial application: args holds nil for each placeholder slot
	partialOf *function
	partial   []any
	holes     []bool

	// composition: apply first, then second
	first, second any

	transform *node

	goFn func([]any) (any, error)
}

// arity is the number of parameters higher-order functions pass.
func funcArity(f any) int {
	switch x := f.(type) {
	case *function:
		switch {
		case x.lambda != nil:
			return len(x.lambda.params)
		case x.native != nil:
			return x.arity
		case x.partialOf != nil:
			n := 0
			for _, h := range x.holes {
				if h {
					n++
				}
			}
			return n
		case x.transform != nil:
			return 1
		case x.goFn != nil:
			return 3
		}
		return 1
	case *regex:
		return 1
	}
	return 0
}

func goFunction(name string, fn func([]any) (any, error)) *function {
	return &function{name: name, goFn: fn}
}

func (ev *evaluator) evalFunction(n *node, input any, env *frame, applyTo any, hasApplyTo bool) (any, error) {
	proc, err := ev.eval(n.procedure, input, env)
	if err != nil {
		return nil, err
	}
	procName := n.procedure.op
	if n.procedure.typ == "path" {
		procName = n.procedure.items[0].op
	}
	if proc == nil && n.procedure.typ == "path" && env.lookup(procName) != nil {
		return nil, &Error{Code: "T1005", Position: n.pos, Token: procName, Message: "Attempted to invoke a non-function. Did you mean ${" + procName + "}?"}
	}
	args := make([]any, 0, len(n.items)+1)
	if hasApplyTo {
		args = append(args, applyTo)
	}
	for _, a := range n.items {
		v, err := ev.eval(a, input, env)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	res, err := ev.apply(proc, args, input, env)
	if err != nil {
		var je *Error
		if errors.As(err, &je) {
			if je.Position == 0 {
				je.Position = n.pos
			}
			if je.Token == "" {
				je.Token = procName
			}
			je.fillToken()
		}
		return nil, err
	}
	return res, nil
}

func (ev *evaluator) apply(proc any, args []any, input any, env *frame) (any, error) {
	res, err := ev.applyInner(proc, args, input, env)
	for err == nil {
		f, ok := res.(*function)
		if !ok || !f.thunk {
			break
		}
		call := f.lambda.body
		var next any
		next, err = ev.eval(call.procedure, f.input, f.env)
		if err != nil {
			return nil, err
		}
		procName := call.procedure.op
		if call.procedure.typ == "path" {
			procName = call.procedure.items[0].op
		}
		targs := make([]any, 0, len(call.items))
		for _, a := range call.items {
			var v any
			v, err = ev.eval(a, f.input, f.env)
			if err != nil {
				return nil, err
			}
			targs = append(targs, v)
		}
		res, err = ev.applyInner(next, targs, input, env)
		if err != nil {
			var je *Error
			if errors.As(err, &je) {
				if je.Position == 0 {
					je.Position = call.pos
				}
				if je.Token == "" {
					je.Token = procName
				}
				je.fillToken()
			}
		}
	}
	return res, err
}

func (ev *evaluator) applyInner(proc any, args []any, input any, env *frame) (any, error) {
	switch f := proc.(type) {
	case *function:
		if f.sig != nil {
			var err error
			ctx := input
			if a, ok := ctx.(*array); ok && a.outer && len(a.items) == 1 {
				ctx = a.items[0]
			}
			args, err = f.sig.validate(args, ctx)
			if err != nil {
				return nil, err
			}
		}
		switch {
		case f.lambda != nil:
			fenv := newFrame(f.env)
			for i, p := range f.lambda.params {
				var v any
				if i < len(args) {
					v = args[i]
				}
				fenv.bind(p, v)
			}
			return ev.eval(f.lambda.body, f.input, fenv)
		case f.native != nil:
			res, err := f.native(ev, args, input, env)
			if err == nil && ev.maxBytes > 0 {
				switch r := res.(type) {
				case string:
					err = ev.grow(int64(len(r)), 0)
				case *array:
					err = ev.growItems(len(r.items), 0)
				}
				if err != nil {
					return nil, err
				}
			}
			return res, err
		case f.partialOf != nil:
			full := make([]any, len(f.partial))
			j := 0
			for i := range f.partial {
				if f.holes[i] {
					if j < len(args) {
						full[i] = args[j]
					}
					j++
				} else {
					full[i] = f.partial[i]
				}
			}
			return ev.apply(f.partialOf, full, input, env)
		case f.first != nil:
			mid, err := ev.apply(f.first, args, input, env)
			if err != nil {
				return nil, err
			}
			return ev.apply(f.second, []any{mid}, input, env)
		case f.transform != nil:
			var obj any
			if len(args) > 0 {
				obj = args[0]
			}
			return ev.runTransform(f, obj)
		case f.goFn != nil:
			plain := make([]any, len(args))
			for i, a := range args {
				if a != nil {
					plain[i] = export(a)
				}
			}
			res, err := f.goFn(plain)
			if errors.Is(err, ErrUndefined) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			return wrap(res), nil
		}
	case *regex:
		var s any
		if len(args) > 0 {
			s = args[0]
		}
		str, ok := s.(string)
		if !ok {
			return nil, nil
		}
		return f.matchObject(str, 0), nil
	}
	return nil, &Error{Code: "T1006", Message: "Attempted to invoke a non-function"}
}

func (ev *evaluator) evalPartial(n *node, input any, env *frame) (any, error) {
	proc, err := ev.eval(n.procedure, input, env)
	if err != nil {
		return nil, err
	}
	procName := n.procedure.op
	if n.procedure.typ == "path" {
		procName = n.procedure.items[0].op
	}
	if proc == nil && n.procedure.typ == "path" && env.lookup(procName) != nil {
		return nil, &Error{Code: "T1007", Position: n.pos, Token: procName, Message: "Attempted to partially apply a non-function. Did you mean ${" + procName + "}?"}
	}
	f, ok := proc.(*function)
	if !ok {
		return nil, &Error{Code: "T1008", Position: n.pos, Token: procName, Message: "Attempted to partially apply a non-function"}
	}
	p := &function{partialOf: f, partial: make([]any, len(n.items)), holes: make([]bool, len(n.items))}
	for i, a := range n.items {
		if a.typ == "operator" && a.op == "?" {
			p.holes[i] = true
			continue
		}
		v, err := ev.eval(a, input, env)
		if err != nil {
			return nil, err
		}
		p.partial[i] = v
	}
	return p, nil
}

func (ev *evaluator) evalApply(n *node, input any, env *frame) (any, error) {
	lhs, err := ev.eval(n.lhs, input, env)
	if err != nil {
		return nil, err
	}
	if n.rhs.typ == "function" {
		return ev.evalFunction(n.rhs, input, env, lhs, true)
	}
	fn, err := ev.eval(n.rhs, input, env)
	if err != nil {
		return nil, err
	}
	if !isFunc(fn) {
		return nil, &Error{Code: "T2006", Position: n.pos, Value: fn, Message: "The right side of the function application operator ~> must be a function"}
	}
	if isFunc(lhs) {
		return &function{first: lhs, second: fn}, nil
	}
	return ev.apply(fn, []any{lhs}, input, env)
}

// runTransform implements the |pattern|update,delete| operator on obj.
func (ev *evaluator) runTransform(f *function, obj any) (any, error) {
	n := f.transform
	if obj == nil {
		return nil, nil
	}
	result := cloneJSON(obj)
	matches, err := ev.eval(n.pattern, result, f.env)
	if err != nil {
		return nil, err
	}
	for _, m := range toItems(matches) {
		upd, err := ev.eval(n.update, m, f.env)
		if err != nil {
			return nil, err
		}
		if upd != nil {
			if !isObject(upd) {
				return nil, &Error{Code: "T2011", Position: n.update.pos, Value: upd, Message: "The insert/update clause of the transform expression must evaluate to an object: " + previewValue(upd)}
			}
			if mo, ok := m.(*object); ok {
				for _, k := range objKeys(upd) {
					v, _ := objGet(upd, k)
					mo.set(k, v)
				}
			}
		}
		if n.delete != nil {
			del, err := ev.eval(n.delete, m, f.env)
			if err != nil {
				return nil, err
			}
			if del != nil {
				items := toItems(del)
				for _, d := range items {
					if _, ok := d.(string); !ok {
						return nil, &Error{Code: "T2012", Position: n.delete.pos, Value: del, Message: "The delete clause of the transform expression must evaluate to a string or array of strings: " + previewValue(del)}
					}
				}
				if mo, ok := m.(*object); ok {
					for _, d := range items {
						mo.del(d.(string))
					}
				}
			}
		}
	}
	return result, nil
}

// cloneJSON copies v the way $clone does in jsonata-js (through $string
// and JSON.parse): numbers keep 15 significant digits.
func cloneJSON(v any) any {
	switch x := v.(type) {
	case float64:
		return precision15(x)
	case *array:
		out := &array{items: make([]any, len(x.items))}
		for i, it := range x.items {
			out.items[i] = cloneJSON(it)
		}
		return out
	case *object, map[string]any:
		keys := objKeys(x)
		out := newObject(len(keys))
		for _, k := range keys {
			it, _ := objGet(x, k)
			if it == nil || isFunc(it) {
				continue
			}
			out.set(k, cloneJSON(it))
		}
		return out
	}
	return v
}

// fillToken puts the function name into messages written before it was
// known ("Argument 1 of function {{token}} ...").
func (e *Error) fillToken() {
	if e.Token == "" {
		e.Message = strings.ReplaceAll(e.Message, " {{token}}", "")
		return
	}
	e.Message = strings.ReplaceAll(e.Message, "{{token}}", strconv.Quote(e.Token))
}
