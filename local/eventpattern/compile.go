// Package eventpattern implements Amazon EventBridge event patterns:
// compiling a pattern document once and matching JSON events against it,
// following the rules AWS documents for content filtering.
//
// Supported: exact values (strings, numbers, booleans, null), nested
// objects, arrays in events (a leaf matches when any element matches),
// "prefix" and "suffix" (optionally {"equals-ignore-case": ...}),
// "equals-ignore-case", "wildcard", "anything-but" (a value, a list of
// values, or {"prefix"|"suffix"|"equals-ignore-case"|"wildcard": ...}),
// "numeric" ranges, "exists", "cidr" and "$or".
//
// It is what the local S3 trigger uses to decide whether an S3 "Object
// Created" event starts an execution; it is not an EventBridge emulator
// (no buses, rules API, retries or input transformers).
package eventpattern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Pattern is a compiled event pattern. It is immutable and safe to reuse
// from goroutines.
type Pattern struct {
	root *objectNode
}

// Error reports an invalid pattern. Pointer is the JSON pointer (RFC 6901)
// of the offending part of the pattern.
type Error struct {
	Pointer string
	Msg     string
}

// Error implements error.
func (e *Error) Error() string {
	p := e.Pointer
	if p == "" {
		p = "/"
	}
	return "event pattern: at " + p + ": " + e.Msg
}

type objectNode struct {
	fields []fieldNode     // sorted by name
	ors    [][]*objectNode // every $or group needs one matching alternative
}

type fieldNode struct {
	name string
	obj  *objectNode // nested pattern object, or
	leaf []matcher   // a list of values and operators (any may match)
}

// Compile parses and checks an event pattern document.
func Compile(pattern []byte) (*Pattern, error) {
	dec := json.NewDecoder(bytes.NewReader(pattern))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &Error{Msg: "invalid JSON: " + err.Error()}
	}
	if dec.More() {
		return nil, &Error{Msg: "invalid JSON: data after the pattern object"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &Error{Msg: "a pattern must be a JSON object, got " + describe(v)}
	}
	root, err := compileObject(obj, "")
	if err != nil {
		return nil, err
	}
	return &Pattern{root: root}, nil
}

// MustCompile is like [Compile] but panics on error. It is meant for
// patterns written in the program itself.
func MustCompile(pattern string) *Pattern {
	p, err := Compile([]byte(pattern))
	if err != nil {
		panic(err)
	}
	return p
}

func compileObject(obj map[string]any, ptr string) (*objectNode, error) {
	n := &objectNode{}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		v := obj[name]
		p := ptr + "/" + escapePointer(name)
		if name == "$or" {
			alts, err := compileOr(v, p)
			if err != nil {
				return nil, err
			}
			n.ors = append(n.ors, alts)
			continue
		}
		switch v := v.(type) {
		case map[string]any:
			sub, err := compileObject(v, p)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, fieldNode{name: name, obj: sub})
		case []any:
			if len(v) == 0 {
				return nil, &Error{Pointer: p, Msg: "empty arrays are not allowed: list at least one value"}
			}
			f := fieldNode{name: name}
			for i, el := range v {
				m, err := compileMatcher(el, p+"/"+strconv.Itoa(i))
				if err != nil {
					return nil, err
				}
				f.leaf = append(f.leaf, m)
			}
			n.fields = append(n.fields, f)
		default:
			return nil, &Error{Pointer: p, Msg: "match values must be in an array (for example [" + preview(v) + "]) or an object, got " + describe(v)}
		}
	}
	if len(n.fields) == 0 && len(n.ors) == 0 {
		return nil, &Error{Pointer: ptr, Msg: "empty objects are not allowed"}
	}
	return n, nil
}

func compileOr(v any, ptr string) ([]*objectNode, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) < 2 {
		return nil, &Error{Pointer: ptr, Msg: "$or needs an array of at least two pattern objects, got " + describe(v)}
	}
	alts := make([]*objectNode, 0, len(arr))
	for i, el := range arr {
		p := ptr + "/" + strconv.Itoa(i)
		obj, ok := el.(map[string]any)
		if !ok {
			return nil, &Error{Pointer: p, Msg: "each $or alternative must be a pattern object, got " + describe(el)}
		}
		n, err := compileObject(obj, p)
		if err != nil {
			return nil, err
		}
		alts = append(alts, n)
	}
	return alts, nil
}

