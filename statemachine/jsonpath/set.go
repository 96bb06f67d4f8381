package jsonpath

import (
	"fmt"

	"github.com/stepwise-dev/stepwise/statemachine/internal/jsonvalue"
)

// Set returns a copy of doc with value placed at the path, with AWS
// ResultPath semantics: "$" (or any root-only path) replaces the whole
// document; missing object members along the path are created as empty
// objects; an existing array element can be replaced by index. Only the
// objects and arrays along the path are copied; doc itself is never
// modified, and untouched subtrees are shared with the result.
//
// Set requires a [Path.Reference] path. It fails with an [*Error] matching
// [ErrSet] when a step meets a value that is not an object (for a name) or
// not an array with that index (for an index) — AWS reports that as
// States.ResultPathMatchFailure.
func (p *Path) Set(doc, value any) (any, error) {
	if !p.Reference() {
		return nil, &Error{Path: p.src, Offset: -1, Reason: "ResultPath must be a reference path", kind: kindSet}
	}
	return p.set(0, doc, value)
}

func (p *Path) set(i int, cur, value any) (any, error) {
	if i == len(p.segs) {
		return value, nil
	}
	s := &p.segs[i]
	switch s.kind {
	case segName:
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, p.setError(i, cur)
		}
		name := s.names[0]
		child, exists := m[name]
		if !exists && i+1 < len(p.segs) {
			child = map[string]any{}
		}
		nv, err := p.set(i+1, child, value)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(m)+1)
		for k, v := range m {
			out[k] = v
		}
		out[name] = nv
		return out, nil
	case segIndex:
		a, ok := cur.([]any)
		n := s.indexes[0]
		if !ok || n >= len(a) {
			return nil, p.setError(i, cur)
		}
		nv, err := p.set(i+1, a[n], value)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(a))
		copy(out, a)
		out[n] = nv
		return out, nil
	}
	return nil, p.setError(i, cur)
}

func (p *Path) setError(i int, cur any) *Error {
	var pre Path
	pre.segs = p.segs[:i+1]
	return &Error{
		Path:   p.src,
		Offset: -1,
		Reason: fmt.Sprintf("cannot set %s: the value at %s is %s", pre.Canonical(), (&Path{segs: p.segs[:i]}).Canonical(), typePreview(cur)),
		kind:   kindSet,
	}
}

// typePreview describes v as its JSON type and a short preview, for messages.
func typePreview(v any) string {
	t := "object"
	switch v.(type) {
	case nil:
		return "null"
	case string:
		t = "string"
	case bool:
		t = "boolean"
	case []any:
		t = "array"
	case map[string]any:
		t = "object"
	default:
		if _, ok := jsonvalue.Number(v); ok {
			t = "number"
		}
	}
	return t + " (" + preview(v) + ")"
}
