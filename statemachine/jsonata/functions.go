package jsonata

import (
	"encoding/base64"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/statemachine/jsonata/picture"
)

type nativeFn = func(ev *evaluator, args []any, input any, env *frame) (any, error)

type builtin struct {
	name  string
	sig   string
	arity int
	fn    nativeFn
}

var (
	baseOnce sync.Once
	stdFuncs map[string]*function
	sfnFuncs map[string]*function
	stdFrame *frame
	sfnFrame *frame
)

func makeFuncs(list []builtin) map[string]*function {
	m := make(map[string]*function, len(list))
	for _, b := range list {
		m[b.name] = &function{name: b.name, sig: mustSignature(b.sig), native: b.fn, arity: b.arity}
	}
	return m
}

func initBuiltins() {
	stdFuncs = makeFuncs(standardBuiltins())
	sfnFuncs = make(map[string]*function, len(stdFuncs)+6)
	for k, v := range stdFuncs {
		if k != "eval" {
			sfnFuncs[k] = v
		}
	}
	for k, v := range makeFuncs(stepFunctionsBuiltins()) {
		sfnFuncs[k] = v
	}
	stdFrame = &frame{vars: map[string]any{}}
	for k, v := range stdFuncs {
		stdFrame.vars[k] = v
	}
	sfnFrame = &frame{vars: map[string]any{}}
	for k, v := range sfnFuncs {
		sfnFrame.vars[k] = v
	}
}

// baseFrame returns the shared, read-only frame of built-in functions.
func baseFrame(c *config) *frame {
	baseOnce.Do(initBuiltins)
	f := stdFrame
	if c.sfn {
		f = sfnFrame
	}
	if len(c.funcs) > 0 {
		g := newFrame(f)
		for k, v := range c.funcs {
			g.bind(k, v)
		}
		return g
	}
	return f
}

func arg(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}

func num(v any) float64 { f, _ := v.(float64); return f }

func runes(s string) []rune { return []rune(s) }

func seqOf(items []any) *array { return &array{items: items, seq: true} }

