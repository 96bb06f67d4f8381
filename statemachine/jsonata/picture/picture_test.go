package picture

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// suiteGroups are the JSONata test-suite groups this package serves, with
// the number of standalone cases that must pass (the measure; raise it,
// never lower it).
var suiteGroups = map[string]int{
	"function-formatNumber":  37,
	"function-formatBase":    8,
	"function-formatInteger": 65,
	"function-parseInteger":  61,
	"function-fromMillis":    92,
	"function-tomillis":      56,
}

type suiteCase struct {
	ID       string          `json:"id"`
	Group    string          `json:"group"`
	Expr     string          `json:"expr"`
	Bindings json.RawMessage `json:"bindings"`
	Expect   struct {
		Result          json.RawMessage `json:"result"`
		UndefinedResult bool            `json:"undefinedResult"`
		Code            string          `json:"code"`
	} `json:"expect"`
}

func casesPath(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	// file is <repo>/statemachine/jsonata/picture/suite_test.go.
	repo := filepath.Join(filepath.Dir(file), "..", "..", "..")
	return filepath.Join(repo, "..", "shared", "jsonata", "cases-v2.0.6.jsonl")
}

// TestSuite runs the picture-function cases of the JSONata 2.0.6 test
// suite whose expression is a call (or a small chain or block of calls)
// with literal arguments; the rest need the evaluator and are counted as
// "not standalone".
func TestSuite(t *testing.T) {
	path := casesPath(t)
	fh, err := os.Open(path)
	if err != nil {
		t.Skipf("SKIPPED: the JSONata suite cases are absent (%v); they live in ../shared/jsonata/cases-v2.0.6.jsonl next to the repository", err)
	}
	defer fh.Close()
	type tally struct{ total, standalone, passed int }
	tallies := map[string]*tally{}
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	line := 0
	for sc.Scan() {
		line++
		var c suiteCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		if _, ok := suiteGroups[c.Group]; !ok {
			continue
		}
		tl := tallies[c.Group]
		if tl == nil {
			tl = &tally{}
			tallies[c.Group] = tl
		}
		tl.total++
		got, err := evalLiteralExpr(c.Expr)
		if errors.Is(err, errNotStandalone) {
			t.Logf("not standalone: %s: %s", c.ID, c.Expr)
			continue
		}
		tl.standalone++
		if msg := checkExpect(c, got, err); msg != "" {
			t.Logf("FAILED %s (%s:%d): %s\n\texpr: %s", c.ID, filepath.Base(path), line, msg, c.Expr)
			continue
		}
		tl.passed++
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	names := make([]string, 0, len(suiteGroups))
	for g := range suiteGroups {
		names = append(names, g)
	}
	sort.Strings(names)
	for _, g := range names {
		tl := tallies[g]
		if tl == nil {
			t.Errorf("group %s: no cases found in %s", g, path)
			continue
		}
		t.Logf("group %-24s total %3d  standalone %3d  passed %3d", g, tl.total, tl.standalone, tl.passed)
		if tl.passed < suiteGroups[g] {
			t.Errorf("group %s: %d standalone cases passed, below the threshold %d", g, tl.passed, suiteGroups[g])
		}
	}
}

func checkExpect(c suiteCase, got any, err error) string {
	switch {
	case c.Expect.Code != "":
		var pe *Error
		if !errors.As(err, &pe) {
			return fmt.Sprintf("want error %s, got %#v (err %v)", c.Expect.Code, got, err)
		}
		if pe.Code != c.Expect.Code {
			return fmt.Sprintf("want error %s, got %v", c.Expect.Code, err)
		}
	case c.Expect.UndefinedResult:
		if err != nil || got != undefined {
			return fmt.Sprintf("want undefined, got %#v (err %v)", got, err)
		}
	default:
		if err != nil {
			return fmt.Sprintf("want %s, got error %v", c.Expect.Result, err)
		}
		var want any
		if err := json.Unmarshal(c.Expect.Result, &want); err != nil {
			return fmt.Sprintf("bad expected result %s: %v", c.Expect.Result, err)
		}
		if got != want {
			return fmt.Sprintf("want %#v, got %#v", want, got)
		}
	}
	return ""
}

// The tiny evaluator below understands only what the picture cases use:
// literals, unary minus, *, calls of the six picture functions, ~> chains
// and ( $v := …; … ) blocks. Everything else is errNotStandalone.

var errNotStandalone = errors.New("needs the JSONata evaluator")

type undefinedValue struct{}

var undefined = undefinedValue{}

type litParser struct {
	s    string
	pos  int
	vars map[string]any
}

var (
	callRe     = regexp.MustCompile(`\$(\w*)\s*\(`)
	operatorRe = regexp.MustCompile(`\.\[|[=<>&]|\band\b|\bor\b`)
	known      = map[string]bool{"formatNumber": true, "formatBase": true, "formatInteger": true, "parseInteger": true, "fromMillis": true, "toMillis": true}
)

// standalone reports, before evaluating anything, whether expr uses only
// what this test's tiny evaluator understands (so that an error from an
// early call cannot hide a later need for the real evaluator).
func standalone(expr string) bool {
	for _, m := range callRe.FindAllStringSubmatch(expr, -1) {
		if !known[m[1]] {
			return false
		}
	}
	// Operators inside string literals do not count.
	var outside strings.Builder
	var q byte
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case q != 0 && c == q:
			q = 0
		case q != 0:
		case c == '"' || c == '\'':
			q = c
		default:
			outside.WriteByte(c)
		}
	}
	return !operatorRe.MatchString(strings.NewReplacer(":=", "", "~>", "").Replace(outside.String()))
}

