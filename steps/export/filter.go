package export

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// Filter is a compiled where-expression. Compile it once per part with
// [CompileFilter] and call [Filter.Keep] per row. A Filter is not safe for
// concurrent use (it reuses its environment map and VM).
type Filter struct {
	program *vm.Program
	machine vm.VM
	env     map[string]any
	names   []string
	types   []string
	used    []int // header indices the expression can reference
}

// CompileFilter compiles where against the columns in header, typed by
// types (missing entries are strings). An empty where keeps every row and
// returns a nil *Filter, whose Keep always returns true. A compile error is
// an [*InvalidExportRequest] at /where carrying expr's line:col.
func CompileFilter(where string, header []string, types map[string]string) (*Filter, error) {
	if strings.TrimSpace(where) == "" {
		return nil, nil
	}
	f := &Filter{env: make(map[string]any, len(header)), names: header, types: make([]string, len(header))}
	for i, h := range header {
		t := types[h]
		if t == "" {
			t = TypeString
		}
		f.types[i] = t
		f.env[h] = zeroOf(t)
	}
	prog, err := expr.Compile(where, expr.Env(f.env), expr.AsBool())
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			return nil, invalid("/where", "%s (%d:%d)", fe.Message, fe.Line, fe.Column+1)
		}
		return nil, invalid("/where", "%v", err)
	}
	f.program = prog
	env := envAccess(where)
	for i, h := range header {
		// A column the expression never names cannot be read by it, so it
		// need not be parsed per row. Names are read from the text and from
		// $env["literal"] accesses (the literal may be escaped). An
		// expression that computes a name ($env[k], $env["to" + "tal"],
		// get($env, k)) may read any column: it gets them all, or it would
		// see the zero values the environment was compiled with.
		if env.dynamic || env.names[h] || strings.Contains(where, h) {
			f.used = append(f.used, i)
		}
	}
	return f, nil
}

// Keep evaluates the filter over one row: values are the raw field texts in
// header order. A value that does not parse as its declared type, or an
// evaluation error, is returned as an error; the caller rejects the row.
func (f *Filter) Keep(values []string) (bool, error) {
	if f == nil {
		return true, nil
	}
	for _, i := range f.used {
		name := f.names[i]
		var raw string
		if i < len(values) {
			raw = values[i]
		}
		v, err := ParseValue(raw, f.types[i])
		if err != nil {
			return false, fmt.Errorf("column %q: %w", name, err)
		}
		f.env[name] = v
	}
	out, err := f.machine.Run(f.program, f.env)
	if err != nil {
		// An empty typed value is null. Like NULL in SQL, a null never
		// satisfies a comparison: `total > 100` drops a row with no total
		// instead of rejecting it as malformed.
		for _, i := range f.used {
			if f.env[f.names[i]] == nil {
				return false, nil
			}
		}
		return false, fmt.Errorf("where: %v", firstLine(err.Error()))
	}
	b, _ := out.(bool)
	return b, nil
}

// ParseValue converts a field's text to its declared type. The empty text
// of a non-string type is nil (no value).
func ParseValue(raw, typ string) (any, error) {
	switch typ {
	case TypeString, "":
		return raw, nil
	}
	if raw == "" {
		return nil, nil
	}
	switch typ {
	case TypeInteger:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", raw)
		}
		return n, nil
	case TypeNumber:
		x, err := strconv.ParseFloat(raw, 64)
		if err != nil || !isDecimal(raw) {
			return nil, fmt.Errorf("%q is not a number", raw)
		}
		return x, nil
	case TypeBoolean:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return nil, fmt.Errorf("%q is not a boolean", raw)
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown type %q", typ)
}

// isDecimal reports whether s is a plain decimal number (JSON number syntax
// with an optional leading '+'), rejecting what ParseFloat also accepts but
// data files never mean: hex floats, underscores, Inf and NaN.
func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	if s[0] == '-' || s[0] == '+' {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

func zeroOf(typ string) any {
	switch typ {
	case TypeInteger:
		return int64(0)
	case TypeNumber:
		return float64(0)
	case TypeBoolean:
		return false
	}
	return ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// envUse is how an expression reads $env.
type envUse struct {
	names   map[string]bool // read as $env.name or $env["literal"]
	dynamic bool            // read any other way
}

// envAccess finds how where reads $env. It walks the parsed expression as
// written: the compiled program is optimised, and constant folding turns
// $env["to" + "tal"] into $env["total"] there.
func envAccess(where string) envUse {
	tree, err := parser.Parse(where)
	if err != nil {
		return envUse{dynamic: true} // compiled, yet not parsed: assume the worst
	}
	v := envVisitor{names: map[string]bool{}}
	ast.Walk(&tree.Node, &v)
	return envUse{names: v.names, dynamic: v.uses > v.literal}
}

// envVisitor counts the $env identifiers and the member accesses of $env
// by a literal name, collecting those names.
type envVisitor struct {
	uses, literal int
	names         map[string]bool
}

func (v *envVisitor) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if n.Value == "$env" {
			v.uses++
		}
	case *ast.MemberNode:
		if id, ok := n.Node.(*ast.IdentifierNode); ok && id.Value == "$env" {
			if s, lit := n.Property.(*ast.StringNode); lit {
				v.literal++
				v.names[s.Value] = true
			}
		}
	}
}