func standardBuiltins() []builtin {
	return []builtin{
		{"sum", "<a<n>:n>", 1, fnSum},
		{"count", "<a:n>", 1, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return 0.0, nil
			}
			return float64(len(a[0].(*array).items)), nil
		}},
		{"max", "<a<n>:n>", 1, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) { return minmax(a[0], 1) }},
		{"min", "<a<n>:n>", 1, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) { return minmax(a[0], -1) }},
		{"average", "<a<n>:n>", 1, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil || len(a[0].(*array).items) == 0 {
				return nil, nil
			}
			s, _ := fnSum(ev, a, nil, nil)
			return s.(float64) / float64(len(a[0].(*array).items)), nil
		}},
		{"string", "<x-b?:s>", 1, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			pretty, _ := arg(a, 1).(bool)
			return stringify(a[0], pretty)
		}},
		{"substring", "<s-nn?:s>", 3, fnSubstring},
		{"substringBefore", "<s-s:s>", 2, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			s, sep := a[0].(string), strArg(a, 1)
			if i := strings.Index(s, sep); i >= 0 {
				return s[:i], nil
			}
			return s, nil
		}},
		{"substringAfter", "<s-s:s>", 2, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			s, sep := a[0].(string), strArg(a, 1)
			if i := strings.Index(s, sep); i >= 0 {
				return s[i+len(sep):], nil
			}
			return s, nil
		}},
		{"lowercase", "<s-:s>", 1, strFn(jsLower)},
		{"uppercase", "<s-:s>", 1, strFn(jsUpper)},
		{"length", "<s-:n>", 1, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			return float64(utf8.RuneCountInString(a[0].(string))), nil
		}},
		{"trim", "<s-:s>", 1, strFn(trimJS)},
		{"pad", "<s-ns?:s>", 3, fnPad},
		{"match", "<s-f<s:o>n?:a<o>>", 3, fnMatch},
		{"contains", "<s-(sf):b>", 2, fnContains},
		{"replace", "<s-(sf)(sf)n?:s>", 4, fnReplace},
		{"split", "<s-(sf)n?:a<s>>", 3, fnSplit},
		{"join", "<a<s>s?:s>", 2, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			sep := strArg(a, 1)
			items := a[0].(*array).items
			parts := make([]string, len(items))
			size := int64(len(sep)) * int64(len(items))
			for i, it := range items {
				parts[i] = it.(string)
				size += int64(len(parts[i]))
			}
			if err := ev.grow(size, 0); err != nil {
				return nil, err
			}
			return strings.Join(parts, sep), nil
		}},
		{"formatNumber", "<n-so?:s>", 3, fnFormatNumber},
		{"formatBase", "<n-n?:s>", 2, fnFormatBase},
		{"formatInteger", "<n-s:s>", 2, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			s, err := picture.FormatInteger(a[0].(float64), strArg(a, 1))
			return s, pictureErr(err)
		}},
		{"parseInteger", "<s-s:n>", 2, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			f, err := picture.ParseInteger(a[0].(string), strArg(a, 1))
			if err != nil {
				return nil, pictureErr(err)
			}
			return f, nil
		}},
		{"number", "<(nsb)-:n>", 1, fnNumber},
		{"floor", "<n-:n>", 1, numFn(math.Floor)},
		{"ceil", "<n-:n>", 1, numFn(math.Ceil)},
		{"round", "<n-n?:n>", 2, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			p := 0
			if a[1] != nil {
				p = int(num(a[1]))
			}
			return roundHalfEven(a[0].(float64), p), nil
		}},
		{"abs", "<n-:n>", 1, numFn(math.Abs)},
		{"sqrt", "<n-:n>", 1, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			if num(a[0]) < 0 {
				return nil, &Error{Code: "D3060", Value: a[0], Message: "The sqrt function cannot be applied to a negative number: " + jsNumber(num(a[0]))}
			}
			return math.Sqrt(num(a[0])), nil
		}},
		{"power", "<n-n:n>", 2, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			r := math.Pow(num(a[0]), num(a[1]))
			if math.IsNaN(r) || math.IsInf(r, 0) {
				return nil, &Error{Code: "D3061", Value: a[0], Message: "The power function has resulted in a value that cannot be represented as a JSON number: base=" + jsNumber(num(a[0])) + ", exponent=" + jsNumber(num(a[1]))}
			}
			return r, nil
		}},
		{"random", "<:n>", 0, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) { return rand.Float64(), nil }},
		{"boolean", "<x-:b>", 1, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			return toBool(a[0]), nil
		}},
		{"not", "<x-:b>", 1, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			return !toBool(a[0]), nil
		}},
		{"map", "<af>", 2, fnMap},
		{"zip", "<a+>", 1, fnZip},
		{"filter", "<af>", 2, fnFilter},
		{"single", "<af?>", 2, fnSingle},
		{"reduce", "<afj?:j>", 3, fnReduce},
		{"sift", "<o-f?:o>", 2, fnSift},
		{"keys", "<x-:a<s>>", 1, fnKeys},
		{"lookup", "<x-s:x>", 2, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			return fnLookup(a[0], strArg(a, 1)), nil
		}},
		{"append", "<xx:a>", 2, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			return appendValues(a[0], a[1]), nil
		}},
		{"exists", "<x:b>", 1, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) { return a[0] != nil, nil }},
		{"spread", "<x-:a<o>>", 1, fnSpread},
		{"merge", "<a<o>:o>", 1, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			out := newObject(4)
			for _, it := range a[0].(*array).items {
				for _, k := range objKeys(it) {
					v, _ := objGet(it, k)
					out.set(k, v)
				}
			}
			return out, nil
		}},
		{"reverse", "<a:a>", 1, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			items := a[0].(*array).items
			if len(items) <= 1 {
				return a[0], nil
			}
			out := make([]any, len(items))
			for i, it := range items {
				out[len(items)-1-i] = it
			}
			return &array{items: out}, nil
		}},
		{"each", "<o-f?:a>", 2, fnEach},
		{"error", "<s?:x>", 1, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			msg := "$error() function evaluated"
			if s, ok := arg(a, 0).(string); ok {
				msg = s
			}
			return nil, &Error{Code: "D3137", Message: msg}
		}},
		{"assert", "<bs?:x>", 2, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if b, _ := a[0].(bool); !b {
				msg := "$assert() statement failed"
				if s, ok := arg(a, 1).(string); ok {
					msg = s
				}
				return nil, &Error{Code: "D3141", Message: msg}
			}
			return nil, nil
		}},
		{"sort", "<af?:a>", 2, fnSort},
		{"shuffle", "<a:a>", 1, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			items := append([]any(nil), a[0].(*array).items...)
			rand.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
			return &array{items: items}, nil
		}},
		{"distinct", "<x:x>", 1, fnDistinct},
		// jsonata-js 2.0.6 encodes the low byte of each UTF-16 unit and
		// decodes bytes as Latin-1 (btoa/atob); kept for fidelity.
		{"base64encode", "<s-:s>", 1, strFn(func(s string) string {
			u := utf16Of(s)
			b := make([]byte, len(u))
			for i, c := range u {
				b[i] = byte(c)
			}
			return base64.StdEncoding.EncodeToString(b)
		})},
		{"base64decode", "<s-:s>", 1, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			s := strings.TrimRight(a[0].(string), "=")
			b, err := base64.RawStdEncoding.DecodeString(s)
			if err != nil {
				return nil, &Error{Code: "D3137", Value: a[0], Message: "Invalid base64 string"}
			}
			r := make([]rune, len(b))
			for i, c := range b {
				r[i] = rune(c)
			}
			return string(r), nil
		}},
		{"encodeUrlComponent", "<s-:s>", 1, urlEncoder("encodeUrlComponent", "-_.!~*'()")},
		{"encodeUrl", "<s-:s>", 1, urlEncoder("encodeUrl", "-_.!~*'();/?:@&=+$,#")},
		{"decodeUrlComponent", "<s-:s>", 1, urlDecoder("decodeUrlComponent", "")},
		{"decodeUrl", "<s-:s>", 1, urlDecoder("decodeUrl", ";/?:@&=+$,#")},
		{"eval", "<sx?:x>", 2, fnEval},
		{"toMillis", "<s-s?:n>", 2, fnToMillis},
		{"fromMillis", "<n-s?s?:s>", 3, fnFromMillis},
		{"clone", "<(oa)-:o>", 1, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) { return cloneJSON(a[0]), nil }},
		{"now", "<s?s?:s>", 2, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			return formatMillis(ev.millis(), arg(a, 0), arg(a, 1))
		}},
		{"millis", "<:n>", 0, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) { return float64(ev.millis()), nil }},
		{"type", "<x:s>", 1, func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			return typeName(a[0]), nil
		}},
	}
}

