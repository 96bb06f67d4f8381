package picture

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kinds of primary format token (F&O 3.1 §4.6.2).
const (
	intDecimal = iota // decimal digit pattern such as "#,##0"
	intRoman          // "I" or "i"
	intAlpha          // "A" or "a"
	intWords          // "W", "w" or "Ww"
)

// intFormat is a parsed fn:format-integer picture (or the integer part of
// a date/time component's presentation modifier).
type intFormat struct {
	kind    int
	upper   bool // roman, alpha and words: upper case
	title   bool // words: "Ww"
	ordinal bool // format modifier "o"

	// Decimal digit patterns.
	zero      rune       // first digit of the digit family
	mandatory int        // mandatory digit signs
	optional  int        // optional digit signs (#)
	groups    []intGroup // grouping separators, nearest the units first
	regular   int        // regular grouping interval, or 0
}

type intGroup struct {
	pos int // number of digit signs to the right of the separator
	sep string
}

// digitZero returns the first digit of r's decimal digit family, or -1
// when r is not a decimal digit (Unicode category Nd).
func digitZero(r rune) rune {
	if !unicode.IsDigit(r) {
		return -1
	}
	start := r
	for unicode.IsDigit(start - 1) {
		start--
	}
	// Digit families are runs of ten; some runs hold several families.
	return start + (r-start)/10*10
}

var intCache cache[intFormat]

// parseIntPicture parses a whole fn:format-integer picture: the primary
// format token, optionally followed by ";" and a format modifier.
func parseIntPicture(picture string) (intFormat, error) {
	primary, modifier := picture, ""
	if i := strings.LastIndexByte(picture, ';'); i >= 0 {
		primary, modifier = picture[:i], picture[i+1:]
	}
	f, err := parsePrimaryToken(primary)
	if err != nil {
		return f, err
	}
	f.ordinal = strings.HasPrefix(modifier, "o")
	return f, nil
}

func parsePrimaryToken(tok string) (intFormat, error) {
	switch tok {
	case "I", "i":
		return intFormat{kind: intRoman, upper: tok == "I"}, nil
	case "A", "a":
		return intFormat{kind: intAlpha, upper: tok == "A"}, nil
	case "W", "w", "Ww":
		return intFormat{kind: intWords, upper: tok == "W", title: tok == "Ww"}, nil
	}
	f := intFormat{kind: intDecimal, zero: -1}
	type sign struct {
		digit bool
		sep   string
	}
	var signs []sign
	for _, r := range tok {
		switch z := digitZero(r); {
		case r == '#':
			f.optional++
			signs = append(signs, sign{digit: true})
		case z >= 0:
			if f.zero >= 0 && z != f.zero {
				return f, errorf("D3131", tok, "In a decimal digit pattern, all digits must be from the same decimal group")
			}
			f.zero = z
			f.mandatory++
			signs = append(signs, sign{digit: true})
		default:
			signs = append(signs, sign{sep: string(r)})
		}
	}
	if f.mandatory == 0 {
		first, _ := utf8.DecodeRuneInString(tok)
		return f, errorf("D3130", string(first), "Formatting or parsing an integer as a sequence starting with %q is not supported by this implementation", string(first))
	}
	digits := 0
	for i := len(signs) - 1; i >= 0; i-- {
		if signs[i].digit {
			digits++
		} else if digits > 0 {
			f.groups = append(f.groups, intGroup{pos: digits, sep: signs[i].sep})
		}
	}
	// Regular grouping: the same separator at N, 2N, 3N, … is extended leftwards.
	if n := len(f.groups); n > 0 {
		g := f.groups[0].pos
		regular := true
		for i, gr := range f.groups {
			if gr.pos != g*(i+1) || gr.sep != f.groups[0].sep {
				regular = false
			}
		}
		if regular {
			f.regular = g
		}
	}
	return f, nil
}

