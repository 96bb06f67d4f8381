// Package jsonpath compiles and evaluates the JSONPath dialect of AWS Step
// Functions: Jayway JsonPath syntax (dot and bracket names, indexes, slices,
// wildcards, deep scan, filters and the argument-free path functions such as
// length()) with three roots — the state input "$", the context object "$$"
// and workflow variables "$name".
//
// A [Path] is compiled once and is safe to reuse from many goroutines. [Path.Get]
// reads a value, [Path.Set] applies ResultPath semantics (copy-on-write).
// Errors are [*Error] values that carry the path, an offset for syntax errors,
// and the Jayway message AWS quotes in its States.Runtime causes; use
// errors.Is(err, [ErrNotFound]) to tell "no match" from other failures.
//
// JSON values are plain any as encoding/json decodes them (map[string]any,
// []any, float64 or json.Number, string, bool, nil). The package is not a
// general JSONPath library: it does not implement RFC 9535, and it does not
// evaluate JSONata or intrinsic functions (see the sibling packages).
//
// Objects are Go maps, so wildcards and deep scans over an object visit its
// members in sorted key order, not in document order as AWS does.
package jsonpath

import "strings"

// Root says which document a path starts from.
type Root int

const (
	// RootInput is "$": the state input (or the current effective input).
	RootInput Root = iota
	// RootContext is "$$": the context object.
	RootContext
	// RootVariable is "$name": a workflow variable; see [Path.Variable].
	RootVariable
)

// String returns "$", "$$" or "$var".
func (r Root) String() string {
	switch r {
	case RootContext:
		return "$$"
	case RootVariable:
		return "$var"
	}
	return "$"
}

// Path is a compiled JSONPath. It is immutable and safe for concurrent use.
type Path struct {
	src      string
	root     Root
	variable string
	segs     []segment
	fn       string // trailing function name ("length", "sum", ...), or ""
	definite bool   // cached Definite()
	simple   bool   // only single names and single indexes: fast path in Get
}

// Compile parses path. The path must start with "$" (input), "$$" (context
// object) or "$name" (a variable). Syntax errors are [*Error] values with the
// byte offset of the problem.
func Compile(path string) (*Path, error) {
	// Jayway trims blanks around a path before compiling it.
	trimmed := strings.TrimLeft(path, " \t\n\r")
	lead := len(path) - len(trimmed)
	trimmed = strings.TrimRight(trimmed, " \t\n\r")
	p := &parser{src: trimmed}
	c, err := p.parsePath()
	if err != nil {
		if pe, ok := err.(*Error); ok {
			pe.Path = path
			pe.Offset += lead
		}
		return nil, err
	}
	c.src = path
	c.init()
	return c, nil
}

// init caches properties derived from the segments.
func (p *Path) init() {
	p.definite = true
	p.simple = true
	for i, s := range p.segs {
		if !s.definite(i == len(p.segs)-1) {
			p.definite = false
		}
		if !(s.kind == segName && len(s.names) == 1) && !(s.kind == segIndex && len(s.indexes) == 1) {
			p.simple = false
		}
	}
}

// MustCompile is like [Compile] but panics on error. It is for paths written
// in Go source, not for paths read from a definition.
func MustCompile(path string) *Path {
	p, err := Compile(path)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the path exactly as it was written.
func (p *Path) String() string { return p.src }

// Root returns the document the path starts from.
func (p *Path) Root() Root { return p.root }

// Variable returns the variable name of a [RootVariable] path ("myVar" for
// "$myVar.field"), or "" for other roots.
func (p *Path) Variable() string { return p.variable }

// IsRoot reports whether the path selects its whole root document ("$",
// "$$" or "$name" with nothing after it).
func (p *Path) IsRoot() bool { return len(p.segs) == 0 && p.fn == "" }

// Definite reports whether the path selects at most one node (Jayway's
// "definite" path): [Path.Get] then returns that node itself rather than a
// list of matches. Wildcards, deep scans, filters, slices, index lists and
// name lists that are not the last step make a path indefinite.
func (p *Path) Definite() bool { return p.definite }

// Reference reports whether the path is an AWS "reference path": only single
// names and single non-negative indexes, no functions. ResultPath, ItemsPath
// and the *Path fields of Wait and Map require reference paths.
func (p *Path) Reference() bool {
	if p.fn != "" {
		return false
	}
	for _, s := range p.segs {
		switch s.kind {
		case segName:
			if len(s.names) != 1 {
				return false
			}
		case segIndex:
			if len(s.indexes) != 1 || s.indexes[0] < 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// Canonical returns the path in Jayway's bracket form, as AWS prints it in
// messages: "$['a']['b'][0]", "$[*]", "$..['x']". The root is always written
// "$", whatever the original root was.
func (p *Path) Canonical() string {
	var b strings.Builder
	b.WriteString("$")
	for _, s := range p.segs {
		s.writeCanonical(&b)
	}
	if p.fn != "" {
		b.WriteString("." + p.fn + "()")
	}
	return b.String()
}
