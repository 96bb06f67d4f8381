package intrinsic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/statemachine/internal/jsonvalue"
	"github.com/stepwise-dev/stepwise/statemachine/jsonpath"
)

// Resolver looks up the value a path argument selects. [jsonpath.Docs]
// implements it for the usual input / context object / variables triple.
type Resolver interface {
	Resolve(p *jsonpath.Path) (any, error)
}

// Options carries the sources of chance for States.MathRandom and
// States.UUID. The zero value uses math/rand/v2 and crypto/rand.
type Options struct {
	// Rand returns a number in [0, 1); nil uses math/rand/v2. It is used by
	// States.MathRandom calls without a seed.
	Rand func() float64
	// UUID returns a new version 4 UUID; nil uses crypto/rand.
	UUID func() string
}

// Limits from the AWS documentation.
const (
	maxRangeItems  = 1000
	maxEncodeChars = 10000
	maxHashChars   = 10000
)

// maxResultBytes bounds the strings States.JsonToString and States.Format
// build: 256 KiB, the payload limit, which no state output can pass. An
// expression can otherwise multiply its input (States.Array($.big, $.big,
// ...) printed) into gigabytes.
const maxResultBytes = 256 * 1024

// sizeOver reports whether v printed as JSON would be longer than limit
// bytes; it stops counting as soon as it is, so its cost is bounded by
// limit, not by the size of v.
func sizeOver(v any, limit int) bool {
	n := 0
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case string:
			n += len(x) + 2
		case []any:
			n += 2
			for _, it := range x {
				if walk(it) {
					return true
				}
				n++
			}
		case map[string]any:
			n += 2
			for k, it := range x {
				n += len(k) + 4
				if walk(it) {
					return true
				}
			}
		default:
			n += 8
		}
		return n > limit
	}
	return walk(v)
}

// uniqueKey writes a key of v such that two values have the same key
// exactly when jsonvalue.Equal says they are equal: numbers by value (1 and 1.0,
// 0 and -0 alike), objects with sorted member names.
func uniqueKey(b *strings.Builder, v any) {
	if f, ok := jsonvalue.Number(v); ok {
		if f == 0 {
			f = 0 // -0 and 0 are equal
		}
		b.WriteByte('n')
		b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		return
	}
	switch x := v.(type) {
	case string:
		b.WriteByte('s')
		b.WriteString(strconv.Quote(x))
	case []any:
		b.WriteByte('[')
		for _, it := range x {
			uniqueKey(b, it)
			b.WriteByte(',')
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for _, k := range jsonvalue.SortedKeys(x) {
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			uniqueKey(b, x[k])
			b.WriteByte(',')
		}
		b.WriteByte('}')
	default:
		fmt.Fprintf(b, "%T:%v", v, v)
	}
}

// noOptions is the zero Options that Eval uses when given none.
var noOptions Options

// Eval evaluates the call. Path arguments are resolved through r (which may
// be nil when the expression has no path arguments); opts may be nil.
// Argument type and value errors are [*Error] values naming the function;
// resolver errors come back wrapped in an [*Error] that unwraps to them.
func (e *Expr) Eval(r Resolver, opts *Options) (any, error) {
	if opts == nil {
		opts = &noOptions
	}
	args := make([]any, len(e.args))
	for i, a := range e.args {
		switch a.Kind {
		case ArgPath:
			if r == nil {
				return nil, e.fail("no resolver for path argument %s", a.Path)
			}
			v, err := r.Resolve(a.Path)
			if err != nil {
				return nil, &Error{Expr: e.src, Offset: a.Offset, Func: e.name, Message: err.Error(), err: err}
			}
			args[i] = v
		case ArgCall:
			v, err := a.Call.Eval(r, opts)
			if err != nil {
				return nil, err
			}
			args[i] = v
		default:
			args[i] = a.Value
		}
	}
	// The table's functions get a copy of *opts: they are called
	// indirectly, so escape analysis would otherwise move the caller's
	// Options to the heap on every call.
	return e.call(args, *opts)
}

func (e *Expr) fail(format string, a ...any) *Error {
	return &Error{Expr: e.src, Offset: e.offset, Func: e.name, Message: fmt.Sprintf(format, a...)}
}

func (e *Expr) call(args []any, opts Options) (any, error) {
	if e.fn == nil {
		return nil, e.fail("unknown function")
	}
	return e.fn.call(e, args, opts)
}

// format implements States.Format: "{}" placeholders take the arguments in
// order; "\{" and "\}" are literal braces.
func (e *Expr) format(args []any, _ Options) (any, error) {
	var tmpl string
	if e.args[0].Kind == ArgString {
		tmpl = e.args[0].Raw
	} else {
		s, ok := args[0].(string)
		if !ok {
			return nil, e.fail("the template (argument 1) must be a string, got %s", typeOf(args[0]))
		}
		tmpl = s
	}
	var b strings.Builder
	next := 1
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		switch {
		case c == '\\' && i+1 < len(tmpl):
			b.WriteByte(tmpl[i+1])
			i++
		case c == '{' && i+1 < len(tmpl) && tmpl[i+1] == '}':
			if next >= len(args) {
				return nil, e.fail("the template has more placeholders than the %d arguments given", len(args)-1)
			}
			// Objects and arrays are accepted and printed the way Java's
			// Map and List toString do.
			if sizeOver(args[next], maxResultBytes-b.Len()) {
				return nil, e.fail("the result would be longer than %d bytes (the payload limit)", maxResultBytes)
			}
			b.WriteString(javaString(args[next]))
			next++
			i++
		default:
			b.WriteByte(c)
		}
	}
	if next != len(args) {
		return nil, e.fail("the template has %d placeholders but %d arguments were given", next-1, len(args)-1)
	}
	return b.String(), nil
}

