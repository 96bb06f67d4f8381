package jsonata

import (
	"regexp"
	"strings"
	"unicode/utf16"
)

// regex is a compiled regular-expression literal. JavaScript RegExp syntax
// is translated to Go's RE2 syntax; features RE2 lacks (lookaround,
// backreferences) are compile errors.
type regex struct {
	src   string
	flags string
	re    *regexp.Regexp
}

func compileRegex(pattern, flags string) (*regex, *Error) {
	prefix := ""
	for _, f := range flags {
		switch f {
		case 'i':
			prefix += "i"
		case 'm':
			prefix += "m"
		case 'g', 's', 'u', 'y':
			if f == 's' {
				prefix += "s"
			}
		default:
			return nil, &Error{Code: "S0302", Message: "Invalid regular expression flag: " + string(f)}
		}
	}
	goPat := translateRegex(pattern)
	if prefix != "" {
		goPat = "(?" + prefix + ")" + goPat
	}
	re, err := regexp.Compile(goPat)
	if err != nil {
		return nil, &Error{Code: "S0302", Value: pattern, Message: "Unsupported regular expression /" + pattern + "/: " + err.Error()}
	}
	return &regex{src: pattern, flags: flags, re: re}, nil
}

// translateRegex rewrites the JavaScript-only escapes into RE2 syntax.
func translateRegex(p string) string {
	if !strings.Contains(p, `\u`) && !strings.Contains(p, `\/`) && !strings.Contains(p, `(?<`) && !strings.Contains(p, `\c`) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '\\' && i+1 < len(p) {
			n := p[i+1]
			switch {
			case n == 'u' && i+5 < len(p):
				b.WriteString(`\x{` + p[i+2:i+6] + `}`)
				i += 5
				continue
			case n == '/':
				b.WriteByte('/')
				i++
				continue
			}
			b.WriteByte(c)
			b.WriteByte(n)
			i++
			continue
		}
		if c == '(' && strings.HasPrefix(p[i:], "(?<") && i+3 < len(p) && p[i+3] != '=' && p[i+3] != '!' {
			b.WriteString("(?P<")
			i += 2
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// reMatch is one match: byte offsets plus group texts.
type reMatch struct {
	start, end int
	match      string
	groups     []any // strings; "" for groups that did not participate
}

// matches finds successive matches, as JavaScript's global exec loop does.
// A zero-length match is error D1004.
func (r *regex) matches(s string, limit int) ([]reMatch, error) {
	var out []reMatch
	locs := r.re.FindAllStringSubmatchIndex(s, -1)
	for _, loc := range locs {
		if limit >= 0 && len(out) >= limit {
			break
		}
		if loc[0] == loc[1] {
			return nil, &Error{Code: "D1004", Value: r.src, Message: "Regular expression matches zero length string"}
		}
		m := reMatch{start: loc[0], end: loc[1], match: s[loc[0]:loc[1]]}
		for g := 1; g*2 < len(loc); g++ {
			if loc[2*g] < 0 {
				m.groups = append(m.groups, "")
			} else {
				m.groups = append(m.groups, s[loc[2*g]:loc[2*g+1]])
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// utf16Index converts a byte offset in s to a UTF-16 index.
func utf16Index(s string, byteOff int) int {
	if isASCII(s[:byteOff]) {
		return byteOff
	}
	return len(utf16Of(s[:byteOff]))
}

func (m reMatch) object(s string) *object {
	o := newObject(3)
	o.set("match", m.match)
	o.set("index", float64(utf16Index(s, m.start)))
	o.set("groups", &array{items: append([]any{}, m.groups...)})
	return o
}

// matchObject is the value of invoking a regex as a function: the first
// match at or after byte offset from, with start, end, groups and next().
func (r *regex) matchObject(s string, from int) any {
	if from > len(s) {
		return nil
	}
	loc := r.re.FindStringSubmatchIndex(s[from:])
	if loc == nil || loc[0] == loc[1] {
		return nil
	}
	o := newObject(5)
	o.set("match", s[from+loc[0]:from+loc[1]])
	o.set("start", float64(utf16Index(s, from+loc[0])))
	o.set("end", float64(utf16Index(s, from+loc[1])))
	groups := &array{}
	for g := 1; g*2 < len(loc); g++ {
		if loc[2*g] < 0 {
			groups.items = append(groups.items, "")
		} else {
			groups.items = append(groups.items, s[from+loc[2*g]:from+loc[2*g+1]])
		}
	}
	o.set("groups", groups)
	next := from + loc[1]
	o.set("next", &function{name: "next", arity: 0, native: func(ev *evaluator, args []any, input any, env *frame) (any, error) {
		return r.matchObject(s, next), nil
	}})
	return o
}

// findMatches runs a regex, or a custom matcher function (one returning
// {match, start, end, groups, next}), over s.
func (ev *evaluator) findMatches(m any, s string, limit int, input any, env *frame) ([]reMatch, error) {
	if re, ok := m.(*regex); ok {
		return re.matches(s, limit)
	}
	bad := &Error{Code: "T1010", Message: "The matcher function argument passed to function does not return the correct object structure"}
	res, err := ev.apply(m, []any{s}, input, env)
	if err != nil {
		return nil, err
	}
	u16 := utf16Of(s)
	var out []reMatch
	for res != nil && (limit < 0 || len(out) < limit) {
		match, _ := objGet(res, "match")
		start, _ := objGet(res, "start")
		end, _ := objGet(res, "end")
		groups, _ := objGet(res, "groups")
		ms, ok1 := match.(string)
		st, ok2 := start.(float64)
		en, ok3 := end.(float64)
		ga, ok4 := groups.(*array)
		if !isObject(res) || !ok1 || !ok2 || !ok3 || !ok4 || st < 0 || en < st || int(en) > len(u16) {
			return nil, bad
		}
		out = append(out, reMatch{start: byteOffset(u16, int(st)), end: byteOffset(u16, int(en)), match: ms, groups: ga.items})
		next, _ := objGet(res, "next")
		if next == nil {
			break
		}
		res, err = ev.apply(next, nil, input, env)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// byteOffset converts a UTF-16 index into a byte offset in the UTF-8 text.
func byteOffset(u16 []uint16, i int) int {
	return len(string(utf16.Decode(u16[:i])))
}
