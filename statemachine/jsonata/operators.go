package jsonata

import (
	"math"
	"reflect"
)

func (ev *evaluator) evalBinary(n *node, input any, env *frame) (any, error) {
	lhs, err := ev.eval(n.lhs, input, env)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "and":
		if !toBool(lhs) {
			return false, nil
		}
		rhs, err := ev.eval(n.rhs, input, env)
		if err != nil {
			return nil, err
		}
		return toBool(rhs), nil
	case "or":
		if toBool(lhs) {
			return true, nil
		}
		rhs, err := ev.eval(n.rhs, input, env)
		if err != nil {
			return nil, err
		}
		return toBool(rhs), nil
	}
	rhs, err := ev.eval(n.rhs, input, env)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "+", "-", "*", "/", "%":
		return evalArithmetic(n, lhs, rhs)
	case "=", "!=":
		if lhs == nil || rhs == nil {
			return false, nil
		}
		eq := deepEqual(lhs, rhs)
		if n.op == "!=" {
			return !eq, nil
		}
		return eq, nil
	case "<", "<=", ">", ">=":
		return evalComparison(n, lhs, rhs)
	case "&":
		return ev.evalConcat(n, lhs, rhs)
	case "..":
		return ev.evalRange(n, lhs, rhs)
	case "in":
		if lhs == nil || rhs == nil {
			return false, nil
		}
		for _, it := range toItems(rhs) {
			if strictEqual(it, lhs) {
				return true, nil
			}
		}
		return false, nil
	}
	return nil, &Error{Code: "S0204", Position: n.pos, Token: n.op, Message: "Unknown operator: " + n.op}
}

// evalArithmetic applies +, -, *, / or %: both sides numbers, or undefined.
func evalArithmetic(n *node, lhs, rhs any) (any, error) {
	if f, ok := lhs.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
		return nil, &Error{Code: "D1001", Position: n.pos, Token: n.op, Value: f, Message: "Number out of range: " + jsNumber(f)}
	}
	if f, ok := rhs.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
		return nil, &Error{Code: "D1001", Position: n.pos, Token: n.op, Value: f, Message: "Number out of range: " + jsNumber(f)}
	}
	if lhs != nil && !isNumber(lhs) {
		return nil, &Error{Code: "T2001", Position: n.pos, Token: n.op, Value: lhs, Message: "The left side of the \"" + n.op + "\" operator must evaluate to a number"}
	}
	if rhs != nil && !isNumber(rhs) {
		return nil, &Error{Code: "T2002", Position: n.pos, Token: n.op, Value: rhs, Message: "The right side of the \"" + n.op + "\" operator must evaluate to a number"}
	}
	if lhs == nil || rhs == nil {
		return nil, nil
	}
	a, b := lhs.(float64), rhs.(float64)
	var r float64
	switch n.op {
	case "+":
		r = a + b
	case "-":
		r = a - b
	case "*":
		r = a * b
	case "/":
		r = a / b
	case "%":
		r = math.Mod(a, b)
	}
	return r, nil
}

// evalComparison applies <, <=, > or >=: both sides numbers or both strings.
func evalComparison(n *node, lhs, rhs any) (any, error) {
	_, lnum := lhs.(float64)
	_, rnum := rhs.(float64)
	lok := lhs == nil || isString(lhs) || lnum
	rok := rhs == nil || isString(rhs) || rnum
	if !lok || !rok {
		v := lhs
		if lok {
			v = rhs
		}
		return nil, &Error{Code: "T2010", Position: n.pos, Token: n.op, Value: v, Message: "The expressions either side of operator \"" + n.op + "\" must evaluate to numeric or string values"}
	}
	if lhs == nil || rhs == nil {
		return nil, nil
	}
	if typeName(lhs) != typeName(rhs) {
		return nil, &Error{Code: "T2009", Position: n.pos, Token: n.op, Value: lhs, Message: "The values " + previewValue(lhs) + " and " + previewValue(rhs) + " either side of operator \"" + n.op + "\" must be of the same data type"}
	}
	var c int
	if s, ok := lhs.(string); ok {
		c = compareStrings(s, rhs.(string))
	} else {
		a, b := lhs.(float64), rhs.(float64)
		switch {
		case a < b:
			c = -1
		case a > b:
			c = 1
		}
	}
	switch n.op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	}
	return c >= 0, nil
}