func (ev *evaluator) millis() int64 {
	if !ev.nowSet {
		ev.now = time.Now()
		ev.nowSet = true
	}
	return ev.now.UnixMilli()
}

func strArg(a []any, i int) string { s, _ := arg(a, i).(string); return s }

func strFn(f func(string) string) nativeFn {
	return func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
		if a[0] == nil {
			return nil, nil
		}
		return f(a[0].(string)), nil
	}
}

func numFn(f func(float64) float64) nativeFn {
	return func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
		if a[0] == nil {
			return nil, nil
		}
		return f(a[0].(float64)), nil
	}
}

func pictureErr(err error) error {
	if err == nil {
		return nil
	}
	if pe, ok := err.(*picture.Error); ok {
		return &Error{Code: pe.Code, Value: wrap(pe.Value), Message: pe.Message}
	}
	return &Error{Code: "D3000", Message: err.Error()}
}

func fnSum(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	s := 0.0
	for _, it := range a[0].(*array).items {
		s += it.(float64)
	}
	return s, nil
}

func minmax(v any, sign float64) (any, error) {
	if v == nil {
		return nil, nil
	}
	items := v.(*array).items
	if len(items) == 0 {
		return nil, nil
	}
	best := items[0].(float64)
	for _, it := range items[1:] {
		f := it.(float64)
		if (f-best)*sign > 0 {
			best = f
		}
	}
	return best, nil
}

// jsSliceIndex converts a JavaScript slice index into [0, n].
func jsSliceIndex(i float64, n int) int {
	if math.IsNaN(i) {
		return 0
	}
	i = math.Trunc(i)
	if i < 0 {
		i += float64(n)
		if i < 0 {
			return 0
		}
	}
	if i > float64(n) {
		return n
	}
	return int(i)
}

