package jsonpath

import (
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/statemachine/internal/jsonvalue"
)

// expr is a filter predicate ([?(...)]).
type expr interface {
	test(cur, root any, b *budget) bool
}

type orExpr struct{ l, r expr }
type andExpr struct{ l, r expr }
type notExpr struct{ e expr }
type existExpr struct{ o *pathOperand }
type cmpExpr struct {
	op   string
	l, r operand
}

func (e orExpr) test(c, r any, b *budget) bool  { return e.l.test(c, r, b) || e.r.test(c, r, b) }
func (e andExpr) test(c, r any, b *budget) bool { return e.l.test(c, r, b) && e.r.test(c, r, b) }
func (e notExpr) test(c, r any, b *budget) bool { return !e.e.test(c, r, b) }
func (e existExpr) test(c, r any, b *budget) bool {
	v, ok := e.o.value(c, r, b)
	if !ok {
		return false
	}
	// Jayway treats a bare boolean path as the boolean itself.
	if b, isBool := v.(bool); isBool {
		return b
	}
	return true
}

// operand is a value inside a filter: a literal, a regex or a path.
type operand interface {
	value(cur, root any, b *budget) (any, bool)
}

type literal struct{ v any }

func (l literal) value(any, any, *budget) (any, bool) { return l.v, true }

type regexOperand struct{ re *regexp.Regexp }

func (r regexOperand) value(any, any, *budget) (any, bool) { return r.re, true }

type pathOperand struct {
	fromRoot bool
	path     *Path
}

func (o *pathOperand) value(cur, root any, b *budget) (any, bool) {
	doc := cur
	if o.fromRoot {
		doc = root
	}
	v, err := o.path.get(doc, b)
	if err != nil {
		return nil, false
	}
	return v, true
}

func (e cmpExpr) test(cur, root any, b *budget) bool {
	l, lok := e.l.value(cur, root, b)
	r, rok := e.r.value(cur, root, b)
	switch e.op {
	case "==":
		return lok && rok && equal(l, r)
	case "!=":
		return !(lok && rok && equal(l, r))
	}
	if !lok || !rok {
		return false
	}
	switch e.op {
	case "<", "<=", ">", ">=":
		c, ok := compare(l, r)
		if !ok {
			return false
		}
		switch e.op {
		case "<":
			return c < 0
		case "<=":
			return c <= 0
		case ">":
			return c > 0
		}
		return c >= 0
	case "=~":
		re, ok := r.(*regexp.Regexp)
		s, sok := l.(string)
		return ok && sok && re.MatchString(s)
	case "in", "nin":
		a, ok := r.([]any)
		if !ok {
			return false
		}
		return contains(a, l) == (e.op == "in")
	case "contains":
		switch x := l.(type) {
		case string:
			s, ok := r.(string)
			return ok && strings.Contains(x, s)
		case []any:
			return contains(x, r)
		}
		return false
	case "subsetof", "anyof", "noneof":
		la, lok := l.([]any)
		ra, rok := r.([]any)
		if !lok || !rok {
			return false
		}
		switch e.op {
		case "subsetof":
			for _, x := range la {
				if !contains(ra, x) {
					return false
				}
			}
			return true
		case "anyof":
			for _, x := range la {
				if contains(ra, x) {
					return true
				}
			}
			return false
		}
		for _, x := range la {
			if contains(ra, x) {
				return false
			}
		}
		return true
	case "size":
		n, ok := jsonvalue.Number(r)
		if !ok {
			return false
		}
		switch x := l.(type) {
		case []any:
			return float64(len(x)) == n
		case string:
			return float64(len([]rune(x))) == n
		}
		return false
	case "empty":
		want, ok := r.(bool)
		if !ok {
			return false
		}
		switch x := l.(type) {
		case []any:
			return (len(x) == 0) == want
		case string:
			return (x == "") == want
		}
		return false
	}
	return false
}

func contains(a []any, v any) bool {
	for _, x := range a {
		if equal(x, v) {
			return true
		}
	}
	return false
}

// equal is the filter's == (Jayway's): unlike jsonvalue.Equal, a number
// equals a numeric string with the same value, and values of other Go types
// compare with reflect.DeepEqual.
func equal(a, b any) bool {
	if fa, ok := jsonvalue.Number(a); ok {
		if fb, ok := jsonvalue.Number(b); ok {
			return fa == fb
		}
		// Jayway compares a number and a numeric string as numbers.
		if s, ok := b.(string); ok {
			fb, err := strconv.ParseFloat(s, 64)
			return err == nil && fa == fb
		}
		return false
	}
	if _, ok := jsonvalue.Number(b); ok {
		return equal(b, a)
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func compare(a, b any) (int, bool) {
	if fa, ok := jsonvalue.Number(a); ok {
		if fb, ok := jsonvalue.Number(b); ok {
			switch {
			case fa < fb:
				return -1, true
			case fa > fb:
				return 1, true
			}
			return 0, true
		}
		return 0, false
	}
	sa, ok := a.(string)
	sb, ok2 := b.(string)
	if ok && ok2 {
		return strings.Compare(sa, sb), true
	}
	return 0, false
}

// ---- filter parsing ----

func (p *parser) parseOr() (expr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if !strings.HasPrefix(p.src[p.pos:], "||") {
			return l, nil
		}
		p.pos += 2
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = orExpr{l, r}
	}
}

func (p *parser) parseAnd() (expr, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if !strings.HasPrefix(p.src[p.pos:], "&&") {
			return l, nil
		}
		p.pos += 2
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = andExpr{l, r}
	}
}

