// Package intrinsic parses and evaluates the 18 States.* intrinsic functions
// of Amazon States Language (JSONPath query language): States.Format,
// States.StringToJson, States.JsonToString, States.Array,
// States.ArrayPartition, States.ArrayContains, States.ArrayRange,
// States.ArrayGetItem, States.ArrayLength, States.ArrayUnique,
// States.Base64Encode, States.Base64Decode, States.Hash, States.JsonMerge,
// States.MathRandom, States.MathAdd, States.StringSplit and States.UUID.
//
// [Parse] compiles an expression once (checking syntax, function names and
// argument counts); [Expr.Eval] evaluates it many times, resolving path
// arguments through a [Resolver] the caller supplies, with AWS's argument
// rules. A parsed [Expr] is immutable and safe to reuse from goroutines.
//
// The package does not decide which fields accept intrinsics, and it does not
// format States.Runtime causes: the engine does both.
package intrinsic

import (
	"sort"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/statemachine/jsonpath"
)

// ArgKind says what an argument is.
type ArgKind int

const (
	// ArgString is a quoted literal, e.g. 'a {}'.
	ArgString ArgKind = iota
	// ArgNumber is a numeric literal, e.g. -1 or 2.5.
	ArgNumber
	// ArgBool is true or false.
	ArgBool
	// ArgNull is null.
	ArgNull
	// ArgPath is a JSONPath ($..., $$..., $var...).
	ArgPath
	// ArgCall is a nested intrinsic call.
	ArgCall
)

// Arg is one argument of a call.
type Arg struct {
	// Kind says which of the other fields is set.
	Kind ArgKind
	// Value is the literal's value (string, float64, bool or nil).
	Value any
	// Raw is the literal text between the quotes of an ArgString, with
	// escapes undecoded; States.Format reads its template from it.
	Raw string
	// Path is the compiled path of an ArgPath.
	Path *jsonpath.Path
	// Call is the nested call of an ArgCall.
	Call *Expr
	// Offset is the byte offset of the argument in the whole expression.
	Offset int
}

// Expr is a parsed intrinsic function call.
type Expr struct {
	src    string
	name   string
	args   []Arg
	offset int
	fn     *function // the definition of name
}

// String returns the call's text as written (for a nested call: its part of
// the expression).
func (e *Expr) String() string { return e.src }

// Name returns the function name, e.g. "States.Format".
func (e *Expr) Name() string { return e.name }

// Args returns the call's arguments. The slice must not be modified.
func (e *Expr) Args() []Arg { return e.args }

// Paths returns every JSONPath argument of the call and its nested calls, in
// order, so that a validator or the engine can inspect them (for example to
// see which roots and variables the expression reads).
func (e *Expr) Paths() []*jsonpath.Path {
	var out []*jsonpath.Path
	for _, a := range e.args {
		switch a.Kind {
		case ArgPath:
			out = append(out, a.Path)
		case ArgCall:
			out = append(out, a.Call.Paths()...)
		}
	}
	return out
}

// IsIntrinsic reports whether s looks like an intrinsic function call (it
// starts with "States." and is therefore not a JSONPath); it does not check
// the syntax.
func IsIntrinsic(s string) bool {
	return strings.HasPrefix(strings.TrimLeft(s, " \t\n\r"), "States.")
}