func evalLiteralExpr(expr string) (any, error) {
	if !standalone(expr) {
		return nil, errNotStandalone
	}
	p := &litParser{s: expr, vars: map[string]any{}}
	v, err := p.expr()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.s) {
		return nil, errNotStandalone
	}
	return v, nil
}

func (p *litParser) space() {
	for p.pos < len(p.s) && unicode.IsSpace(rune(p.s[p.pos])) {
		p.pos++
	}
}

func (p *litParser) eat(tok string) bool {
	p.space()
	if strings.HasPrefix(p.s[p.pos:], tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

func (p *litParser) expr() (any, error) {
	v, err := p.product()
	if err != nil {
		return nil, err
	}
	for p.eat("~>") {
		name, args, err := p.call()
		if err != nil {
			return nil, err
		}
		v, err = callPicture(name, append([]any{v}, args...))
		if err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (p *litParser) product() (any, error) {
	v, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.eat("*") {
		w, err := p.unary()
		if err != nil {
			return nil, err
		}
		a, ok1 := v.(float64)
		b, ok2 := w.(float64)
		if !ok1 || !ok2 {
			return nil, errNotStandalone
		}
		v = a * b
	}
	return v, nil
}

func (p *litParser) unary() (any, error) {
	if p.eat("-") {
		v, err := p.unary()
		if err != nil {
			return nil, err
		}
		f, ok := v.(float64)
		if !ok {
			return nil, errNotStandalone
		}
		return -f, nil
	}
	return p.primary()
}

func (p *litParser) primary() (any, error) {
	p.space()
	if p.pos >= len(p.s) {
		return nil, errNotStandalone
	}
	c := p.s[p.pos]
	switch {
	case c == '(':
		p.pos++
		if p.eat(")") {
			return undefined, nil
		}
		var v any
		for {
			if p.eat("$") {
				start := p.pos
				name := p.ident()
				if p.eat(":=") {
					w, err := p.expr()
					if err != nil {
						return nil, err
					}
					p.vars[name] = w
					v = w
				} else {
					p.pos = start - 1
					w, err := p.expr()
					if err != nil {
						return nil, err
					}
					v = w
				}
			} else {
				w, err := p.expr()
				if err != nil {
					return nil, err
				}
				v = w
			}
			if p.eat(";") {
				continue
			}
			if p.eat(")") {
				return v, nil
			}
			return nil, errNotStandalone
		}
	case c == '"' || c == '\'':
		return p.str()
	case c >= '0' && c <= '9':
		start := p.pos
		for p.pos < len(p.s) && strings.IndexByte("0123456789.eE+-", p.s[p.pos]) >= 0 {
			if (p.s[p.pos] == '+' || p.s[p.pos] == '-') && !strings.ContainsAny(p.s[p.pos-1:p.pos], "eE") {
				break
			}
			p.pos++
		}
		f, err := strconv.ParseFloat(p.s[start:p.pos], 64)
		if err != nil {
			return nil, errNotStandalone
		}
		return f, nil
	case c == '{':
		p.pos++
		obj := map[string]any{}
		for !p.eat("}") {
			p.space()
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			if !p.eat(":") {
				return nil, errNotStandalone
			}
			v, err := p.expr()
			if err != nil {
				return nil, err
			}
			obj[k.(string)] = v
			p.eat(",")
		}
		return obj, nil
	case c == '$':
		save := p.pos
		p.pos++
		name := p.ident()
		p.space()
		if p.pos < len(p.s) && p.s[p.pos] == '(' {
			p.pos = save
			name, args, err := p.call()
			if err != nil {
				return nil, err
			}
			return callPicture(name, args)
		}
		if v, ok := p.vars[name]; ok {
			return v, nil
		}
		return nil, errNotStandalone
	case unicode.IsLetter(rune(c)):
		// A path such as foo or nothing: the cases have no input there.
		p.ident()
		p.space()
		if p.pos < len(p.s) && strings.IndexByte(".[(", p.s[p.pos]) >= 0 {
			return nil, errNotStandalone
		}
		return undefined, nil
	}
	return nil, errNotStandalone
}

func (p *litParser) ident() string {
	start := p.pos
	for p.pos < len(p.s) && (unicode.IsLetter(rune(p.s[p.pos])) || unicode.IsDigit(rune(p.s[p.pos])) || p.s[p.pos] == '_') {
		p.pos++
	}
	return p.s[start:p.pos]
}

func (p *litParser) str() (any, error) {
	p.space()
	if p.pos >= len(p.s) || (p.s[p.pos] != '"' && p.s[p.pos] != '\'') {
		return nil, errNotStandalone
	}
	q := p.s[p.pos]
	p.pos++
	var b strings.Builder
	for p.pos < len(p.s) && p.s[p.pos] != q {
		if p.s[p.pos] == '\\' && p.pos+1 < len(p.s) {
			p.pos++
		}
		b.WriteByte(p.s[p.pos])
		p.pos++
	}
	if p.pos >= len(p.s) {
		return nil, errNotStandalone
	}
	p.pos++
	return b.String(), nil
}

func (p *litParser) call() (string, []any, error) {
	if !p.eat("$") {
		return "", nil, errNotStandalone
	}
	name := p.ident()
	if !p.eat("(") {
		return "", nil, errNotStandalone
	}
	var args []any
	if p.eat(")") {
		return name, args, nil
	}
	for {
		v, err := p.expr()
		if err != nil {
			return "", nil, err
		}
		args = append(args, v)
		if p.eat(",") {
			continue
		}
		if p.eat(")") {
			return name, args, nil
		}
		return "", nil, errNotStandalone
	}
}

// callPicture maps a JSONata call onto this package as the evaluator does.
func callPicture(name string, args []any) (any, error) {
	arg := func(i int) any {
		if i < len(args) {
			return args[i]
		}
		return undefined
	}
	str := func(i int) (string, bool) { s, ok := arg(i).(string); return s, ok }
	num := func(i int) (float64, bool) { f, ok := arg(i).(float64); return f, ok }
	switch name {
	case "formatNumber":
		v, ok := num(0)
		if !ok {
			return undefined, nil
		}
		pic, _ := str(1)
		var f *DecimalFormat
		if o, ok := arg(2).(map[string]any); ok {
			d := DefaultDecimalFormat()
			for k, val := range o {
				if s, ok := val.(string); ok {
					d.Set(k, s)
				}
			}
			f = &d
		}
		return FormatNumber(v, pic, f)
	case "formatBase":
		v, ok := num(0)
		if !ok {
			return undefined, nil
		}
		radix, ok := num(1)
		if !ok {
			radix = 10
		}
		return FormatBase(v, radix)
	case "formatInteger":
		v, ok := num(0)
		if !ok {
			return undefined, nil
		}
		pic, _ := str(1)
		return FormatInteger(v, pic)
	case "parseInteger":
		s, ok := str(0)
		if !ok {
			return undefined, nil
		}
		pic, _ := str(1)
		return ParseInteger(s, pic)
	case "fromMillis":
		v, ok := num(0)
		if !ok {
			return undefined, nil
		}
		pic, hasPic := str(1)
		if hasPic && pic == "" {
			return "", nil
		}
		tz, _ := str(2)
		return FormatDateTime(int64(v), pic, tz)
	case "toMillis":
		s, ok := str(0)
		if !ok {
			return undefined, nil
		}
		pic, hasPic := str(1)
		if !hasPic {
			ms, err := ParseISO8601(s)
			return float64(ms), err
		}
		ms, ok, err := ParseDateTime(s, pic)
		if err != nil || !ok {
			return undefined, err
		}
		return float64(ms), nil
	}
	return nil, errNotStandalone
}