// format renders n (a non-negative integer) padded to at least pad digits.
func (f *intFormat) formatDecimal(n float64, pad int) string {
	ds := strconv.FormatFloat(n, 'f', 0, 64)
	if len(ds) < pad {
		ds = strings.Repeat("0", pad-len(ds)) + ds
	}
	var b strings.Builder
	for i := 0; i < len(ds); i++ {
		b.WriteRune(f.zero + rune(ds[i]-'0'))
		pos := len(ds) - 1 - i
		if pos == 0 {
			continue
		}
		if f.regular > 0 {
			if pos%f.regular == 0 {
				b.WriteString(f.groups[0].sep)
			}
			continue
		}
		for _, g := range f.groups {
			if g.pos == pos {
				b.WriteString(g.sep)
			}
		}
	}
	return b.String()
}

// render formats n (a non-negative integer) according to the token kind.
func (f *intFormat) render(n float64, pad int) string {
	switch f.kind {
	case intRoman:
		s := roman(n)
		if !f.upper {
			s = strings.ToLower(s)
		}
		return s
	case intAlpha:
		s := alpha(n)
		if f.upper {
			s = strings.ToUpper(s)
		}
		return s
	case intWords:
		s := words(n)
		if f.ordinal {
			s = ordinalWords(s)
		}
		switch {
		case f.upper:
			s = strings.ToUpper(s)
		case f.title:
			s = titleWords(s)
		}
		return s
	}
	s := f.formatDecimal(n, pad)
	if f.ordinal {
		s += ordinalSuffix(n)
	}
	return s
}

// FormatInteger formats the integer part of v (rounded down, as JSONata
// does) with an fn:format-integer picture string, as $formatInteger does:
// decimal digit patterns in any Unicode digit family with grouping
// separators, roman numerals (I, i), alphabetic sequences (A, a) and
// English words (W, w, Ww), with the ";o" ordinal modifier.
func FormatInteger(v float64, picture string) (string, error) {
	f, err := intCache.get(picture, parseIntPicture)
	if err != nil {
		return "", err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "", errorf("D3130", v, "formatInteger cannot format %v", v)
	}
	n := math.Floor(v)
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return sign + f.render(n, f.mandatory), nil
}

func ordinalSuffix(n float64) string {
	last2 := math.Mod(n, 100)
	if last2 >= 11 && last2 <= 13 {
		return "th"
	}
	switch math.Mod(n, 10) {
	case 1:
		return "st"
	case 2:
		return "nd"
	case 3:
		return "rd"
	}
	return "th"
}