// evalConcat applies &: both sides as strings, undefined as "".
func (ev *evaluator) evalConcat(n *node, lhs, rhs any) (any, error) {
	var err error
	var ls, rs string
	if lhs != nil {
		if ls, err = stringify(lhs, false); err != nil {
			return nil, err
		}
	}
	if rhs != nil {
		if rs, err = stringify(rhs, false); err != nil {
			return nil, err
		}
	}
	if err := ev.grow(int64(len(ls))+int64(len(rs)), n.pos); err != nil {
		return nil, err
	}
	return ls + rs, nil
}

// evalRange applies .. : the integers from lhs to rhs.
func (ev *evaluator) evalRange(n *node, lhs, rhs any) (any, error) {
	if lhs != nil && !isInteger(lhs) {
		return nil, &Error{Code: "T2003", Position: n.pos, Token: n.op, Value: lhs, Message: "The left side of the range operator (..) must evaluate to an integer"}
	}
	if rhs != nil && !isInteger(rhs) {
		return nil, &Error{Code: "T2004", Position: n.pos, Token: n.op, Value: rhs, Message: "The right side of the range operator (..) must evaluate to an integer"}
	}
	if lhs == nil || rhs == nil {
		return nil, nil
	}
	a, b := lhs.(float64), rhs.(float64)
	if a > b {
		return nil, nil
	}
	size := b - a + 1
	if ev.maxBytes > 0 && size*8 > float64(ev.maxBytes) {
		return nil, limitError(n.pos, msgMemory)
	}
	if size > 1e7 {
		return nil, &Error{Code: "D2014", Position: n.pos, Value: size, Message: "The size of the sequence allocated by the range operator (..) must not exceed 1e7.  Attempted to allocate " + jsNumber(size) + "."}
	}
	out := &array{items: make([]any, 0, int(size))}
	for v := a; v <= b; v++ {
		out.items = append(out.items, v)
	}
	return out, nil
}

// compareStrings orders strings by UTF-16 code units, as JavaScript does.
func compareStrings(a, b string) int {
	if a == b {
		return 0
	}
	if isASCII(a) && isASCII(b) {
		if a < b {
			return -1
		}
		return 1
	}
	ua, ub := utf16Of(a), utf16Of(b)
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			if ua[i] < ub[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(ua) < len(ub):
		return -1
	case len(ua) > len(ub):
		return 1
	}
	return 0
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func isString(v any) bool { _, ok := v.(string); return ok }

func isInteger(v any) bool {
	f, ok := v.(float64)
	return ok && f == math.Trunc(f) && !math.IsInf(f, 0)
}

func (ev *evaluator) evalUnary(n *node, input any, env *frame) (any, error) {
	switch n.op {
	case "-":
		v, err := ev.eval(n.lhs, input, env)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, nil
		}
		f, ok := v.(float64)
		if !ok {
			return nil, &Error{Code: "D1002", Position: n.pos, Token: "-", Value: v, Message: "Cannot negate a non-numeric value: " + previewValue(v)}
		}
		return -f, nil
	case "[":
		out := &array{items: make([]any, 0, len(n.items))}
		nested := 0 // items of nested array constructors, for the size budget
		for _, it := range n.items {
			v, err := ev.eval(it, input, env)
			if err != nil {
				return nil, err
			}
			if v == nil {
				continue
			}
			if it.typ == "unary" && it.op == "[" {
				if a, ok := v.(*array); ok && ev.maxBytes > 0 {
					nested += len(a.items)
					if err := ev.capItems(len(out.items)+nested, n.pos); err != nil {
						return nil, err
					}
				}
				out.items = append(out.items, v)
			} else if a, ok := v.(*array); ok {
				if err := ev.capItems(len(out.items)+len(a.items), n.pos); err != nil {
					return nil, err
				}
				out.items = append(out.items, a.items...)
			} else {
				out.items = append(out.items, v)
			}
		}
		if n.consarray {
			out.cons = true
		}
		return out, nil
	case "{":
		return ev.evalGroup(n, input, env)
	}
	return nil, &Error{Code: "S0204", Position: n.pos, Token: n.op, Message: "Unknown operator: " + n.op}
}

