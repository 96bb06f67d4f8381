package jsonata

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jsNumber formats f as JavaScript's Number.prototype.toString does.
func jsNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	neg := f < 0
	if neg {
		f = -f
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddddde±xx
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	k := len(digits)
	n := exp + 1
	var s string
	switch {
	case k <= n && n <= 21:
		s = digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		s = digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		s = "0." + strings.Repeat("0", -n) + digits
	default:
		sign := "+"
		if n-1 < 0 {
			sign = "-"
		}
		ex := n - 1
		if ex < 0 {
			ex = -ex
		}
		if k == 1 {
			s = digits + "e" + sign + strconv.Itoa(ex)
		} else {
			s = digits[:1] + "." + digits[1:] + "e" + sign + strconv.Itoa(ex)
		}
	}
	if neg {
		return "-" + s
	}
	return s
}

// precision15 rounds f to 15 significant digits, as $string does.
func precision15(f float64) float64 {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'e', 14, 64), 64)
	return r
}

// stringify is $string: strings as they are, everything else as JSON with
// numbers to 15 significant digits.
func stringify(v any, pretty bool) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case *function, *regex:
		return "", nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", &Error{Code: "D3001", Value: x, Message: "Attempting to invoke string function on Infinity or NaN"}
		}
	}
	if f, ok := firstNonFinite(v); ok {
		return "", &Error{Code: "D1001", Value: f, Message: "Number out of range: " + jsNumber(f)}
	}
	var b strings.Builder
	writeJSON(&b, v, pretty, "")
	return b.String(), nil
}

func writeJSON(b *strings.Builder, v any, pretty bool, indent string) {
	switch x := v.(type) {
	case nil, nullType:
		b.WriteString("null")
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b.WriteString("null")
			return
		}
		b.WriteString(jsNumber(precision15(x)))
	case string:
		writeJSONString(b, x)
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case *function, *regex:
		b.WriteString(`""`)
	case *array:
		if len(x.items) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		inner := indent + "  "
		for i, it := range x.items {
			if i > 0 {
				b.WriteByte(',')
			}
			if pretty {
				b.WriteString("\n" + inner)
			}
			writeJSON(b, it, pretty, inner)
		}
		if pretty {
			b.WriteString("\n" + indent)
		}
		b.WriteByte(']')
	case *object, map[string]any:
		keys := objKeys(x)
		first := true
		inner := indent + "  "
		b.WriteByte('{')
		for _, k := range keys {
			it, _ := objGet(x, k)
			if it == nil {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			if pretty {
				b.WriteString("\n" + inner)
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			if pretty {
				b.WriteByte(' ')
			}
			writeJSON(b, it, pretty, inner)
		}
		if pretty && !first {
			b.WriteString("\n" + indent)
		}
		b.WriteByte('}')
	case *tuple:
		writeJSON(b, x.vals["@"], pretty, indent)
	default:
		b.WriteString("null")
	}
}

func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			default:
				if c < 0x20 {
					b.WriteString(`\u00`)
					b.WriteByte("0123456789abcdef"[c>>4])
					b.WriteByte("0123456789abcdef"[c&0xF])
				} else {
					b.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// A lone surrogate in WTF-8 form.
			if i+2 < len(s) && s[i] == 0xED {
				cp := 0xD000 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
				b.WriteString(`\u` + strconv.FormatInt(int64(cp), 16))
				i += 3
				continue
			}
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	b.WriteByte('"')
}

// previewValue renders v for error messages.
func previewValue(v any) string {
	if v == nil {
		return "undefined"
	}
	s, _ := stringify(v, false)
	if _, ok := v.(string); ok {
		s = strconv.Quote(s)
	}
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// toBool is JSONata's boolean cast.
func toBool(v any) bool {
	switch x := v.(type) {
	case nil, nullType:
		return false
	case bool:
		return x
	case float64:
		if math.IsInf(x, 0) {
			// jsonata-js rejects Infinity here (D1001); toBool has no
			// error result, so it unwinds to Expr.eval.
			panic(evalPanic{&Error{Code: "D1001", Value: null, Message: "Number out of range: null"}})
		}
		return x != 0 && !math.IsNaN(x)
	case string:
		return x != ""
	case *array:
		if len(x.items) == 1 {
			return toBool(x.items[0])
		}
		for _, it := range x.items {
			if toBool(it) {
				return true
			}
		}
		return false
	case *object, map[string]any:
		return objLen(x) > 0
	case *function, *regex:
		return false
	}
	return false
}

// utf16Of returns s as UTF-16 code units (lone surrogates kept).
func utf16Of(s string) []uint16 {
	out := make([]uint16, 0, len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 && s[i] == 0xED && i+2 < len(s) {
			out = append(out, uint16(0xD000|rune(s[i+1]&0x3F)<<6|rune(s[i+2]&0x3F)))
			i += 3
			continue
		}
		if r >= 0x10000 {
			a, b := utf16.EncodeRune(r)
			out = append(out, uint16(a), uint16(b))
		} else {
			out = append(out, uint16(r))
		}
		i += size
	}
	return out
}

func firstNonFinite(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, math.IsInf(x, 0) || math.IsNaN(x)
	case *array:
		for _, it := range x.items {
			if f, ok := firstNonFinite(it); ok {
				return f, true
			}
		}
	case *object:
		for _, k := range x.keys {
			if f, ok := firstNonFinite(x.vals[k]); ok {
				return f, true
			}
		}
	}
	return 0, false
}