var romanTable = []struct {
	v int
	s string
}{{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"}, {50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}}

// roman renders n in roman numerals; 0 is the empty string and thousands
// repeat M.
func roman(n float64) string {
	if n > 1e6 { // beyond this the string is absurd; keep memory bounded
		return strconv.FormatFloat(n, 'f', 0, 64)
	}
	var b strings.Builder
	k := int(n)
	for _, r := range romanTable {
		for k >= r.v {
			b.WriteString(r.s)
			k -= r.v
		}
	}
	return b.String()
}

func parseRoman(s string) float64 {
	s = strings.ToUpper(s)
	total := 0
	for s != "" {
		matched := false
		for _, r := range romanTable {
			if strings.HasPrefix(s, r.s) {
				total += r.v
				s = s[len(r.s):]
				matched = true
				break
			}
		}
		if !matched {
			return math.NaN()
		}
	}
	return float64(total)
}

// alpha renders n in bijective base 26 (a … z, aa, ab, …); 0 is "".
func alpha(n float64) string {
	var out []byte
	for n > 0 {
		n--
		d := math.Mod(n, 26)
		out = append(out, byte('a'+int(d)))
		n = math.Floor(n / 26)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

func parseAlpha(s string) float64 {
	n := 0.0
	for _, r := range strings.ToLower(s) {
		if r < 'a' || r > 'z' {
			return math.NaN()
		}
		n = n*26 + float64(r-'a'+1)
	}
	return n
}

var (
	smallWords = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	tensWords  = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
	scaleWords = []struct {
		v float64
		s string
	}{{1e12, "trillion"}, {1e9, "billion"}, {1e6, "million"}, {1e3, "thousand"}}
	// Irregular ordinals; every other word takes "th" ("twenty" → "twentieth" aside).
	ordinalIrregular = map[string]string{"one": "first", "two": "second", "three": "third", "five": "fifth",
		"eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
)

// words renders n in British English words ("one hundred and one").
// Numbers of a thousand trillion and more repeat "trillion", computed in
// float64 as JSONata does.
func words(n float64) string {
	switch {
	case n < 20:
		return smallWords[int(n)]
	case n < 100:
		s := tensWords[int(n)/10]
		if r := int(n) % 10; r > 0 {
			s += "-" + smallWords[r]
		}
		return s
	case n < 1000:
		s := smallWords[int(n)/100] + " hundred"
		if r := int(n) % 100; r > 0 {
			s += " and " + words(float64(r))
		}
		return s
	}
	for _, sc := range scaleWords {
		if n >= sc.v {
			lhs := math.Floor(n / sc.v)
			rem := n - lhs*sc.v
			s := words(lhs) + " " + sc.s
			if rem > 0 {
				if rem < 100 {
					s += " and "
				} else {
					s += ", "
				}
				s += words(rem)
			}
			return s
		}
	}
	return ""
}

// ordinalWords turns the last word of a cardinal into its ordinal.
func ordinalWords(s string) string {
	i := strings.LastIndexAny(s, " -") + 1
	last := s[i:]
	switch {
	case ordinalIrregular[last] != "":
		last = ordinalIrregular[last]
	case strings.HasSuffix(last, "y"):
		last = last[:len(last)-1] + "ieth"
	default:
		last += "th"
	}
	return s[:i] + last
}

// titleWords capitalises every word except "and".
func titleWords(s string) string {
	b := []byte(s)
	for i := range b {
		if (i == 0 || b[i-1] == ' ' || b[i-1] == '-') && b[i] >= 'a' && b[i] <= 'z' {
			if strings.HasPrefix(s[i:], "and ") {
				continue
			}
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}

// wordValues maps every cardinal and ordinal number word to its value.
var wordValues = func() map[string]float64 {
	m := map[string]float64{"hundred": 100, "hundredth": 100}
	add := func(w string, v float64) {
		m[w] = v
		m[ordinalWords(w)] = v
	}
	for i, w := range smallWords {
		add(w, float64(i))
	}
	for i, w := range tensWords[2:] {
		add(w, float64(i+2)*10)
	}
	for _, sc := range scaleWords {
		add(sc.s, sc.v)
	}
	return m
}()

// parseWords reads English number words (cardinal or ordinal, any case).
func parseWords(s string) float64 {
	fields := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == ' ' || r == '-' || r == ',' || unicode.IsSpace(r)
	})
	total, current := 0.0, 0.0
	seen := false
	for _, w := range fields {
		if w == "and" {
			continue
		}
		v, ok := wordValues[w]
		if !ok {
			return math.NaN()
		}
		seen = true
		switch {
		case v == 100:
			if current == 0 {
				current = 1
			}
			current *= 100
		case v >= 1000:
			if current == 0 {
				if total == 0 {
					total = 1
				}
				total *= v
			} else {
				total += current * v
			}
			current = 0
		default:
			current += v
		}
	}
	if !seen {
		return math.NaN()
	}
	return total + current
}

// ParseInteger parses s according to an fn:format-integer picture
// string, as $parseInteger does; it is the inverse of [FormatInteger].
// Like JSONata 2.0.6, text that does not match the picture gives NaN
// (which JSONata shows as null), not an error; a bad picture is an error.
func ParseInteger(s, picture string) (float64, error) {
	f, err := intCache.get(picture, parseIntPicture)
	if err != nil {
		return 0, err
	}
	switch f.kind {
	case intRoman:
		return parseRoman(s), nil
	case intAlpha:
		return parseAlpha(s), nil
	case intWords:
		return parseWords(s), nil
	}
	return f.parseDecimal(s), nil
}

// parseDecimal reads an optional minus sign and the leading digits of the
// pattern's family, skipping the pattern's grouping separators.
func (f *intFormat) parseDecimal(s string) float64 {
	seps := map[rune]bool{}
	for _, g := range f.groups {
		r, _ := utf8.DecodeRuneInString(g.sep)
		seps[r] = true
	}
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	n, digits := 0.0, 0
	for _, r := range s {
		if r >= f.zero && r <= f.zero+9 {
			n = n*10 + float64(r-f.zero)
			digits++
			continue
		}
		if seps[r] && digits > 0 {
			continue
		}
		break
	}
	if digits == 0 {
		return math.NaN()
	}
	if neg {
		n = -n
	}
	return n
}
