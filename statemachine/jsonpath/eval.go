package jsonpath

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/stepwise-dev/stepwise/statemachine/internal/jsonvalue"
)

// Get evaluates the path against doc, the document of the path's root (the
// caller picks it: the input for [RootInput], the context object for
// [RootContext], the variable's value for [RootVariable]).
//
// A [Path.Definite] path returns the selected value itself, or an [*Error]
// matching [ErrNotFound] when nothing is selected. An indefinite path returns
// []any with every match in order (possibly empty) and fails only when the
// path is malformed for the document in a way Jayway reports. A trailing
// function (length(), sum(), ...) is applied to the selected value or list;
// numbers it returns are float64.
func (p *Path) Get(doc any) (any, error) { return p.get(doc, nil) }

// MaxSteps bounds the work of one [Path.GetContext]: the values visited,
// filter tests included. A path over a 256 KiB document visits at most a
// few hundred thousand values unless its filters evaluate paths of their
// own over the whole document ($..[?($..x)]) or it chains deep scans
// ($..*..*..*), which can take hours; past the bound such a path fails with
// an [*Error] matching [ErrLimit].
const MaxSteps = 10_000_000

// stepLimit is MaxSteps; tests lower it.
var stepLimit int64 = MaxSteps

// GetContext is [Path.Get] bounded by [MaxSteps] and stopped when ctx is
// done, with an error wrapping context.Cause(ctx).
func (p *Path) GetContext(ctx context.Context, doc any) (any, error) {
	if p.simple {
		if v, ok := p.fastGet(doc); ok {
			return p.applyFn(v)
		}
	}
	b := &budget{ctx: ctx, max: stepLimit, path: p.src}
	v, err := p.get(doc, b)
	if b.stopped != nil {
		return nil, b.stopped
	}
	return v, err
}

// budget is the work account of one GetContext, shared with the paths its
// filters evaluate.
type budget struct {
	ctx     context.Context
	steps   int64
	max     int64
	path    string
	stopped error // the context's cause, once seen
	err     *Error
}

// checkEvery is the number of steps between two looks at the context, less
// one (a power of two less one).
const checkEvery = 1<<10 - 1

// spend counts one step and reports whether evaluation must stop.
func (b *budget) spend() bool {
	if b.err != nil {
		return true
	}
	b.steps++
	if b.steps&checkEvery != 0 {
		return false
	}
	if err := b.ctx.Err(); err != nil {
		b.stopped = fmt.Errorf("jsonpath: evaluation of %s stopped: %w", b.path, context.Cause(b.ctx))
		b.err = &Error{Path: b.path, Offset: -1, Reason: "evaluation stopped", kind: kindLimit}
		return true
	}
	if b.max > 0 && b.steps > b.max {
		b.err = &Error{Path: b.path, Offset: -1, kind: kindLimit,
			Reason: fmt.Sprintf("The path does more than %d steps of work on this input; narrow its filters or deep scans (..)", b.max)}
		return true
	}
	return false
}

func (p *Path) get(doc any, b *budget) (any, error) {
	if p.simple {
		if v, ok := p.fastGet(doc); ok {
			return p.applyFn(v)
		}
		// Fall through: the full evaluator produces Jayway's error message.
	}
	ev := evaluator{p: p, root: doc, b: b}
	ev.walk(0, doc, true)
	if b != nil && b.err != nil {
		return nil, b.err
	}
	if ev.err != nil {
		return nil, ev.err
	}
	if p.definite {
		if len(ev.out) == 0 {
			return nil, ev.notFound("No results for path: " + p.Canonical())
		}
		return p.applyFn(ev.out[0])
	}
	if ev.out == nil {
		ev.out = []any{}
	}
	return p.applyFn(ev.out)
}

// fastGet follows a path of single names and indexes without allocating.
func (p *Path) fastGet(v any) (any, bool) {
	for i := range p.segs {
		s := &p.segs[i]
		if s.kind == segName {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[s.names[0]]; !ok {
				return nil, false
			}
			continue
		}
		a, ok := v.([]any)
		if !ok {
			return nil, false
		}
		n := s.indexes[0]
		if n < 0 {
			n += len(a)
		}
		if n < 0 || n >= len(a) {
			return nil, false
		}
		v = a[n]
	}
	return v, true
}