// compileMatcher compiles one element of a leaf array: a value or an
// operator object.
func compileMatcher(v any, ptr string) (matcher, error) {
	switch v := v.(type) {
	case nil:
		return nullMatcher{}, nil
	case bool:
		return boolMatcher(v), nil
	case string:
		return stringMatcher(v), nil
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return nil, &Error{Pointer: ptr, Msg: "number " + v.String() + " is out of range"}
		}
		return numberMatcher(f), nil
	case []any:
		return nil, &Error{Pointer: ptr, Msg: "nested arrays are not allowed in a match list"}
	case map[string]any:
		return compileOperator(v, ptr)
	}
	return nil, &Error{Pointer: ptr, Msg: "unexpected " + describe(v)}
}

func compileOperator(obj map[string]any, ptr string) (matcher, error) {
	if len(obj) != 1 {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, strconv.Quote(k))
		}
		sort.Strings(keys)
		return nil, &Error{Pointer: ptr, Msg: "an operator object must have exactly one key, got {" + strings.Join(keys, ",") + "}"}
	}
	for op, arg := range obj {
		p := ptr + "/" + escapePointer(op)
		switch op {
		case "prefix", "suffix":
			return compileAffix(op, arg, p)
		case "equals-ignore-case":
			s, ok := arg.(string)
			if !ok {
				return nil, &Error{Pointer: p, Msg: "equals-ignore-case needs a string, got " + describe(arg)}
			}
			return ignoreCaseMatcher(strings.ToLower(s)), nil
		case "wildcard":
			return compileWildcard(arg, p)
		case "anything-but":
			return compileAnythingBut(arg, p)
		case "numeric":
			return compileNumeric(arg, p)
		case "exists":
			b, ok := arg.(bool)
			if !ok {
				return nil, &Error{Pointer: p, Msg: "exists needs true or false, got " + describe(arg)}
			}
			return existsMatcher(b), nil
		case "cidr":
			s, ok := arg.(string)
			if !ok {
				return nil, &Error{Pointer: p, Msg: "cidr needs a string such as \"10.0.0.0/24\", got " + describe(arg)}
			}
			pfx, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, &Error{Pointer: p, Msg: "invalid cidr " + strconv.Quote(s) + ": " + err.Error()}
			}
			return cidrMatcher{pfx.Masked()}, nil
		default:
			return nil, &Error{Pointer: ptr, Msg: "unknown operator " + strconv.Quote(op) + " (want prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists or cidr)"}
		}
	}
	panic("unreachable")
}

func compileAffix(op string, arg any, ptr string) (matcher, error) {
	ignoreCase := false
	if obj, ok := arg.(map[string]any); ok {
		v, has := obj["equals-ignore-case"]
		if !has || len(obj) != 1 {
			return nil, &Error{Pointer: ptr, Msg: op + " takes a string or {\"equals-ignore-case\": string}"}
		}
		ignoreCase, arg, ptr = true, v, ptr+"/equals-ignore-case"
	}
	s, ok := arg.(string)
	if !ok {
		return nil, &Error{Pointer: ptr, Msg: op + " needs a string, got " + describe(arg)}
	}
	if ignoreCase {
		s = strings.ToLower(s)
	}
	return affixMatcher{suffix: op == "suffix", s: s, ignoreCase: ignoreCase}, nil
}

func compileWildcard(arg any, ptr string) (matcher, error) {
	s, ok := arg.(string)
	if !ok {
		return nil, &Error{Pointer: ptr, Msg: "wildcard needs a string, got " + describe(arg)}
	}
	var parts []string // literal runs between stars
	var cur strings.Builder
	prevStar := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return nil, &Error{Pointer: ptr, Msg: "wildcard " + strconv.Quote(s) + ": a backslash must escape * or \\"}
			}
			i++
			cur.WriteByte(s[i])
			prevStar = false
		case c == '*':
			if prevStar {
				return nil, &Error{Pointer: ptr, Msg: "wildcard " + strconv.Quote(s) + ": consecutive * are not allowed"}
			}
			parts = append(parts, cur.String())
			cur.Reset()
			prevStar = true
		default:
			cur.WriteByte(c)
			prevStar = false
		}
	}
	parts = append(parts, cur.String())
	return wildcardMatcher{parts: parts}, nil
}

