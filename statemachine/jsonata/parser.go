package jsonata

import (
	"fmt"
)

// node is an expression tree node. Type names follow the JSONata
// documentation's vocabulary.
type node struct {
	typ   string // path binary unary name string number value wildcard descendant parent condition block bind regex function partial variable lambda apply transform sort
	op    string // operator for binary/unary/apply/bind, name for name/variable, string value
	num   float64
	val   any // value literal (bool or null)
	pos   int
	lhs   *node
	rhs   *node
	items []*node // array items, block expressions, path steps, function arguments
	pairs [][2]*node

	// path step annotations
	stages    []*stage
	predicate []*stage
	group     *node // object-constructor node used for grouping
	keepArray bool
	keepSing  bool // path: keep singleton arrays
	consarray bool
	focus     string
	index     string
	tuple     bool
	hasFocus  bool

	// parent operator
	slot          *slot
	seekingParent []*slot
	ancestor      *slot

	// function calls and lambdas
	procedure *node
	params    []string
	sig       *signature
	body      *node
	thunk     bool
	nextFunc  string

	// condition
	cond, then, els *node

	// sort
	terms []sortTerm

	// transform
	pattern, update, delete *node

	re *regex
}

type stage struct {
	typ   string // filter or index
	expr  *node
	index string
	pos   int
}

type sortTerm struct {
	desc bool
	expr *node
}

type slot struct {
	label string
	level int
	index int
}

var bindingPowers = map[string]int{
	".": 75, "[": 80, "]": 0, "{": 70, "}": 0, "(": 80, ")": 0, ",": 0, "@": 80, "#": 80, ";": 0, ":": 0, "?": 20,
	"+": 50, "-": 50, "*": 60, "/": 60, "%": 60, "|": 0, "=": 40, "<": 40, ">": 40, "^": 40, "**": 0, "..": 0,
	":=": 10, "!=": 40, "<=": 40, ">=": 40, "~>": 40, "and": 30, "or": 25, "in": 40, "&": 50,
}

// maxParseDepth bounds the parser's recursion on pathological input.
const maxParseDepth = 2000

type parser struct {
	depth         int
	ancestorLabel int
	ancestorIndex int
	ancestry      []*node
	lex           *lexer
	tok           token // current lookahead
	src           string
}

func parse(src string) (*node, error) {
	p := &parser{lex: &lexer{src: src}, src: src}
	root, err := p.run()
	if err != nil {
		return nil, err
	}
	return root, nil
}

// parseError lets the recursive descent unwind quickly.
type parseError struct{ err *Error }

func (p *parser) fail(code string, t token, format string, args ...any) {
	tokStr := t.s
	if t.kind == tokNumber {
		tokStr = fmt.Sprint(t.num)
	}
	if t.kind == tokEnd {
		tokStr = "(end)"
	}
	panic(parseError{&Error{Code: code, Position: t.pos, Token: tokStr, Message: fmt.Sprintf(format, args...)}})
}

func (p *parser) run() (root *node, err error) {
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(parseError)
			if !ok {
				panic(r)
			}
			root, err = nil, pe.err
		}
	}()
	p.advance()
	expr := p.expression(0)
	if p.tok.kind != tokEnd {
		p.fail("S0201", p.tok, "Syntax error: %q", p.tokText(p.tok))
	}
	ast := p.process(expr)
	if ast.typ == "parent" || ast.seekingParent != nil {
		return nil, &Error{Code: "S0217", Position: ast.pos, Token: ast.typ, Message: "The object representing the 'parent' cannot be derived from this expression"}
	}
	return ast, nil
}

func (p *parser) tokText(t token) string {
	switch t.kind {
	case tokNumber:
		return fmt.Sprint(t.num)
	case tokEnd:
		return "(end)"
	case tokValue:
		return fmt.Sprint(t.val)
	}
	return t.s
}

func (p *parser) advance() token {
	prev := p.tok
	t, err := p.lex.next()
	if err != nil {
		panic(parseError{err.(*Error)})
	}
	if t.kind == tokOp {
		if _, ok := bindingPowers[t.s]; !ok {
			p.fail("S0204", t, "Unknown operator: %q", t.s)
		}
	}
	p.tok = t
	return prev
}