func (ev *evaluator) evalSort(n *node, input any, env *frame) (any, error) {
	var items []any
	isTuples := false
	if a, ok := input.(*array); ok {
		items = a.items
		isTuples = a.tuples
	} else if input != nil {
		items = []any{input}
	}
	var sortErr error
	greater := func(a, b any) bool {
		if sortErr != nil {
			return false
		}
		comp := 0
		for _, term := range n.terms {
			actx, bctx, aenv, benv := a, b, env, env
			if isTuples {
				actx = a.(*tuple).vals["@"]
				bctx = b.(*tuple).vals["@"]
				aenv = frameFromTuple(env, a.(*tuple))
				benv = frameFromTuple(env, b.(*tuple))
			}
			av, err := ev.eval(term.expr, actx, aenv)
			if err != nil {
				sortErr = err
				return false
			}
			bv, err := ev.eval(term.expr, bctx, benv)
			if err != nil {
				sortErr = err
				return false
			}
			if av == nil && bv == nil {
				continue
			}
			if av == nil {
				comp = 1
				break
			}
			if bv == nil {
				comp = -1
				break
			}
			aok := isNumber(av) || isString(av)
			bok := isNumber(bv) || isString(bv)
			if !aok || !bok {
				v := av
				if aok {
					v = bv
				}
				sortErr = &Error{Code: "T2008", Position: n.pos, Value: v, Message: "The expressions within an order-by clause must evaluate to numeric or string values"}
				return false
			}
			if typeName(av) != typeName(bv) {
				sortErr = &Error{Code: "T2007", Position: n.pos, Value: av, Message: "Type mismatch when comparing values " + previewValue(av) + " and " + previewValue(bv) + " in order-by clause"}
				return false
			}
			if deepEqual(av, bv) {
				continue
			}
			if s, ok := av.(string); ok {
				comp = compareStrings(s, bv.(string))
			} else if av.(float64) < bv.(float64) {
				comp = -1
			} else {
				comp = 1
			}
			if term.desc {
				comp = -comp
			}
			break
		}
		return comp == 1
	}
	sorted := mergeSort(items, greater)
	if sortErr != nil {
		return nil, sortErr
	}
	return &array{items: sorted, seq: true, tuples: isTuples}, nil
}

// mergeSort is a stable sort; greater(a, b) reports that a must come
// after b.
func mergeSort(items []any, greater func(a, b any) bool) []any {
	if len(items) <= 1 {
		return append([]any(nil), items...)
	}
	mid := len(items) / 2
	left := mergeSort(items[:mid], greater)
	right := mergeSort(items[mid:], greater)
	out := make([]any, 0, len(items))
	i, j := 0, 0
	for i < len(left) && j < len(right) {
		if greater(left[i], right[j]) {
			out = append(out, right[j])
			j++
		} else {
			out = append(out, left[i])
			i++
		}
	}
	out = append(out, left[i:]...)
	return append(out, right[j:]...)
}

// strictEqual is JavaScript's ===: values for primitives, identity for
// objects and arrays.
func strictEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer()
	case *object, *array, *function, *regex:
		return a == b
	}
	if isObject(b) || isArray(b) {
		return false
	}
	return deepEqual(a, b)
}
