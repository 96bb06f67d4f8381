package picture

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DecimalFormat holds the $formatNumber options: the characters that
// play the special roles of a picture string and the strings used for
// special values. The zero value is not useful; start from
// [DefaultDecimalFormat] and change fields with [DecimalFormat.Set].
type DecimalFormat struct {
	DecimalSeparator  string // "decimal-separator", default "."
	GroupingSeparator string // "grouping-separator", default ","
	ExponentSeparator string // "exponent-separator", default "e"
	Infinity          string // "infinity", default "Infinity"
	NaN               string // "NaN", default "NaN"
	MinusSign         string // "minus-sign", default "-"
	Percent           string // "percent", default "%"
	PerMille          string // "per-mille", default "‰"
	ZeroDigit         string // "zero-digit", default "0"; its first character starts the digit family
	Digit             string // "digit", default "#"
	PatternSeparator  string // "pattern-separator", default ";"
}

// DefaultDecimalFormat returns the default decimal format of XPath 3.1.
func DefaultDecimalFormat() DecimalFormat {
	return DecimalFormat{
		DecimalSeparator:  ".",
		GroupingSeparator: ",",
		ExponentSeparator: "e",
		Infinity:          "Infinity",
		NaN:               "NaN",
		MinusSign:         "-",
		Percent:           "%",
		PerMille:          "‰",
		ZeroDigit:         "0",
		Digit:             "#",
		PatternSeparator:  ";",
	}
}

// Set changes the option called name (as spelled in the $formatNumber
// options object, for example "zero-digit") to value. Unknown names are
// ignored, as JSONata ignores them.
func (f *DecimalFormat) Set(name, value string) {
	switch name {
	case "decimal-separator":
		f.DecimalSeparator = value
	case "grouping-separator":
		f.GroupingSeparator = value
	case "exponent-separator":
		f.ExponentSeparator = value
	case "infinity":
		f.Infinity = value
	case "NaN":
		f.NaN = value
	case "minus-sign":
		f.MinusSign = value
	case "percent":
		f.Percent = value
	case "per-mille":
		f.PerMille = value
	case "zero-digit":
		f.ZeroDigit = value
	case "digit":
		f.Digit = value
	case "pattern-separator":
		f.PatternSeparator = value
	}
}

// Token kinds of a number sub-picture.
const (
	tkDigit    = iota // member of the decimal digit family (mandatory digit)
	tkOptional        // optional-digit-sign
	tkDecimal         // decimal-separator-sign
	tkGroup           // grouping-separator-sign
	tkExponent        // exponent-separator candidate; active only between active characters
	tkPercent
	tkPerMille
	tkPassive
)

type numToken struct {
	kind int
	text string
}

func (t numToken) active() bool { return t.kind <= tkGroup }

// subPicture is the analysis of one sub-picture (F&O 3.1 §4.7.4).
type subPicture struct {
	prefix, suffix   string
	intGroups        []int // grouping positions counted from the decimal point leftwards
	intGroupRegular  int   // regular grouping interval, or 0
	fracGroups       []int // grouping positions counted from the decimal point rightwards
	minInt           int
	scaling          int
	minFrac, maxFrac int
	minExp           int // 0: no exponent
	percent          bool
	perMille         bool
}