var wordOps = []string{"subsetof", "contains", "noneof", "anyof", "empty", "size", "nin", "in"}

func (p *parser) parseUnary() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.skipSpace()
	switch p.peek() {
	case '!':
		if !strings.HasPrefix(p.src[p.pos:], "!=") {
			p.pos++
			e, err := p.parseUnary()
			if err != nil {
				return nil, err
			}
			return notExpr{e}, nil
		}
	case '(':
		p.pos++
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.peek() != ')' {
			return nil, p.fail(p.pos, "expected ')'")
		}
		p.pos++
		return e, nil
	}
	start := p.pos
	l, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	rest := p.src[p.pos:]
	op := ""
	for _, o := range []string{"==", "!=", "<=", ">=", "=~", "<", ">"} {
		if strings.HasPrefix(rest, o) {
			op = o
			break
		}
	}
	if op == "" {
		for _, o := range wordOps {
			if strings.HasPrefix(rest, o) && (len(rest) == len(o) || rest[len(o)] == ' ') {
				op = o
				break
			}
		}
	}
	if op == "" {
		po, ok := l.(*pathOperand)
		if !ok {
			if lit, isLit := l.(literal); isLit {
				if b, isBool := lit.v.(bool); isBool {
					return constExpr(b), nil
				}
			}
			return nil, p.fail(start, "expected a comparison")
		}
		return existExpr{po}, nil
	}
	p.pos += len(op)
	r, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	return cmpExpr{op: op, l: l, r: r}, nil
}

type constExpr bool

func (c constExpr) test(any, any, *budget) bool { return bool(c) }

func (p *parser) parseOperand() (operand, error) {
	p.skipSpace()
	start := p.pos
	if p.eof() {
		return nil, p.fail(p.pos, "expected a value")
	}
	c := p.peek()
	switch {
	case c == '@' || c == '$':
		p.pos++
		segs, fn, err := p.parseSegments(true)
		if err != nil {
			return nil, err
		}
		sub := &Path{src: p.src[start:p.pos], segs: segs, fn: fn}
		sub.init()
		return &pathOperand{fromRoot: c == '$', path: sub}, nil
	case c == '\'' || c == '"':
		s, err := p.parseString()
		if err != nil {
			return nil, err
		}
		return literal{s}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		p.pos++
		for !p.eof() && strings.IndexByte("0123456789.eE+-", p.peek()) >= 0 {
			p.pos++
		}
		f, err := strconv.ParseFloat(p.src[start:p.pos], 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, p.fail(start, "invalid number")
		}
		return literal{f}, nil
	case c == '/':
		p.pos++
		for !p.eof() && p.peek() != '/' {
			if p.peek() == '\\' {
				p.pos++
			}
			p.pos++
		}
		if p.eof() {
			return nil, p.fail(start, "unclosed regular expression")
		}
		pat := p.src[start+1 : p.pos]
		p.pos++
		flags := ""
		for !p.eof() && strings.IndexByte("imsx", p.peek()) >= 0 {
			if p.peek() != 'x' {
				flags += string(p.peek())
			}
			p.pos++
		}
		if flags != "" {
			pat = "(?" + flags + ")" + pat
		}
		re, err := regexp.Compile("^(?:" + pat + ")$")
		if err != nil {
			return nil, p.fail(start, "invalid regular expression: "+err.Error())
		}
		return regexOperand{re}, nil
	case c == '[':
		p.pos++
		var list []any
		for {
			p.skipSpace()
			if p.peek() == ']' && len(list) == 0 {
				p.pos++
				return literal{list}, nil
			}
			o, err := p.parseOperand()
			if err != nil {
				return nil, err
			}
			lit, ok := o.(literal)
			if !ok {
				return nil, p.fail(start, "lists may only hold literal values")
			}
			list = append(list, lit.v)
			p.skipSpace()
			switch p.peek() {
			case ',':
				p.pos++
				continue
			case ']':
				p.pos++
				return literal{list}, nil
			}
			return nil, p.fail(p.pos, "expected ',' or ']' in list")
		}
	}
	for _, w := range []struct {
		s string
		v any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(p.src[p.pos:], w.s) {
			p.pos += len(w.s)
			return literal{w.v}, nil
		}
	}
	return nil, p.fail(start, "unexpected character in filter")
}

func (p *parser) parseString() (string, error) {
	q := p.peek()
	start := p.pos
	p.pos++
	var b strings.Builder
	for {
		if p.eof() {
			return "", p.fail(start, "unclosed string")
		}
		c := p.src[p.pos]
		if c == '\\' && p.pos+1 < len(p.src) {
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
			continue
		}
		p.pos++
		if c == q {
			return b.String(), nil
		}
		b.WriteByte(c)
	}
}