func (e *Expr) str(args []any, i int) (string, error) {
	s, ok := args[i].(string)
	if !ok {
		return "", e.fail("argument %d must be a string, got %s", i+1, typeOf(args[i]))
	}
	return s, nil
}

func (e *Expr) array(args []any, i int) ([]any, error) {
	a, ok := args[i].([]any)
	if !ok {
		return nil, e.fail("argument %d must be an array, got %s", i+1, typeOf(args[i]))
	}
	return a, nil
}

func (e *Expr) integer(args []any, i int) (int64, error) {
	f, ok := jsonvalue.Number(args[i])
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, e.fail("argument %d must be an integer, got %s", i+1, typeOf(args[i]))
	}
	return int64(f), nil
}

func (e *Expr) truncated(args []any, i int) (int64, error) {
	f, ok := jsonvalue.Number(args[i])
	if !ok || math.Abs(f) > 1<<53 {
		return 0, e.fail("argument %d must be a number, got %s", i+1, typeOf(args[i]))
	}
	return int64(f), nil
}

func num(f any) string {
	switch x := f.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return fmt.Sprint(f)
}

// typeOf describes v for messages as its JSON type and a short preview, e.g.
// `string ("abc")`.
func typeOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string (" + preview(v) + ")"
	case bool:
		return "boolean (" + preview(v) + ")"
	case []any:
		return "array (" + preview(v) + ")"
	case map[string]any:
		return "object (" + preview(v) + ")"
	}
	if _, ok := jsonvalue.Number(v); ok {
		return "number (" + preview(v) + ")"
	}
	return fmt.Sprintf("%T", v)
}

func preview(v any) string {
	s := marshal(v)
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// marshal writes v as compact JSON without HTML escaping, as AWS does.
func marshal(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// javaString renders v as Java's String.valueOf would for the value AWS
// holds: strings unquoted, maps as {k=v, ...}, lists as [a, b].
func javaString(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = javaString(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := jsonvalue.SortedKeys(x)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + javaString(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case json.Number:
		return x.String()
	}
	if f, ok := jsonvalue.Number(v); ok {
		return javaNumber(f)
	}
	return fmt.Sprint(v)
}

// javaNumber prints a JSON number as AWS (Java) does: integers plainly,
// other values as Double.toString would (1.5, 1.0E-4, 1.2345E8).
func javaNumber(f float64) string {
	a := math.Abs(f)
	switch {
	case f == math.Trunc(f) && a < 1e15:
		return strconv.FormatFloat(f, 'f', -1, 64)
	case a >= 1e-3 && a < 1e7:
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // e.g. 1.2345e+08, 1e-05
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// normalizeZero turns -0 into 0 (AWS prints "-0" parsed as JSON as 0).
func normalizeZero(v any) any {
	switch x := v.(type) {
	case float64:
		if x == 0 {
			return 0.0
		}
	case []any:
		for i := range x {
			x[i] = normalizeZero(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalizeZero(x[k])
		}
	}
	return v
}