func (f *DecimalFormat) tokenize(pic string) []numToken {
	zero, _ := utf8.DecodeRuneInString(f.ZeroDigit)
	specials := []struct {
		s    string
		kind int
	}{
		{f.DecimalSeparator, tkDecimal},
		{f.GroupingSeparator, tkGroup},
		{f.ExponentSeparator, tkExponent},
		{f.Percent, tkPercent},
		{f.PerMille, tkPerMille},
		{f.Digit, tkOptional},
	}
	var toks []numToken
	for pic != "" {
		matched := false
		for _, sp := range specials {
			if sp.s != "" && strings.HasPrefix(pic, sp.s) {
				toks = append(toks, numToken{sp.kind, sp.s})
				pic = pic[len(sp.s):]
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		r, n := utf8.DecodeRuneInString(pic)
		kind := tkPassive
		if r >= zero && r <= zero+9 {
			kind = tkDigit
		}
		toks = append(toks, numToken{kind, pic[:n]})
		pic = pic[n:]
	}
	// An exponent separator counts only between two active characters.
	for i, t := range toks {
		if t.kind != tkExponent {
			continue
		}
		if i == 0 || i == len(toks)-1 || !toks[i-1].active() || !toks[i+1].active() {
			toks[i].kind = tkPassive
		}
	}
	return toks
}

func (f *DecimalFormat) analyse(pic string) (*subPicture, error) {
	toks := f.tokenize(pic)
	sp := &subPicture{}
	var err error
	if sp.percent, sp.perMille, err = checkMarkers(pic, toks); err != nil {
		return nil, err
	}

	first, last := -1, -1
	expAt := -1
	for i, t := range toks {
		if t.active() || t.kind == tkExponent {
			if first < 0 {
				first = i
			}
			last = i
		}
		if t.kind == tkExponent && expAt < 0 {
			expAt = i
		}
	}
	mantissaEnd := len(toks)
	if expAt >= 0 {
		mantissaEnd = expAt
	}
	hasDigit := false
	for _, t := range toks[:mantissaEnd] {
		if t.kind == tkDigit || t.kind == tkOptional {
			hasDigit = true
		}
	}
	if !hasDigit {
		return nil, errorf("D3085", pic, "The mantissa part of the sub-picture %q must contain at least one digit or optional-digit sign", pic)
	}
	for i := first + 1; i < last; i++ {
		if k := toks[i].kind; k == tkPassive || k == tkPercent || k == tkPerMille {
			return nil, errorf("D3086", pic, "The sub-picture %q must not contain a passive character between two active characters", pic)
		}
	}
	for i := range toks {
		if i == 0 {
			continue
		}
		a, b := toks[i-1].kind, toks[i].kind
		if (a == tkGroup && b == tkDecimal) || (a == tkDecimal && b == tkGroup) {
			return nil, errorf("D3087", pic, "The sub-picture %q must not have a grouping-separator next to the decimal-separator", pic)
		}
	}
	// Integer part: active characters of the mantissa before the decimal separator.
	decAt := -1
	for i, t := range toks[:mantissaEnd] {
		if t.kind == tkDecimal {
			decAt = i
		}
	}
	intEnd := mantissaEnd
	if decAt >= 0 {
		intEnd = decAt
	}
	var intPart, fracPart []numToken
	for _, t := range toks[:intEnd] {
		if t.active() {
			intPart = append(intPart, t)
		}
	}
	if decAt >= 0 {
		for _, t := range toks[decAt+1 : mantissaEnd] {
			if t.active() {
				fracPart = append(fracPart, t)
			}
		}
	}
	if len(intPart) > 0 && intPart[len(intPart)-1].kind == tkGroup {
		return nil, errorf("D3088", pic, "The integer part of the sub-picture %q must not end with a grouping-separator", pic)
	}
	for i := 1; i < len(toks); i++ {
		if toks[i-1].kind == tkGroup && toks[i].kind == tkGroup {
			return nil, errorf("D3089", pic, "The sub-picture %q must not contain two adjacent grouping-separators", pic)
		}
	}
	if err := checkDigitOrder(pic, intPart, fracPart); err != nil {
		return nil, err
	}
	if expAt >= 0 && (sp.percent || sp.perMille) {
		return nil, errorf("D3092", pic, "The sub-picture %q must not contain both an exponent-separator and a percent or per-mille character", pic)
	}
	if expAt >= 0 {
		for _, t := range toks[expAt+1 : last+1] {
			if t.kind != tkDigit {
				return nil, errorf("D3093", pic, "The exponent part of the sub-picture %q must consist only of digits", pic)
			}
			sp.minExp++
		}
	}

	// Prefix and suffix: passive characters outside the active span.
	for _, t := range toks[:first] {
		sp.prefix += t.text
	}
	for _, t := range toks[last+1:] {
		sp.suffix += t.text
	}

	sp.layoutInteger(intPart)
	sp.layoutFraction(fracPart)
	sp.settleMinimums(intPart, decAt >= 0, expAt >= 0)
	return sp, nil
}

// settleMinimums sets the scaling factor and the minimum digit counts a
// picture implies when it asks for none, as XPath format-number does.
func (sp *subPicture) settleMinimums(intPart []numToken, hasDecimal, hasExponent bool) {
	sp.scaling = sp.minInt
	if sp.minInt == 0 && !hasDecimal {
		sp.minInt = 1
	}
	if sp.minInt == 0 && sp.maxFrac == 0 {
		if hasExponent {
			sp.minFrac, sp.maxFrac = 1, 1
		} else {
			sp.minInt = 1
		}
	}
	if hasExponent && sp.minInt == 0 {
		for _, t := range intPart {
			if t.kind == tkOptional {
				sp.minInt = 1
				break
			}
		}
	}
}

// checkMarkers checks that the sub-picture has at most one decimal
// separator, one percent or per-mille character, and not both, and reports
// which of percent and per-mille it has.
func checkMarkers(pic string, toks []numToken) (percent, perMille bool, err error) {
	var nDec, nPct, nPml, nExp int
	for _, t := range toks {
		switch t.kind {
		case tkDecimal:
			nDec++
		case tkPercent:
			nPct++
		case tkPerMille:
			nPml++
		case tkExponent:
			nExp++
		}
	}
	if nDec > 1 {
		return false, false, errorf("D3081", pic, "The sub-picture %q must not contain more than one decimal-separator", pic)
	}
	if nPct > 1 {
		return false, false, errorf("D3082", pic, "The sub-picture %q must not contain more than one percent character", pic)
	}
	if nPml > 1 {
		return false, false, errorf("D3083", pic, "The sub-picture %q must not contain more than one per-mille character", pic)
	}
	if nPct > 0 && nPml > 0 {
		return false, false, errorf("D3084", pic, "The sub-picture %q must not contain both a percent and a per-mille character", pic)
	}
	return nPct > 0, nPml > 0, nil
}

// checkDigitOrder checks that no optional-digit sign follows a digit in the
// integer part and no digit follows an optional-digit sign in the
// fractional part.
func checkDigitOrder(pic string, intPart, fracPart []numToken) error {
	seenMandatory := false
	for _, t := range intPart {
		if t.kind == tkDigit {
			seenMandatory = true
		} else if t.kind == tkOptional && seenMandatory {
			return errorf("D3090", pic, "The integer part of the sub-picture %q must not have an optional-digit sign after a digit", pic)
		}
	}
	seenOptional := false
	for _, t := range fracPart {
		if t.kind == tkOptional {
			seenOptional = true
		} else if t.kind == tkDigit && seenOptional {
			return errorf("D3091", pic, "The fractional part of the sub-picture %q must not have a digit after an optional-digit sign", pic)
		}
	}
	return nil
}

// layoutInteger records the integer part's minimum digits and grouping
// separator positions (and their regular interval, if any).
func (sp *subPicture) layoutInteger(intPart []numToken) {
	digits := 0
	for i := len(intPart) - 1; i >= 0; i-- {
		switch intPart[i].kind {
		case tkGroup:
			sp.intGroups = append(sp.intGroups, digits)
		case tkDigit:
			sp.minInt++
			digits++
		default:
			digits++
		}
	}
	if len(sp.intGroups) > 0 {
		g := sp.intGroups[0]
		for _, p := range sp.intGroups[1:] {
			g = gcd(g, p)
		}
		regular := g > 0
		have := map[int]bool{}
		for _, p := range sp.intGroups {
			have[p] = true
		}
		for m := g; regular && m <= digits; m += g {
			if !have[m] {
				regular = false
			}
		}
		if regular {
			sp.intGroupRegular = g
		}
	}
}

// layoutFraction records the fractional part's minimum and maximum digits
// and grouping separator positions.
func (sp *subPicture) layoutFraction(fracPart []numToken) {
	digits := 0
	for _, t := range fracPart {
		switch t.kind {
		case tkGroup:
			sp.fracGroups = append(sp.fracGroups, digits)
		case tkDigit:
			sp.minFrac++
			sp.maxFrac++
			digits++
		default:
			sp.maxFrac++
			digits++
		}
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// FormatNumber formats v with an fn:format-number picture string, as
// $formatNumber does. A nil f means [DefaultDecimalFormat]. Rounding is
// half to even on the shortest decimal form of v, as XPath 3.1 specifies.
func FormatNumber(v float64, picture string, f *DecimalFormat) (string, error) {
	if f == nil || *f == DefaultDecimalFormat() {
		d := DefaultDecimalFormat()
		pics, err := numberCache.get(picture, func(p string) ([]*subPicture, error) { return d.analysePicture(p) })
		if err != nil {
			return "", err
		}
		return d.format(v, pics), nil
	}
	pics, err := f.analysePicture(picture)
	if err != nil {
		return "", err
	}
	return f.format(v, pics), nil
}

var numberCache cache[[]*subPicture]

// analysePicture splits a picture into its one or two sub-pictures and
// analyses them.
func (f *DecimalFormat) analysePicture(picture string) ([]*subPicture, error) {
	subs := []string{picture}
	if f.PatternSeparator != "" {
		subs = strings.Split(picture, f.PatternSeparator)
	}
	if len(subs) > 2 {
		return nil, errorf("D3080", picture, "The picture string %q must contain at most two sub-pictures", picture)
	}
	pics := make([]*subPicture, len(subs))
	for i, s := range subs {
		sp, err := f.analyse(s)
		if err != nil {
			return nil, err
		}
		pics[i] = sp
	}
	return pics, nil
}

func (f *DecimalFormat) format(v float64, pics []*subPicture) string {
	if math.IsNaN(v) {
		return f.NaN
	}
	sp := pics[0]
	prefix := sp.prefix
	if v < 0 {
		if len(pics) == 2 {
			sp = pics[1]
			prefix = sp.prefix
		} else {
			prefix = f.MinusSign + sp.prefix
		}
	}
	if math.IsInf(v, 0) {
		return prefix + f.Infinity + sp.suffix
	}
	a := math.Abs(v)
	if sp.percent {
		a *= 100
	} else if sp.perMille {
		a *= 1000
	}
	d := newDecimal(a)
	exp := 0
	if sp.minExp > 0 && !d.isZero() {
		exp = d.point - sp.scaling
		d.point = sp.scaling
	}
	d.round(sp.maxFrac)
	if sp.minExp > 0 && !d.isZero() && d.point > sp.scaling {
		// Rounding carried into a new digit (9.99 → 10.0): renormalise.
		exp += d.point - sp.scaling
		d.point = sp.scaling
		d.round(sp.maxFrac)
	}
	intDigits, fracDigits := d.split()
	intDigits = strings.TrimLeft(intDigits, "0")
	for len(intDigits) < sp.minInt {
		intDigits = "0" + intDigits
	}
	fracDigits = strings.TrimRight(fracDigits, "0")
	for len(fracDigits) < sp.minFrac {
		fracDigits += "0"
	}

	if intDigits == "" && fracDigits == "" {
		// Zero with no mandatory digits still shows one digit, after the
		// decimal separator when the picture has fractional digits (as
		// jsonata-js 2.0.6 does: $formatNumber(0, "#.#") is ".0").
		if sp.maxFrac > 0 {
			fracDigits = "0"
		} else {
			intDigits = "0"
		}
	}
	zero, _ := utf8.DecodeRuneInString(f.ZeroDigit)
	var b strings.Builder
	b.WriteString(prefix)
	n := len(intDigits)
	for i := 0; i < n; i++ {
		b.WriteRune(zero + rune(intDigits[i]-'0'))
		pos := n - 1 - i // digits still to the right
		if pos > 0 && isGroupPos(pos, sp.intGroups, sp.intGroupRegular) {
			b.WriteString(f.GroupingSeparator)
		}
	}
	if fracDigits != "" {
		b.WriteString(f.DecimalSeparator)
		for i := 0; i < len(fracDigits); i++ {
			if i > 0 && isGroupPos(i, sp.fracGroups, 0) {
				b.WriteString(f.GroupingSeparator)
			}
			b.WriteRune(zero + rune(fracDigits[i]-'0'))
		}
	}
	if sp.minExp > 0 {
		b.WriteString(f.ExponentSeparator)
		if exp < 0 {
			b.WriteString(f.MinusSign)
			exp = -exp
		}
		es := strconv.Itoa(exp)
		for i := len(es); i < sp.minExp; i++ {
			b.WriteRune(zero)
		}
		for i := 0; i < len(es); i++ {
			b.WriteRune(zero + rune(es[i]-'0'))
		}
	}
	b.WriteString(sp.suffix)
	return b.String()
}

func isGroupPos(pos int, explicit []int, regular int) bool {
	if regular > 0 {
		return pos%regular == 0
	}
	for _, p := range explicit {
		if p == pos {
			return true
		}
	}
	return false
}

// decimal is a non-negative number as decimal digits: value = 0.digits × 10^point.
type decimal struct {
	digits []byte // ASCII digits without leading zeros; empty for zero
	point  int
}

func newDecimal(a float64) decimal {
	if a == 0 {
		return decimal{}
	}
	s := strconv.FormatFloat(a, 'e', -1, 64) // d.ddddde±xx, shortest round trip
	mant, expStr, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(expStr)
	ds := strings.Replace(mant, ".", "", 1)
	return decimal{digits: []byte(ds), point: e + 1}
}

func (d *decimal) isZero() bool { return len(d.digits) == 0 }

// round keeps at most frac digits after the point, rounding half to even.
func (d *decimal) round(frac int) {
	keep := d.point + frac
	if keep >= len(d.digits) {
		return
	}
	if keep < 0 {
		d.digits, d.point = nil, 0
		return
	}
	up := false
	switch first := d.digits[keep]; {
	case first > '5':
		up = true
	case first == '5':
		rest := strings.TrimRight(string(d.digits[keep+1:]), "0")
		if rest != "" {
			up = true
		} else {
			up = keep > 0 && (d.digits[keep-1]-'0')%2 == 1
		}
	}
	d.digits = d.digits[:keep]
	if up {
		i := keep - 1
		for ; i >= 0; i-- {
			if d.digits[i] == '9' {
				d.digits[i] = '0'
				continue
			}
			d.digits[i]++
			break
		}
		if i < 0 {
			d.digits = append([]byte{'1'}, d.digits...)
			d.point++
		}
	}
	// Normalise: strip trailing zeros; all zero means zero.
	t := strings.TrimRight(string(d.digits), "0")
	if t == "" {
		d.digits, d.point = nil, 0
		return
	}
	d.digits = []byte(t)
}

// split returns the integer and fractional digit strings (either may be empty).
func (d *decimal) split() (string, string) {
	if d.isZero() {
		return "", ""
	}
	s := string(d.digits)
	switch {
	case d.point <= 0:
		return "", strings.Repeat("0", -d.point) + s
	case d.point >= len(s):
		return s + strings.Repeat("0", d.point-len(s)), ""
	default:
		return s[:d.point], s[d.point:]
	}
}

// FormatBase formats v, rounded half to even to an integer, in the given
// radix, as $formatBase does; radix is rounded the same way and must be
// between 2 and 36 (D3100). Digits above 9 are lower-case letters.
func FormatBase(v, radix float64) (string, error) {
	r := math.RoundToEven(radix)
	if !(r >= 2 && r <= 36) {
		return "", errorf("D3100", radix, "The radix of the formatBase function must be between 2 and 36. It was given %v", radix)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "", errorf("D3100", v, "formatBase cannot format %v", v)
	}
	n := math.RoundToEven(v)
	bf := new(big.Float).SetFloat64(n)
	bi, _ := bf.Int(nil)
	return bi.Text(int(r)), nil
}