// applyFn applies the trailing function, as Jayway's path functions do:
// length() and size() count array items or object members (nil for other
// values); min(), max(), avg(), sum() and stddev() aggregate the numbers of an
// array (or of the list of matches); keys() lists an object's member names
// (sorted); first() and last() pick an array's end items.
func (p *Path) applyFn(v any) (any, error) {
	switch p.fn {
	case "":
		return v, nil
	case "length", "size":
		switch x := v.(type) {
		case []any:
			return float64(len(x)), nil
		case map[string]any:
			return float64(len(x)), nil
		}
		return nil, nil
	case "keys":
		if m, ok := v.(map[string]any); ok {
			keys := jsonvalue.SortedKeys(m)
			out := make([]any, len(keys))
			for i, k := range keys {
				out[i] = k
			}
			return out, nil
		}
		return nil, nil
	case "first", "last":
		a, ok := v.([]any)
		if !ok || len(a) == 0 {
			return nil, &Error{Path: p.src, Offset: -1, Reason: "Function " + p.fn + "() needs a non-empty array", kind: kindNotFound}
		}
		if p.fn == "first" {
			return a[0], nil
		}
		return a[len(a)-1], nil
	}
	a, _ := v.([]any)
	var nums []float64
	for _, e := range a {
		if f, ok := jsonvalue.Number(e); ok {
			nums = append(nums, f)
		}
	}
	if len(nums) == 0 {
		return nil, &Error{Path: p.src, Offset: -1, Reason: "Aggregation function attempted to calculate value using empty array", kind: kindNotFound}
	}
	sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	for _, f := range nums {
		sum += f
		lo, hi = math.Min(lo, f), math.Max(hi, f)
	}
	mean := sum / float64(len(nums))
	switch p.fn {
	case "min":
		return lo, nil
	case "max":
		return hi, nil
	case "sum":
		return sum, nil
	case "avg":
		return mean, nil
	}
	var sq float64
	for _, f := range nums {
		sq += (f - mean) * (f - mean)
	}
	return math.Sqrt(sq / float64(len(nums))), nil // stddev
}

type evaluator struct {
	p    *Path
	root any
	out  []any
	err  *Error
	b    *budget // nil: unbounded
}

func (ev *evaluator) notFound(reason string) *Error {
	return &Error{Path: ev.p.src, Offset: -1, Reason: reason, kind: kindNotFound}
}

// prefix renders the canonical form of the first n segments, which is what
// Jayway prints as the "current path" in errors on definite paths.
func (ev *evaluator) prefix(n int) string {
	var b strings.Builder
	b.WriteString("$")
	for _, s := range ev.p.segs[:n] {
		s.writeCanonical(&b)
	}
	return b.String()
}

// walk applies segment i to v. upDef reports whether every segment before i
// is definite: only then do missing properties and type mismatches raise
// errors instead of being skipped, as in Jayway.
func (ev *evaluator) walk(i int, v any, upDef bool) {
	if ev.err != nil {
		return
	}
	if ev.b != nil && ev.b.spend() {
		ev.err = ev.b.err
		return
	}
	if i == len(ev.p.segs) {
		ev.out = append(ev.out, v)
		return
	}
	s := &ev.p.segs[i]
	last := i == len(ev.p.segs)-1
	nextDef := upDef && s.definite(last)
	switch s.kind {
	case segName:
		m, ok := v.(map[string]any)
		if !ok {
			if upDef {
				ev.err = ev.notFound(fmt.Sprintf("Expected to find an object with property %s in path %s but found '%s'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.", fragment(s), ev.prefix(i), javaClass(v)))
			}
			return
		}
		if len(s.names) > 1 && last {
			merged := make(map[string]any, len(s.names))
			for _, n := range s.names {
				if x, ok := m[n]; ok {
					merged[n] = x
				}
			}
			ev.out = append(ev.out, merged)
			return
		}
		for _, n := range s.names {
			x, ok := m[n]
			if !ok {
				if !last && upDef && s.definite(last) {
					ev.err = ev.notFound("Missing property in path " + ev.prefix(i+1))
					return
				}
				continue
			}
			ev.walk(i+1, x, nextDef)
		}
	case segWildcard:
		switch x := v.(type) {
		case map[string]any:
			for _, k := range jsonvalue.SortedKeys(x) {
				ev.walk(i+1, x[k], false)
			}
		case []any:
			for _, e := range x {
				ev.walk(i+1, e, false)
			}
		}
	case segIndex:
		a, ok := ev.checkArray(i, v, upDef)
		if !ok {
			return
		}
		for _, n := range s.indexes {
			if n < 0 {
				n += len(a)
			}
			if n < 0 || n >= len(a) {
				continue
			}
			ev.walk(i+1, a[n], nextDef)
		}
	case segSlice:
		a, ok := ev.checkArray(i, v, upDef)
		if !ok {
			return
		}
		from, to := sliceBounds(s, len(a))
		for n := from; n < to; n++ {
			idx := n
			if idx < 0 {
				idx += len(a)
			}
			if idx < 0 || idx >= len(a) {
				continue
			}
			ev.walk(i+1, a[idx], false)
		}
	case segFilter:
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if s.filter.test(e, ev.root, ev.b) {
					ev.walk(i+1, e, false)
				}
			}
		case map[string]any:
			if s.filter.test(x, ev.root, ev.b) {
				ev.walk(i+1, x, false)
			}
		default:
			if upDef {
				ev.err = ev.notFound(fmt.Sprintf("Filter: [?] can not be applied to primitives. Current context is: %s", preview(v)))
			}
		}
	case segScan:
		ev.scan(i, v)
	}
}