func fnSubstring(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	rs := runes(a[0].(string))
	n := len(rs)
	start := num(a[1])
	if float64(n)+start < 0 {
		start = 0
	}
	if a[2] != nil {
		length := num(a[2])
		if length <= 0 {
			return "", nil
		}
		var end float64
		if start >= 0 {
			end = start + length
		} else {
			end = float64(n) + start + length
		}
		s, e := jsSliceIndex(start, n), jsSliceIndex(end, n)
		if e < s {
			return "", nil
		}
		return string(rs[s:e]), nil
	}
	return string(rs[jsSliceIndex(start, n):]), nil
}

func trimJS(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

func fnPad(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	s := a[0].(string)
	width := num(a[1])
	char := " "
	if c, ok := arg(a, 2).(string); ok && c != "" {
		char = c
	}
	if ev.maxBytes > 0 && math.Abs(width)*float64(len(char)) > float64(ev.maxBytes) {
		return nil, limitError(0, msgMemory)
	}
	padLen := int(math.Abs(width)) - utf8.RuneCountInString(s)
	if padLen <= 0 || char == "" {
		return s, nil
	}
	pad := []rune(strings.Repeat(char, padLen))[:padLen]
	if width > 0 {
		return s + string(pad), nil
	}
	return string(pad) + s, nil
}

func limitArg(v any) int {
	if v == nil {
		return -1
	}
	return int(num(v))
}

func fnMatch(ev *evaluator, a []any, input any, env *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	if a[2] != nil && num(a[2]) < 0 {
		return nil, &Error{Code: "D3040", Value: a[2], Message: "Third argument of match function must evaluate to a positive number"}
	}
	s := a[0].(string)
	ms, err := ev.findMatches(a[1], s, limitArg(a[2]), input, env)
	if err != nil {
		return nil, err
	}
	out := seqOf(nil)
	for _, m := range ms {
		out.items = append(out.items, m.object(s))
	}
	return out, nil
}

func fnContains(ev *evaluator, a []any, input any, env *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	s := a[0].(string)
	switch p := a[1].(type) {
	case string:
		return strings.Contains(s, p), nil
	case *regex:
		return p.re.MatchString(s), nil
	}
	ms, err := ev.findMatches(a[1], s, 1, input, env)
	if err != nil {
		return nil, err
	}
	return len(ms) > 0, nil
}

func fnReplace(ev *evaluator, a []any, input any, env *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	s := a[0].(string)
	if p, ok := a[1].(string); ok && p == "" {
		return nil, &Error{Code: "D3010", Value: p, Message: "Second argument of replace function cannot be an empty string"}
	}
	if a[3] != nil && num(a[3]) < 0 {
		return nil, &Error{Code: "D3011", Value: a[3], Message: "Fourth argument of replace function must evaluate to a positive number"}
	}
	limit := limitArg(a[3])
	var ms []reMatch
	switch p := a[1].(type) {
	case string:
		from := 0
		for limit < 0 || len(ms) < limit {
			i := strings.Index(s[from:], p)
			if i < 0 {
				break
			}
			ms = append(ms, reMatch{start: from + i, end: from + i + len(p), match: p})
			from += i + len(p)
		}
	default:
		var err error
		ms, err = ev.findMatches(p, s, limit, input, env)
		if err != nil {
			return nil, err
		}
	}
	var b strings.Builder
	last := 0
	for _, m := range ms {
		b.WriteString(s[last:m.start])
		switch r := a[2].(type) {
		case string:
			b.WriteString(expandReplacement(r, m))
		default:
			res, err := ev.apply(r, []any{m.object(s)}, input, env)
			if err != nil {
				return nil, err
			}
			rs, ok := res.(string)
			if !ok {
				return nil, &Error{Code: "D3012", Value: res, Message: "Attempted to replace a matched string with a non-string value"}
			}
			b.WriteString(rs)
		}
		last = m.end
		if err := ev.capBytes(int64(b.Len()), 0); err != nil {
			return nil, err
		}
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// expandReplacement substitutes $$, $0 and $n in a replacement string.
func expandReplacement(r string, m reMatch) string {
	var b strings.Builder
	ng := len(m.groups)
	for i := 0; i < len(r); i++ {
		c := r[i]
		if c != '$' || i+1 >= len(r) {
			b.WriteByte(c)
			continue
		}
		n := r[i+1]
		switch {
		case n == '$':
			b.WriteByte('$')
			i++
		case n == '0':
			b.WriteString(m.match)
			i++
		case n >= '1' && n <= '9':
			maxDigits := 1
			if ng > 0 {
				maxDigits = len(strconv.Itoa(ng))
			}
			j := i + 1
			for j < len(r) && j < i+1+maxDigits && r[j] >= '0' && r[j] <= '9' {
				j++
			}
			idx, _ := strconv.Atoi(r[i+1 : j])
			if j-(i+1) > 1 && idx > ng {
				j--
				idx, _ = strconv.Atoi(r[i+1 : j])
			}
			if idx >= 1 && idx <= ng {
				if g, ok := m.groups[idx-1].(string); ok {
					b.WriteString(g)
				}
			}
			i = j - 1
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

func fnSplit(ev *evaluator, a []any, input any, env *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	s := a[0].(string)
	if a[2] != nil && num(a[2]) < 0 {
		return nil, &Error{Code: "D3020", Value: a[2], Message: "Third argument of split function must evaluate to a positive number"}
	}
	limit := limitArg(a[2])
	var parts []string
	switch p := a[1].(type) {
	case string:
		if p == "" {
			for _, r := range s {
				parts = append(parts, string(r))
			}
		} else {
			parts = strings.Split(s, p)
		}
	default:
		ms, err := ev.findMatches(p, s, -1, input, env)
		if err != nil {
			return nil, err
		}
		last := 0
		for _, m := range ms {
			parts = append(parts, s[last:m.start])
			last = m.end
		}
		parts = append(parts, s[last:])
	}
	if limit >= 0 && len(parts) > limit {
		parts = parts[:limit]
	}
	out := &array{items: make([]any, len(parts))}
	for i, p := range parts {
		out.items[i] = p
	}
	return out, nil
}

func fnFormatNumber(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	var df *picture.DecimalFormat
	if o := arg(a, 2); o != nil {
		d := picture.DefaultDecimalFormat()
		for _, k := range objKeys(o) {
			v, _ := objGet(o, k)
			if s, ok := v.(string); ok {
				d.Set(k, s)
			}
		}
		df = &d
	}
	s, err := picture.FormatNumber(a[0].(float64), strArg(a, 1), df)
	if err != nil {
		return nil, pictureErr(err)
	}
	return s, nil
}

func fnFormatBase(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	radix := 10.0
	if a[1] != nil {
		radix = num(a[1])
	}
	if radix < 2 || radix > 36 {
		return nil, &Error{Code: "D3100", Value: radix, Message: "The radix of the formatBase function must be between 2 and 36.  It was given " + jsNumber(radix)}
	}
	v := roundHalfEven(num(a[0]), 0)
	return strconv.FormatInt(int64(v), int(radix)), nil
}

func fnNumber(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	switch x := a[0].(type) {
	case nil:
		return nil, nil
	case float64:
		return x, nil
	case bool:
		if x {
			return 1.0, nil
		}
		return 0.0, nil
	case string:
		if f, ok := parseJSNumber(x); ok {
			return f, nil
		}
	}
	return nil, &Error{Code: "D3030", Value: a[0], Message: "Unable to cast value to a number: " + previewValue(a[0])}
}

// decimalNumber is the text $number accepts as decimal: JSON's number
// syntax, except that leading zeros are allowed.
var decimalNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$`)

// radixNumber mirrors jsonata-js's check for 0x/0o/0b literals, whose
// alternation is not anchored at both ends; JavaScript's Number() then
// gives NaN for text that only partly matches.
var radixNumber = regexp.MustCompile(`^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$`)

func parseJSNumber(s string) (float64, bool) {
	if decimalNumber.MatchString(s) {
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil && !math.IsInf(f, 0)
	}
	if radixNumber.MatchString(s) {
		if len(s) > 2 && s[0] == '0' {
			base := map[byte]int{'x': 16, 'X': 16, 'o': 8, 'O': 8, 'b': 2, 'B': 2}[s[1]]
			if v, err := strconv.ParseUint(s[2:], base, 64); base != 0 && err == nil {
				return float64(v), true
			}
		}
		return math.NaN(), true
	}
	return 0, false
}

// roundHalfEven rounds to p decimal places, ties to even, working on the
// decimal text so that 2.675 behaves as its written form.
func roundHalfEven(v float64, p int) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	shifted := shiftDecimal(v, p)
	r := math.Round(shifted)
	if math.Abs(shifted-math.Trunc(shifted)) == 0.5 {
		r = 2 * math.Round(shifted/2)
	}
	out := shiftDecimal(r, -p)
	if out == 0 {
		return 0
	}
	return out
}

func shiftDecimal(v float64, p int) float64 {
	if p == 0 {
		return v
	}
	s := strconv.FormatFloat(v, 'e', -1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(exp)
	f, _ := strconv.ParseFloat(mant+"e"+strconv.Itoa(e+p), 64)
	return f
}

func hofArgs(fn any, v any, i int, all any) []any {
	n := funcArity(fn)
	args := []any{v}
	if n >= 2 {
		args = append(args, float64(i))
	}
	if n >= 3 {
		args = append(args, all)
	}
	return args
}

func fnMap(ev *evaluator, a []any, input any, env *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	out := seqOf(nil)
	for i, it := range a[0].(*array).items {
		r, err := ev.apply(a[1], hofArgs(a[1], it, i, a[0]), input, env)
		if err != nil {
			return nil, err
		}
		if r != nil {
			out.items = append(out.items, r)
		}
	}
	return out, nil
}

func fnFilter(ev *evaluator, a []any, input any, env *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	out := seqOf(nil)
	for i, it := range a[0].(*array).items {
		r, err := ev.apply(a[1], hofArgs(a[1], it, i, a[0]), input, env)
		if err != nil {
			return nil, err
		}
		if toBool(r) {
			out.items = append(out.items, it)
		}
	}
	return out, nil
}

func fnSingle(ev *evaluator, a []any, input any, env *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	var found any
	n := 0
	for i, it := range a[0].(*array).items {
		ok := true
		if a[1] != nil {
			r, err := ev.apply(a[1], hofArgs(a[1], it, i, a[0]), input, env)
			if err != nil {
				return nil, err
			}
			ok = toBool(r)
		}
		if ok {
			n++
			if n > 1 {
				return nil, &Error{Code: "D3138", Message: "The $single() function expected exactly 1 matching result.  Instead it matched more."}
			}
			found = it
		}
	}
	if n == 0 {
		return nil, &Error{Code: "D3139", Message: "The $single() function expected exactly 1 matching result.  Instead it matched 0."}
	}
	return found, nil
}

func fnReduce(ev *evaluator, a []any, input any, env *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	arity := funcArity(a[1])
	if arity < 2 {
		return nil, &Error{Code: "D3050", Value: a[1], Message: "The second argument of reduce function must be a function with at least two arguments"}
	}
	items := a[0].(*array).items
	acc := a[2]
	i := 0
	if acc == nil && len(items) > 0 {
		acc = items[0]
		i = 1
	}
	for ; i < len(items); i++ {
		args := []any{acc, items[i]}
		if arity >= 3 {
			args = append(args, float64(i))
		}
		if arity >= 4 {
			args = append(args, a[0])
		}
		r, err := ev.apply(a[1], args, input, env)
		if err != nil {
			return nil, err
		}
		acc = r
	}
	return acc, nil
}

func objArgs(fn any, v any, k string, o any) []any {
	n := funcArity(fn)
	args := []any{v}
	if n >= 2 {
		args = append(args, k)
	}
	if n >= 3 {
		args = append(args, o)
	}
	return args
}

func fnSift(ev *evaluator, a []any, input any, env *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	out := newObject(4)
	for _, k := range objKeys(a[0]) {
		v, _ := objGet(a[0], k)
		r, err := ev.apply(a[1], objArgs(a[1], v, k, a[0]), input, env)
		if err != nil {
			return nil, err
		}
		if toBool(r) {
			out.set(k, v)
		}
	}
	if len(out.keys) == 0 {
		return nil, nil
	}
	return out, nil
}

func fnEach(ev *evaluator, a []any, input any, env *frame) (any, error) {
	out := seqOf(nil)
	if a[0] == nil {
		return out, nil
	}
	for _, k := range objKeys(a[0]) {
		v, _ := objGet(a[0], k)
		r, err := ev.apply(a[1], objArgs(a[1], v, k, a[0]), input, env)
		if err != nil {
			return nil, err
		}
		if r != nil {
			out.items = append(out.items, r)
		}
	}
	return out, nil
}

func fnZip(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	out := &array{}
	if len(a) == 0 {
		return out, nil
	}
	n := math.MaxInt
	for _, x := range a {
		if x == nil {
			return out, nil
		}
		if l := len(x.(*array).items); l < n {
			n = l
		}
	}
	for i := 0; i < n; i++ {
		t := &array{}
		for _, x := range a {
			t.items = append(t.items, x.(*array).items[i])
		}
		out.items = append(out.items, t)
	}
	return out, nil
}

func fnKeys(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	out := seqOf(nil)
	switch x := a[0].(type) {
	case *array:
		// Keys of the members, recursively for nested arrays.
		seen := map[string]bool{}
		for _, it := range x.items {
			sub, _ := fnKeys(ev, []any{it}, nil, nil)
			for _, kv := range toItems(sub) {
				k := kv.(string)
				if !seen[k] {
					seen[k] = true
					out.items = append(out.items, k)
				}
			}
		}
	default:
		for _, k := range objKeys(x) {
			out.items = append(out.items, k)
		}
	}
	return out, nil
}

func fnLookup(v any, key string) any {
	switch x := v.(type) {
	case *array:
		out := seqOf(nil)
		for _, it := range x.items {
			r := fnLookup(it, key)
			if a, ok := r.(*array); ok {
				out.items = append(out.items, a.items...)
			} else if r != nil {
				out.items = append(out.items, r)
			}
		}
		return out
	}
	if isObject(v) {
		r, _ := objGet(v, key)
		return r
	}
	return nil
}

func fnSpread(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	switch x := a[0].(type) {
	case nil:
		return nil, nil
	case *array:
		// Appending to the initial empty sequence yields a plain array,
		// as $append does.
		out := seqOf(nil)
		for _, it := range x.items {
			r, _ := fnSpread(ev, []any{it}, nil, nil)
			if r == nil {
				continue
			}
			out.seq = false
			out.items = flattenInto(out.items, r)
		}
		return out, nil
	}
	if !isObject(a[0]) {
		return a[0], nil
	}
	out := seqOf(nil)
	for _, k := range objKeys(a[0]) {
		v, _ := objGet(a[0], k)
		o := newObject(1)
		o.set(k, v)
		out.items = append(out.items, o)
	}
	return out, nil
}

func fnSort(ev *evaluator, a []any, input any, env *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	items := a[0].(*array).items
	if len(items) <= 1 {
		return a[0], nil
	}
	var sortErr error
	var greater func(x, y any) bool
	if a[1] == nil {
		allNum, allStr := true, true
		for _, it := range items {
			if !isNumber(it) {
				allNum = false
			}
			if !isString(it) {
				allStr = false
			}
		}
		if !allNum && !allStr {
			return nil, &Error{Code: "D3070", Value: a[0], Message: "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function"}
		}
		greater = func(x, y any) bool {
			if allNum {
				return x.(float64) > y.(float64)
			}
			return compareStrings(x.(string), y.(string)) > 0
		}
	} else {
		greater = func(x, y any) bool {
			if sortErr != nil {
				return false
			}
			r, err := ev.apply(a[1], []any{x, y}, input, env)
			if err != nil {
				sortErr = err
				return false
			}
			return toBool(r)
		}
	}
	out := mergeSort(items, greater)
	if sortErr != nil {
		return nil, sortErr
	}
	return &array{items: out}, nil
}

func fnDistinct(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	x, ok := a[0].(*array)
	if !ok || len(x.items) <= 1 {
		return a[0], nil
	}
	out := &array{seq: x.seq}
	for _, it := range x.items {
		ev.tick(len(out.items))
		dup := false
		for _, o := range out.items {
			if deepEqual(o, it) {
				dup = true
				break
			}
		}
		if !dup {
			out.items = append(out.items, it)
		}
	}
	return out, nil
}

func urlEncoder(name, keep string) nativeFn {
	return func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
		if a[0] == nil {
			return nil, nil
		}
		s := a[0].(string)
		var b strings.Builder
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return nil, &Error{Code: "D3140", Value: s, FunctionName: name, Message: "Malformed URL passed to $" + name + "(): " + strconv.Quote(s)}
			}
			c := s[i]
			if size == 1 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(keep, c) >= 0) {
				b.WriteByte(c)
			} else {
				for j := 0; j < size; j++ {
					b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(s[i+j])|0x100, 16)[1:]))
				}
			}
			i += size
		}
		return b.String(), nil
	}
}

func urlDecoder(name, reserved string) nativeFn {
	return func(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
		if a[0] == nil {
			return nil, nil
		}
		s := a[0].(string)
		bad := &Error{Code: "D3140", Value: s, FunctionName: name, Message: "Malformed URL passed to $" + name + "(): \"" + s + "\""}
		var b strings.Builder
		for i := 0; i < len(s); {
			if s[i] != '%' {
				b.WriteByte(s[i])
				i++
				continue
			}
			var bytes []byte
			for i < len(s) && s[i] == '%' {
				if i+3 > len(s) {
					return nil, bad
				}
				v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
				if err != nil {
					return nil, bad
				}
				if len(bytes) == 0 && v < 0x80 {
					if strings.IndexByte(reserved, byte(v)) >= 0 {
						b.WriteString(s[i : i+3])
					} else {
						b.WriteByte(byte(v))
					}
					i += 3
					break
				}
				bytes = append(bytes, byte(v))
				i += 3
				if utf8.FullRune(bytes) {
					break
				}
			}
			if len(bytes) > 0 {
				if !utf8.Valid(bytes) {
					return nil, bad
				}
				b.Write(bytes)
			}
		}
		return b.String(), nil
	}
}

func fnEval(ev *evaluator, a []any, input any, env *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	src := a[0].(string)
	root, err := parse(src)
	if err != nil {
		e := err.(*Error)
		return nil, &Error{Code: "D3120", Value: e.Message, Message: "Syntax error in expression passed to function eval: " + e.Message}
	}
	ctx := input
	if len(a) > 1 && a[1] != nil {
		ctx = a[1]
	}
	if arr, ok := ctx.(*array); ok && !arr.seq {
		ctx = &array{items: []any{arr}, seq: true, outer: true}
	}
	res, err := ev.eval(root, ctx, env)
	if err != nil {
		msg := err.Error()
		if e, ok := err.(*Error); ok {
			msg = e.Message
		}
		return nil, &Error{Code: "D3121", Value: msg, Message: "Dynamic error evaluating the expression passed to function eval: " + msg}
	}
	return res, nil
}

func formatMillis(ms int64, pic, tz any) (any, error) {
	p, _ := pic.(string)
	z, _ := tz.(string)
	if pic == nil && tz == nil {
		return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z"), nil
	}
	s, err := picture.FormatDateTime(ms, p, z)
	if err != nil {
		return nil, pictureErr(err)
	}
	return s, nil
}

func fnFromMillis(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	return formatMillis(int64(math.Floor(num(a[0]))), arg(a, 1), arg(a, 2))
}

func fnToMillis(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	s := a[0].(string)
	if p, ok := arg(a, 1).(string); ok {
		ms, ok, err := picture.ParseDateTimeAt(s, p, ev.millis())
		if err != nil {
			return nil, pictureErr(err)
		}
		if !ok {
			return nil, nil
		}
		return float64(ms), nil
	}
	ms, err := picture.ParseISO8601(s)
	if err != nil {
		return nil, pictureErr(err)
	}
	return float64(ms), nil
}

// jsUpper is String.prototype.toUpperCase: Go's simple case mapping plus
// the unconditional multi-character mappings of Unicode SpecialCasing
// that occur in practice.
func jsUpper(s string) string {
	if isASCII(s) {
		return strings.ToUpper(s)
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case 'ß':
			b.WriteString("SS")
		case 'ﬀ':
			b.WriteString("FF")
		case 'ﬁ':
			b.WriteString("FI")
		case 'ﬂ':
			b.WriteString("FL")
		case 'ﬃ':
			b.WriteString("FFI")
		case 'ﬄ':
			b.WriteString("FFL")
		case 'ﬅ', 'ﬆ':
			b.WriteString("ST")
		case 'ŉ':
			b.WriteString("ʼN")
		case 'և':
			b.WriteString("ԵՒ")
		default:
			b.WriteString(strings.ToUpper(string(r)))
		}
	}
	return b.String()
}

// jsLower is String.prototype.toLowerCase, including İ and the final
// sigma rule.
func jsLower(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		switch {
		case r == 'İ':
			b.WriteString("i\u0307")
		case r == 'Σ' && i > 0 && unicode.IsLetter(rs[i-1]) && (i+1 == len(rs) || !unicode.IsLetter(rs[i+1])):
			b.WriteRune('ς')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
