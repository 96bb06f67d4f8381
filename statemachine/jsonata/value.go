package jsonata

import (
	"encoding/json"
	"math"
	"sort"
)

// Internal values. Undefined is Go nil; JSON null is [null]. Numbers are
// float64, strings string, booleans bool. Objects are either map[string]any
// straight from the caller (read-only, keys iterated sorted, values
// converted on read by [wrap]) or *object (insertion-ordered). Arrays are
// always *array; functions are *function; regex literals *regex.

type nullType struct{}

// null is JSON null inside the evaluator.
var null = nullType{}

type object struct {
	keys []string
	vals map[string]any
}

func newObject(n int) *object {
	return &object{keys: make([]string, 0, n), vals: make(map[string]any, n)}
}

func (o *object) set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *object) del(k string) {
	if _, ok := o.vals[k]; !ok {
		return
	}
	delete(o.vals, k)
	for i, kk := range o.keys {
		if kk == k {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
}

// array is a JSONata array or sequence.
type array struct {
	items []any
	// seq marks a sequence (a result stream) rather than a JSON array:
	// sequences collapse to their single item and vanish when empty.
	seq bool
	// keep marks a sequence that keeps a singleton as an array ([]).
	keep bool
	// cons marks an array built by an array constructor at a path end,
	// which path steps must not flatten.
	cons bool
	// outer marks the wrapper around an array given as top-level input.
	outer bool
	// tuples marks a tuple stream (items are *tuple).
	tuples bool
}

func newSeq(items ...any) *array { return &array{items: items, seq: true} }

// wrap converts a caller-supplied JSON value to the internal form. Maps stay
// as they are (their values are wrapped on read).
func wrap(v any) any {
	switch x := v.(type) {
	case nil:
		return null
	case []any:
		if sharable(x) {
			// The evaluator never writes into an array's items, so a
			// caller's slice that needs no conversion is used in place.
			return &array{items: x}
		}
		items := make([]any, len(x))
		for i, it := range x {
			items[i] = wrap(it)
		}
		return &array{items: items}
	case float64, string, bool, map[string]any, *object, *array, *function, *regex, nullType:
		return v
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case uint64:
		return float64(x)
	case float32:
		return float64(x)
	case json.Number:
		f, _ := x.Float64()
		return f
	case undefinedInput:
		return nil
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return m
	}
	// Anything else goes through encoding/json.
	b, err := json.Marshal(v)
	if err != nil {
		return null
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return null
	}
	return wrap(out)
}

// export converts an internal value to plain JSON values.
func export(v any) any {
	switch x := v.(type) {
	case float64:
		// JSON has no Infinity or NaN; JSON.stringify writes null.
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil
		}
		return x
	case nullType:
		return nil
	case *array:
		out := make([]any, 0, len(x.items))
		for _, it := range x.items {
			if it == nil {
				continue
			}
			if isFunc(it) {
				out = append(out, nil)
				continue
			}
			out = append(out, export(it))
		}
		return out
	case *object:
		out := make(map[string]any, len(x.keys))
		for _, k := range x.keys {
			it := x.vals[k]
			if it == nil || isFunc(it) {
				continue
			}
			out[k] = export(it)
		}
		return out
	case *function, *regex:
		return nil
	case *tuple:
		return export(x.vals["@"])
	}
	return v
}

func isFunc(v any) bool {
	switch v.(type) {
	case *function, *regex:
		return true
	}
	return false
}

func isObject(v any) bool {
	switch v.(type) {
	case *object, map[string]any:
		return true
	}
	return false
}

func isArray(v any) bool { _, ok := v.(*array); return ok }

func isNumber(v any) bool {
	f, ok := v.(float64)
	return ok && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// objGet reads key from an object; ok is false when absent.
func objGet(o any, k string) (any, bool) {
	switch x := o.(type) {
	case *object:
		v, ok := x.vals[k]
		return v, ok
	case map[string]any:
		v, ok := x[k]
		if !ok {
			return nil, false
		}
		return wrap(v), true
	}
	return nil, false
}

// objKeys returns the keys of an object in iteration order.
func objKeys(o any) []string {
	switch x := o.(type) {
	case *object:
		return x.keys
	case map[string]any:
		ks := make([]string, 0, len(x))
		for k := range x {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	return nil
}

func objLen(o any) int {
	switch x := o.(type) {
	case *object:
		return len(x.keys)
	case map[string]any:
		return len(x)
	}
	return 0
}

// toArray returns v as items: arrays give their items, undefined nothing,
// anything else itself.
func toItems(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case *array:
		return x.items
	}
	return []any{v}
}

// typeName gives the JSONata $type of v.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return ""
	case nullType:
		return "null"
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "boolean"
	case *array:
		return "array"
	case *function, *regex:
		return "function"
	}
	return "object"
}

// deepEqual is JSONata's equality.
func deepEqual(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nullType:
		_, ok := b.(nullType)
		return ok
	case *array:
		y, ok := b.(*array)
		if !ok || len(x.items) != len(y.items) {
			return false
		}
		for i := range x.items {
			if !deepEqual(x.items[i], y.items[i]) {
				return false
			}
		}
		return true
	case *object, map[string]any:
		if !isObject(b) || objLen(a) != objLen(b) {
			return false
		}
		for _, k := range objKeys(a) {
			av, _ := objGet(a, k)
			bv, ok := objGet(b, k)
			if !ok || !deepEqual(av, bv) {
				return false
			}
		}
		return true
	case *function:
		return a == b
	case *regex:
		return a == b
	}
	return a == nil && b == nil
}

// sharable reports whether every element of a caller's slice is already in
// internal form (numbers, strings, booleans, objects).
func sharable(x []any) bool {
	for _, it := range x {
		switch it.(type) {
		case float64, string, bool, map[string]any:
		default:
			return false
		}
	}
	return true
}