// expect consumes the operator id or fails.
func (p *parser) expect(id string) {
	if p.tok.id() != id {
		if p.tok.kind == tokEnd {
			p.fail("S0203", p.tok, "Expected %q before end of expression", id)
		}
		p.fail("S0202", p.tok, "Expected %q, got %q", id, p.tokText(p.tok))
	}
	p.advance()
}

func (p *parser) lbp(t token) int {
	if t.kind == tokOp {
		return bindingPowers[t.s]
	}
	return 0
}

func (p *parser) expression(rbp int) *node {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxParseDepth {
		p.fail("S0201", p.tok, "Syntax error: expression nested more than %d levels deep", maxParseDepth)
	}
	t := p.advance()
	left := p.nud(t)
	for rbp < p.lbp(p.tok) {
		t = p.advance()
		left = p.led(t, left)
	}
	return left
}

func (p *parser) isOp(s string) bool { return p.tok.kind == tokOp && p.tok.s == s }

func (p *parser) nud(t token) *node {
	switch t.kind {
	case tokEnd:
		p.fail("S0207", t, "Unexpected end of expression")
	case tokName:
		return &node{typ: "name", op: t.s, pos: t.pos}
	case tokVar:
		return &node{typ: "variable", op: t.s, pos: t.pos}
	case tokString:
		return &node{typ: "string", op: t.s, pos: t.pos}
	case tokNumber:
		return &node{typ: "number", num: t.num, pos: t.pos}
	case tokValue:
		return &node{typ: "value", val: t.val, pos: t.pos}
	case tokRegex:
		re, err := compileRegex(t.s, t.flags)
		if err != nil {
			err.Position = t.pos
			panic(parseError{err})
		}
		return &node{typ: "regex", re: re, pos: t.pos}
	}
	switch t.s {
	case "and", "or", "in":
		return &node{typ: "name", op: t.s, pos: t.pos}
	case "-":
		return &node{typ: "unary", op: "-", lhs: p.expression(70), pos: t.pos}
	case "*":
		return &node{typ: "wildcard", op: "*", pos: t.pos}
	case "**":
		return &node{typ: "descendant", op: "**", pos: t.pos}
	case "%":
		return &node{typ: "parent", pos: t.pos}
	case "(":
		n := &node{typ: "block", pos: t.pos}
		for !p.isOp(")") {
			n.items = append(n.items, p.expression(0))
			if !p.isOp(";") {
				break
			}
			p.advance()
		}
		p.expect(")")
		return n
	case "[":
		n := &node{typ: "unary", op: "[", pos: t.pos}
		if !p.isOp("]") {
			for {
				item := p.expression(0)
				if p.isOp("..") {
					r := p.advance()
					item = &node{typ: "binary", op: "..", lhs: item, rhs: p.expression(0), pos: r.pos}
				}
				n.items = append(n.items, item)
				if !p.isOp(",") {
					break
				}
				p.advance()
			}
		}
		p.expect("]")
		return n
	case "{":
		n := &node{typ: "unary", op: "{", pos: t.pos}
		n.pairs = p.pairs()
		return n
	case "|":
		n := &node{typ: "transform", pos: t.pos}
		n.pattern = p.expression(0)
		p.expect("|")
		n.update = p.expression(0)
		if p.isOp(",") {
			p.advance()
			n.delete = p.expression(0)
		}
		p.expect("|")
		return n
	}
	p.fail("S0211", t, "The symbol %s cannot be used as a unary operator", t.s)
	return nil
}

func (p *parser) pairs() [][2]*node {
	var pairs [][2]*node
	if !p.isOp("}") {
		for {
			k := p.expression(0)
			p.expect(":")
			v := p.expression(0)
			pairs = append(pairs, [2]*node{k, v})
			if !p.isOp(",") {
				break
			}
			p.advance()
		}
	}
	p.expect("}")
	return pairs
}