// Functions returns the names of all supported intrinsic functions, sorted.
func Functions() []string {
	out := make([]string, 0, len(functions))
	for n := range functions {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Parse compiles an intrinsic function call such as
// "States.Format('Hello {}', $.name)". Syntax errors, unknown functions and
// wrong argument counts are [*Error] values with the byte offset of the
// problem.
func Parse(expr string) (*Expr, error) {
	p := &parser{src: expr}
	p.skipSpace()
	e, err := p.parseCall(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() {
		return nil, p.fail(p.pos, "unexpected text after the closing ')'")
	}
	return e, nil
}

// maxDepth bounds nesting; AWS allows 10 nested intrinsics in one field, the
// extra headroom only guards the parser's stack.
const maxDepth = 64

type parser struct {
	src string
	pos int
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) skipSpace() {
	for !p.eof() && strings.IndexByte(" \t\n\r", p.peek()) >= 0 {
		p.pos++
	}
}

func (p *parser) fail(off int, msg string) *Error {
	return &Error{Expr: p.src, Offset: off, Message: msg, syntax: true}
}

func (p *parser) parseCall(depth int) (*Expr, error) {
	if depth > maxDepth {
		return nil, p.fail(p.pos, "intrinsic functions are nested too deeply")
	}
	start := p.pos
	for !p.eof() {
		c := p.peek()
		if c == '.' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
			p.pos++
			continue
		}
		break
	}
	name := p.src[start:p.pos]
	if !strings.HasPrefix(name, "States.") {
		return nil, p.fail(start, "expected an intrinsic function name starting with 'States.'")
	}
	fn, ok := functions[name]
	if !ok {
		return nil, p.fail(start, "unknown intrinsic function '"+name+"'")
	}
	p.skipSpace()
	if p.peek() != '(' {
		return nil, p.fail(p.pos, "expected '(' after '"+name+"'")
	}
	p.pos++
	e := &Expr{name: name, offset: start, fn: fn}
	p.skipSpace()
	if p.peek() == ')' {
		p.pos++
	} else {
		for {
			a, err := p.parseArg(depth)
			if err != nil {
				return nil, err
			}
			e.args = append(e.args, a)
			p.skipSpace()
			if p.peek() == ',' {
				p.pos++
				continue
			}
			if p.peek() == ')' {
				p.pos++
				break
			}
			if p.eof() {
				return nil, p.fail(start, "unclosed '(' of '"+name+"'")
			}
			return nil, p.fail(p.pos, "expected ',' or ')' after an argument")
		}
	}
	e.src = p.src[start:p.pos]
	n := len(e.args)
	if n < fn.min || (fn.max >= 0 && n > fn.max) {
		return nil, p.fail(start, name+" "+arityText(fn.min, fn.max)+", got "+strconv.Itoa(n))
	}
	return e, nil
}

func arityText(lo, hi int) string {
	plural := func(n int) string {
		if n == 1 {
			return "1 argument"
		}
		return strconv.Itoa(n) + " arguments"
	}
	switch {
	case hi < 0:
		return "takes at least " + plural(lo)
	case lo == hi:
		return "takes " + plural(lo)
	}
	return "takes " + strconv.Itoa(lo) + " to " + plural(hi)
}

func (p *parser) parseArg(depth int) (Arg, error) {
	p.skipSpace()
	start := p.pos
	if p.eof() {
		return Arg{}, p.fail(p.pos, "expected an argument")
	}
	c := p.peek()
	switch {
	case c == '\'':
		raw, val, err := p.parseString()
		if err != nil {
			return Arg{}, err
		}
		return Arg{Kind: ArgString, Value: val, Raw: raw, Offset: start}, nil
	case c == '$':
		end := p.pathEnd()
		text := p.src[start:end]
		path, err := jsonpath.Compile(text)
		if err != nil {
			off := start
			if pe, ok := err.(*jsonpath.Error); ok && pe.Offset >= 0 {
				off += pe.Offset
			}
			return Arg{}, &Error{Expr: p.src, Offset: off, Message: "invalid path argument: " + err.Error(), syntax: true, err: err}
		}
		p.pos = end
		return Arg{Kind: ArgPath, Path: path, Offset: start}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		p.pos++
		for !p.eof() && strings.IndexByte("0123456789.eE+-", p.peek()) >= 0 {
			p.pos++
		}
		f, err := strconv.ParseFloat(p.src[start:p.pos], 64)
		if err != nil {
			return Arg{}, p.fail(start, "invalid number '"+p.src[start:p.pos]+"'")
		}
		return Arg{Kind: ArgNumber, Value: f, Offset: start}, nil
	case strings.HasPrefix(p.src[p.pos:], "States."):
		e, err := p.parseCall(depth + 1)
		if err != nil {
			return Arg{}, err
		}
		return Arg{Kind: ArgCall, Call: e, Offset: start}, nil
	}
	for _, w := range []struct {
		s    string
		kind ArgKind
		v    any
	}{{"true", ArgBool, true}, {"false", ArgBool, false}, {"null", ArgNull, nil}} {
		if strings.HasPrefix(p.src[p.pos:], w.s) {
			p.pos += len(w.s)
			return Arg{Kind: w.kind, Value: w.v, Offset: start}, nil
		}
	}
	return Arg{}, p.fail(start, "unexpected character '"+string(rune(c))+"' in argument")
}

// pathEnd finds where a path argument ends: at a ',' or ')' outside
// brackets, parentheses and quotes.
func (p *parser) pathEnd() int {
	depth := 0
	var quote byte
	for i := p.pos; i < len(p.src); i++ {
		c := p.src[i]
		if quote != 0 {
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
			continue
		}
		switch c {
		case '\'', '"':
			quote = c
		case '[', '(':
			depth++
		case ']':
			depth--
		case ')':
			if depth == 0 {
				return trimRight(p.src, p.pos, i)
			}
			depth--
		case ',':
			if depth == 0 {
				return trimRight(p.src, p.pos, i)
			}
		}
	}
	return len(p.src)
}

func trimRight(s string, start, end int) int {
	for end > start && strings.IndexByte(" \t\n\r", s[end-1]) >= 0 {
		end--
	}
	return end
}

// parseString reads a single-quoted literal. The only escapes are \' \{ \}
// and \\; any other backslash is a syntax error, as in AWS.
func (p *parser) parseString() (raw, val string, err error) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for {
		if p.eof() {
			return "", "", p.fail(start, "unclosed string literal")
		}
		c := p.src[p.pos]
		switch c {
		case '\'':
			raw = p.src[start+1 : p.pos]
			p.pos++
			return raw, b.String(), nil
		case '\\':
			if p.pos+1 >= len(p.src) {
				return "", "", p.fail(p.pos, "unclosed string literal")
			}
			n := p.src[p.pos+1]
			if n != '\'' && n != '{' && n != '}' && n != '\\' {
				return "", "", p.fail(p.pos, "illegal escape sequence '\\"+string(rune(n))+"' (only \\' \\{ \\} and \\\\ are allowed)")
			}
			b.WriteByte(n)
			p.pos += 2
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}