func compileAnythingBut(arg any, ptr string) (matcher, error) {
	switch a := arg.(type) {
	case string, json.Number:
		m, err := compileMatcher(a, ptr)
		if err != nil {
			return nil, err
		}
		return anythingBut{inner: []matcher{m}}, nil
	case []any:
		if len(a) == 0 {
			return nil, &Error{Pointer: ptr, Msg: "anything-but needs at least one value"}
		}
		ab := anythingBut{}
		for i, el := range a {
			switch el.(type) {
			case string, json.Number:
			default:
				return nil, &Error{Pointer: ptr + "/" + strconv.Itoa(i), Msg: "anything-but lists may hold only strings and numbers, got " + describe(el)}
			}
			m, err := compileMatcher(el, ptr+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			ab.inner = append(ab.inner, m)
		}
		return ab, nil
	case map[string]any:
		if len(a) != 1 {
			return nil, &Error{Pointer: ptr, Msg: "anything-but takes one of prefix, suffix, equals-ignore-case or wildcard"}
		}
		for op, v := range a {
			p := ptr + "/" + escapePointer(op)
			var inner []matcher
			values, isList := []any{v}, false
			if list, ok := v.([]any); ok {
				values, isList = list, true
				if len(list) == 0 {
					return nil, &Error{Pointer: p, Msg: "anything-but " + op + " needs at least one value"}
				}
			}
			for i, val := range values {
				vp := p
				if isList {
					vp = p + "/" + strconv.Itoa(i)
				}
				var m matcher
				var err error
				switch op {
				case "prefix", "suffix":
					if _, isObj := val.(map[string]any); isObj {
						return nil, &Error{Pointer: vp, Msg: "anything-but " + op + " needs a string, got " + describe(val)}
					}
					m, err = compileAffix(op, val, vp)
				case "equals-ignore-case":
					s, ok := val.(string)
					if !ok {
						return nil, &Error{Pointer: vp, Msg: "anything-but equals-ignore-case needs a string, got " + describe(val)}
					}
					m = ignoreCaseMatcher(strings.ToLower(s))
				case "wildcard":
					m, err = compileWildcard(val, vp)
				default:
					return nil, &Error{Pointer: ptr, Msg: "anything-but does not take " + strconv.Quote(op) + " (want prefix, suffix, equals-ignore-case or wildcard)"}
				}
				if err != nil {
					return nil, err
				}
				inner = append(inner, m)
			}
			return anythingBut{inner: inner}, nil
		}
	}
	return nil, &Error{Pointer: ptr, Msg: "anything-but needs a string, a number, a list of them or an operator object, got " + describe(arg)}
}

func compileNumeric(arg any, ptr string) (matcher, error) {
	arr, ok := arg.([]any)
	if !ok || len(arr) == 0 || len(arr)%2 != 0 || len(arr) > 4 {
		return nil, &Error{Pointer: ptr, Msg: "numeric needs [op, number] or [op, number, op, number] with op one of <, <=, =, >, >=, got " + preview(arg)}
	}
	m := numericMatcher{lo: math.Inf(-1), hi: math.Inf(1)}
	hasLo, hasHi, hasEq := false, false, false
	for i := 0; i < len(arr); i += 2 {
		op, ok := arr[i].(string)
		p := ptr + "/" + strconv.Itoa(i)
		if !ok {
			return nil, &Error{Pointer: p, Msg: "expected a comparison operator (<, <=, =, >, >=), got " + describe(arr[i])}
		}
		num, ok := arr[i+1].(json.Number)
		if !ok {
			return nil, &Error{Pointer: ptr + "/" + strconv.Itoa(i+1), Msg: "expected a number after " + strconv.Quote(op) + ", got " + describe(arr[i+1])}
		}
		f, err := num.Float64()
		if err != nil {
			return nil, &Error{Pointer: ptr + "/" + strconv.Itoa(i+1), Msg: "number out of range"}
		}
		switch op {
		case ">", ">=":
			if hasLo || hasEq {
				return nil, &Error{Pointer: p, Msg: "numeric has more than one lower bound"}
			}
			hasLo, m.lo, m.loIncl = true, f, op == ">="
		case "<", "<=":
			if hasHi || hasEq {
				return nil, &Error{Pointer: p, Msg: "numeric has more than one upper bound"}
			}
			hasHi, m.hi, m.hiIncl = true, f, op == "<="
		case "=":
			if len(arr) != 2 {
				return nil, &Error{Pointer: p, Msg: "numeric \"=\" cannot be combined with a range"}
			}
			hasEq, m.lo, m.hi, m.loIncl, m.hiIncl = true, f, f, true, true
		default:
			return nil, &Error{Pointer: p, Msg: "unknown comparison operator " + strconv.Quote(op) + " (want <, <=, =, >, >=)"}
		}
	}
	if hasLo && hasHi && m.lo > m.hi {
		return nil, &Error{Pointer: ptr, Msg: "numeric range is empty: lower bound is above upper bound"}
	}
	return m, nil
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// describe names a JSON value's type with a short preview, for messages.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean (" + preview(v) + ")"
	case string:
		return "string (" + preview(v) + ")"
	case json.Number, float64:
		return "number (" + preview(v) + ")"
	case []any:
		return "array (" + preview(v) + ")"
	case map[string]any:
		return "object (" + preview(v) + ")"
	}
	return fmt.Sprintf("%T", v)
}

func preview(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(b) > 40 {
		return string(b[:37]) + "..."
	}
	return string(b)
}
