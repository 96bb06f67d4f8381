package eventpattern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
)

// Match reports whether the JSON event matches the pattern. The error is
// non-nil only when event is not valid JSON.
func (p *Pattern) Match(event []byte) (bool, error) {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return false, fmt.Errorf("event pattern: event is not valid JSON: %w", err)
	}
	return p.MatchValue(v), nil
}

// MatchValue reports whether a decoded JSON event (map[string]any as
// encoding/json produces, numbers as float64 or json.Number) matches.
func (p *Pattern) MatchValue(event any) bool {
	obj, ok := event.(map[string]any)
	if !ok {
		return false
	}
	return p.root.match(obj)
}

func (n *objectNode) match(obj map[string]any) bool {
	for _, f := range n.fields {
		v, present := obj[f.name]
		if f.obj != nil {
			if !f.obj.matchValue(v, present) {
				return false
			}
			continue
		}
		if !matchLeaf(f.leaf, v, present) {
			return false
		}
	}
	for _, alts := range n.ors {
		ok := false
		for _, alt := range alts {
			if alt.match(obj) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// matchValue matches a nested pattern object against an event value; an
// array of objects matches when any element does. Like EventBridge, which
// matches flattened field paths, a missing or non-object value has none of
// the nested fields, so only {"exists": false} leaves can match it.
func (n *objectNode) matchValue(v any, present bool) bool {
	if present {
		switch v := v.(type) {
		case map[string]any:
			return n.match(v)
		case []any:
			for _, el := range v {
				if o, ok := el.(map[string]any); ok && n.match(o) {
					return true
				}
			}
		}
	}
	return n.match(emptyObject)
}

var emptyObject = map[string]any{}

// matchLeaf reports whether any matcher accepts the event's value.
func matchLeaf(ms []matcher, v any, present bool) bool {
	for _, m := range ms {
		if e, ok := m.(existsMatcher); ok {
			if bool(e) == (present && isLeaf(v)) {
				return true
			}
			continue
		}
		if !present {
			continue
		}
		switch v := v.(type) {
		case map[string]any:
			// A value list never matches an object.
		case []any:
			for _, el := range v {
				if _, isObj := el.(map[string]any); !isObj && m.match(el) {
					return true
				}
			}
		default:
			if m.match(v) {
				return true
			}
		}
	}
	return false
}

// isLeaf reports whether v is a leaf for "exists": anything but an object
// (an array counts if it holds at least one non-object).
func isLeaf(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		return false
	case []any:
		for _, el := range v {
			if _, ok := el.(map[string]any); !ok {
				return true
			}
		}
		return false
	}
	return true
}

// matcher matches one scalar event value.
type matcher interface {
	match(v any) bool
}

type nullMatcher struct{}

func (nullMatcher) match(v any) bool { return v == nil }

type boolMatcher bool

func (m boolMatcher) match(v any) bool { b, ok := v.(bool); return ok && b == bool(m) }

type stringMatcher string

func (m stringMatcher) match(v any) bool { s, ok := v.(string); return ok && s == string(m) }

type numberMatcher float64

func (m numberMatcher) match(v any) bool { f, ok := number(v); return ok && f == float64(m) }

type ignoreCaseMatcher string // lower-cased

func (m ignoreCaseMatcher) match(v any) bool {
	s, ok := v.(string)
	return ok && strings.ToLower(s) == string(m)
}

type affixMatcher struct {
	suffix, ignoreCase bool
	s                  string // lower-cased when ignoreCase
}

func (m affixMatcher) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	if m.ignoreCase {
		s = strings.ToLower(s)
	}
	if m.suffix {
		return strings.HasSuffix(s, m.s)
	}
	return strings.HasPrefix(s, m.s)
}

// wildcardMatcher matches literal parts separated by "*".
type wildcardMatcher struct {
	parts []string
}

func (m wildcardMatcher) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	if len(m.parts) == 1 {
		return s == m.parts[0]
	}
	first, last := m.parts[0], m.parts[len(m.parts)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, p := range m.parts[1 : len(m.parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}

// anythingBut matches any value that none of inner matches.
type anythingBut struct {
	inner []matcher
}

func (m anythingBut) match(v any) bool {
	for _, in := range m.inner {
		if in.match(v) {
			return false
		}
	}
	return true
}

type numericMatcher struct {
	lo, hi         float64
	loIncl, hiIncl bool
}

func (m numericMatcher) match(v any) bool {
	f, ok := number(v)
	if !ok {
		return false
	}
	if f < m.lo || (f == m.lo && !m.loIncl) {
		return false
	}
	if f > m.hi || (f == m.hi && !m.hiIncl) {
		return false
	}
	return true
}

type existsMatcher bool

func (existsMatcher) match(any) bool { return false } // handled in matchLeaf

type cidrMatcher struct{ prefix netip.Prefix }

func (m cidrMatcher) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	addr, err := netip.ParseAddr(s)
	return err == nil && m.prefix.Contains(addr.Unmap())
}

func number(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	}
	return 0, false
}