// scan visits v and every value below it (pre-order) and applies the scanned
// segment wherever it can apply, continuing with segment i+1 on each hit.
func (ev *evaluator) scan(i int, v any) {
	if ev.err != nil {
		return
	}
	if ev.b != nil && ev.b.spend() {
		ev.err = ev.b.err
		return
	}
	s := ev.p.segs[i].next
	switch x := v.(type) {
	case map[string]any:
		switch s.kind {
		case segName:
			if len(s.names) > 1 && i == len(ev.p.segs)-1 {
				// Jayway's scan merges only objects that have every name.
				merged := map[string]any{}
				for _, n := range s.names {
					if e, ok := x[n]; ok {
						merged[n] = e
					}
				}
				if len(merged) == len(s.names) {
					ev.out = append(ev.out, merged)
				}
			} else {
				for _, n := range s.names {
					if e, ok := x[n]; ok {
						ev.walk(i+1, e, false)
					}
				}
			}
		case segWildcard:
			for _, k := range jsonvalue.SortedKeys(x) {
				ev.walk(i+1, x[k], false)
			}
		case segFilter:
			if s.filter.test(x, ev.root, ev.b) {
				ev.walk(i+1, x, false)
			}
		}
		for _, k := range jsonvalue.SortedKeys(x) {
			switch x[k].(type) {
			case map[string]any, []any:
				ev.scan(i, x[k])
			}
		}
	case []any:
		switch s.kind {
		case segWildcard:
			for _, e := range x {
				ev.walk(i+1, e, false)
			}
		case segIndex:
			for _, n := range s.indexes {
				if n < 0 {
					n += len(x)
				}
				if n >= 0 && n < len(x) {
					ev.walk(i+1, x[n], false)
				}
			}
		case segSlice:
			from, to := sliceBounds(s, len(x))
			for n := from; n < to; n++ {
				if n >= 0 && n < len(x) {
					ev.walk(i+1, x[n], false)
				}
			}
		case segFilter:
			for _, e := range x {
				if s.filter.test(e, ev.root, ev.b) {
					ev.walk(i+1, e, false)
				}
			}
		}
		for _, e := range x {
			switch e.(type) {
			case map[string]any, []any:
				ev.scan(i, e)
			}
		}
	}
}

func (ev *evaluator) checkArray(i int, v any, upDef bool) ([]any, bool) {
	a, ok := v.([]any)
	if ok {
		return a, true
	}
	if upDef {
		if v == nil {
			ev.err = ev.notFound("The path " + ev.prefix(i) + " is null")
		} else {
			var b strings.Builder
			ev.p.segs[i].writeCanonical(&b)
			ev.err = ev.notFound(fmt.Sprintf("Filter: %s can only be applied to arrays. Current context is: %s", b.String(), preview(v)))
		}
	}
	return nil, false
}

// sliceBounds follows Jayway's ArraySliceOperation: [from:] and [:to] accept
// negative bounds relative to the length; [from:to] clamps to at the length.
func sliceBounds(s *segment, n int) (from, to int) {
	switch {
	case s.hasFrom && !s.hasTo:
		from = s.from
		if from < 0 {
			from += n
		}
		return max(0, from), n
	case !s.hasFrom && s.hasTo:
		to = s.to
		if to < 0 {
			to += n
		}
		return 0, min(n, to)
	default:
		return s.from, min(n, s.to)
	}
}

func fragment(s *segment) string {
	var b strings.Builder
	s.writeCanonical(&b)
	return b.String()
}

// javaClass names the Java class Jayway (json-smart) would report for v.
func javaClass(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "java.lang.String"
	case bool:
		return "java.lang.Boolean"
	case []any:
		return "net.minidev.json.JSONArray"
	case float64:
		if x == float64(int64(x)) && x >= -2147483648 && x <= 2147483647 {
			return "java.lang.Integer"
		}
		return "java.lang.Double"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "java.lang.Integer"
		}
		return "java.lang.Double"
	}
	return "java.lang.Object"
}

func preview(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}