func (p *parser) led(t token, left *node) *node {
	op := t.s
	switch op {
	case "(":
		return p.call(t, left)
	case "[":
		if p.tok.kind == tokEnd {
			p.expect("]")
		}
		if p.isOp("]") {
			p.advance()
			step := left
			for step != nil && step.typ == "binary" && step.op == "[" {
				step = step.lhs
			}
			step.keepArray = true
			return left
		}
		rhs := p.expression(0)
		p.expect("]")
		return &node{typ: "binary", op: "[", lhs: left, rhs: rhs, pos: t.pos}
	case "{":
		return &node{typ: "binary", op: "{", lhs: left, pairs: p.pairs(), pos: t.pos}
	case "?":
		n := &node{typ: "condition", cond: left, pos: t.pos}
		n.then = p.expression(0)
		if p.isOp(":") {
			p.advance()
			n.els = p.expression(0)
		}
		return n
	case ":=":
		if left.typ != "variable" {
			p.fail("S0212", t, "The left side of := must be a variable name (start with $)")
		}
		return &node{typ: "bind", op: ":=", lhs: left, rhs: p.expression(bindingPowers[":="] - 1), pos: t.pos}
	case "@", "#":
		rhs := p.expression(bindingPowers[op])
		if rhs.typ != "variable" {
			p.fail("S0214", t, "The right side of %s must be a variable name (start with $)", op)
		}
		return &node{typ: "binary", op: op, lhs: left, rhs: rhs, pos: t.pos}
	case "^":
		return p.orderBy(t, left)
	case "~>":
		return &node{typ: "apply", op: op, lhs: left, rhs: p.expression(bindingPowers[op]), pos: t.pos}
	case ".", "+", "-", "*", "/", "%", "=", "<", ">", "**", "..", "!=", "<=", ">=", "and", "or", "in", "&":
		return &node{typ: "binary", op: op, lhs: left, rhs: p.expression(bindingPowers[op]), pos: t.pos}
	}
	p.fail("S0201", t, "Syntax error: %q", op)
	return nil
}

// call parses the arguments of a function call (or partial application)
// after its '(', and a lambda definition when left is "function" or "λ".
func (p *parser) call(t token, left *node) *node {
	n := &node{typ: "function", procedure: left, pos: t.pos}
	if !p.isOp(")") && p.tok.kind != tokEnd {
		for {
			if p.isOp("?") {
				q := p.advance()
				n.typ = "partial"
				n.items = append(n.items, &node{typ: "operator", op: "?", pos: q.pos})
			} else {
				n.items = append(n.items, p.expression(0))
			}
			if !p.isOp(",") {
				break
			}
			p.advance()
		}
	}
	p.expect(")")
	if left.typ == "name" && (left.op == "function" || left.op == "λ") {
		return p.lambda(t, n)
	}
	return n
}

// lambda turns the parsed call n of "function" into a lambda definition:
// its parameters, optional signature and body.
func (p *parser) lambda(t token, n *node) *node {
	lam := &node{typ: "lambda", pos: t.pos}
	for _, a := range n.items {
		if a.typ != "variable" {
			p.fail("S0208", token{pos: a.pos, s: a.op}, "Parameter %s of function definition must be a variable name (start with $)", a.op)
		}
		lam.params = append(lam.params, a.op)
	}
	if p.isOp("<") {
		lam.sig = p.lambdaSignature()
	}
	p.expect("{")
	lam.body = p.expression(0)
	p.expect("}")
	return lam
}

// lambdaSignature parses a lambda's <...> type signature.
func (p *parser) lambdaSignature() *signature {
	sigTok := p.tok
	depth := 1
	sig := "<"
	for depth > 0 && !p.isOp("{") && p.tok.kind != tokEnd {
		p.advance()
		if p.isOp(">") {
			depth--
		} else if p.isOp("<") {
			depth++
		}
		sig += p.tokText(p.tok)
	}
	p.expect(">")
	s, err := parseSignature(sig)
	if err != nil {
		err.Position = sigTok.pos
		panic(parseError{err})
	}
	return s
}

// orderBy parses the sort terms of ^( ... ) after its '^'.
func (p *parser) orderBy(t token, left *node) *node {
	p.expect("(")
	n := &node{typ: "binary", op: "^", lhs: left, pos: t.pos}
	for {
		desc := false
		if p.isOp("<") {
			p.advance()
		} else if p.isOp(">") {
			desc = true
			p.advance()
		}
		n.terms = append(n.terms, sortTerm{desc: desc, expr: p.expression(0)})
		if !p.isOp(",") {
			break
		}
		p.advance()
	}
	p.expect(")")
	return n
}
