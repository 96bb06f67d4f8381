package picture

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// isoPicture is the picture $fromMillis uses when it is given none.
const isoPicture = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"

var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
	dayNames = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)

// defaultPresentation is the presentation of each component when the
// marker has none (F&O 3.1 §9.8.4.2).
var defaultPresentation = map[byte]string{
	'Y': "1", 'M': "1", 'D': "1", 'd': "1", 'F': "n", 'W': "1", 'w': "1", 'X': "1", 'x': "1",
	'H': "1", 'h': "1", 'P': "n", 'm': "01", 's': "01", 'f': "1", 'Z': "01:01", 'z': "01:01",
	'C': "n", 'E': "n",
}

// dtPart is a literal or a variable marker of a date/time picture.
type dtPart struct {
	literal string
	comp    byte // 0 for a literal

	names    bool // presentation N, n or Nn
	nameCase byte // 'N' upper, 'n' lower, 'T' title
	num      intFormat
	tz       string // Z and z: the digit pattern ("01:01")
	zeroZ    bool   // Z with the "t" modifier: "Z" for a zero offset

	hasWidth   bool
	minW, maxW int // 0 means "*" or absent
}

var widthRe = regexp.MustCompile(`^(\*|\d+)(?:-(\*|\d+))?$`)

func parseDateTimePicture(picture string) ([]dtPart, error) {
	var parts []dtPart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, dtPart{literal: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(picture); {
		c := picture[i]
		switch {
		case c == '[' && strings.HasPrefix(picture[i:], "[["):
			lit.WriteByte('[')
			i += 2
		case c == ']' && strings.HasPrefix(picture[i:], "]]"):
			lit.WriteByte(']')
			i += 2
		case c == '[':
			end := strings.IndexByte(picture[i:], ']')
			if end < 0 {
				return nil, errorf("D3135", picture, "No matching closing bracket ']' in date/time picture string")
			}
			flush()
			// Markers are analysed after the whole picture is split, so that
			// a missing ']' is reported before a bad marker.
			parts = append(parts, dtPart{literal: picture[i+1 : i+end], comp: '['})
			i += end + 1
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	for i := range parts {
		if parts[i].comp == '[' {
			p, err := parseMarker(parts[i].literal)
			if err != nil {
				return nil, err
			}
			parts[i] = p
		}
	}
	return parts, nil
}

func parseMarker(marker string) (dtPart, error) {
	marker = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, marker)
	var p dtPart
	if marker == "" {
		return p, errorf("D3132", marker, "Unknown component specifier %q in date/time picture string", marker)
	}
	p.comp = marker[0]
	if _, ok := defaultPresentation[p.comp]; !ok {
		return p, errorf("D3132", marker[:1], "Unknown component specifier %q in date/time picture string", marker[:1])
	}
	pres := marker[1:]
	if i := strings.LastIndexByte(pres, ','); i >= 0 {
		if m := widthRe.FindStringSubmatch(pres[i+1:]); m != nil {
			p.hasWidth = true
			p.minW, _ = strconv.Atoi(m[1]) // "*" gives 0
			p.maxW, _ = strconv.Atoi(m[2])
			pres = pres[:i]
		}
	}
	if p.comp == 'Z' || p.comp == 'z' {
		if strings.HasSuffix(pres, "t") {
			p.zeroZ = true
			pres = pres[:len(pres)-1]
		}
		if pres == "" {
			pres = defaultPresentation[p.comp]
		}
		digits := 0
		for _, r := range pres {
			if unicode.IsDigit(r) {
				digits++
			}
		}
		if digits > 4 || digits == 0 {
			return p, errorf("D3134", pres, "The timezone integer format specifier cannot have more than four digits")
		}
		p.tz = pres
		return p, nil
	}
	ordinal := false
	if n := len(pres); n > 1 && strings.IndexByte("oct", pres[n-1]) >= 0 {
		ordinal = pres[n-1] == 'o'
		pres = pres[:n-1]
	}
	if pres == "" {
		pres = defaultPresentation[p.comp]
	}
	switch pres {
	case "N", "n", "Nn":
		switch p.comp {
		case 'M', 'x', 'F', 'P', 'C', 'E':
		default:
			return p, errorf("D3133", string(p.comp), "The 'name' modifier can only be applied to months and days in the date/time picture string, not %q", string(p.comp))
		}
		p.names = true
		p.nameCase = map[string]byte{"N": 'N', "n": 'n', "Nn": 'T'}[pres]
		return p, nil
	}
	f, err := parsePrimaryToken(pres)
	if err != nil {
		return p, err
	}
	f.ordinal = ordinal
	p.num = f
	switch p.comp {
	case 'F', 'P', 'C', 'E':
		// These have names by nature; a numeric presentation of F is the ISO day number.
		if p.comp != 'F' {
			p.names, p.nameCase = true, 'n'
		}
	}
	return p, nil
}

// parseTimezone reads the $fromMillis time zone argument: "", "±HHMM",
// "HHMM" or "±HH:MM"; it returns the offset in minutes east of UTC.
func parseTimezone(tz string) (int, error) {
	if tz == "" {
		return 0, nil
	}
	s := tz
	sign := 1
	switch s[0] {
	case '+':
		s = s[1:]
	case '-':
		sign, s = -1, s[1:]
	}
	s = strings.Replace(s, ":", "", 1)
	if len(s) != 4 {
		return 0, errorf("D3110", tz, "The time zone %q is not of the form ±HHMM", tz)
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[2:])
	if err1 != nil || err2 != nil || m > 59 {
		return 0, errorf("D3110", tz, "The time zone %q is not of the form ±HHMM", tz)
	}
	return sign * (h*60 + m), nil
}

// FormatDateTime formats millis (milliseconds since the Unix epoch) with
// an fn:format-dateTime picture string in the given time zone, as
// $fromMillis and $now do. timezone is "" (UTC) or "±HHMM". An empty
// picture means "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]",
// which is JavaScript's toISOString in UTC ("…Z") and otherwise carries the
// offset ("2018-10-21T08:05:00.000-05:00").
func FormatDateTime(millis int64, picture, timezone string) (string, error) {
	if picture == "" {
		picture = isoPicture
	}
	parts, err := formatCache.get(picture, parseDateTimePicture)
	if err != nil {
		return "", err
	}
	off, err := parseTimezone(timezone)
	if err != nil {
		return "", err
	}
	t := time.UnixMilli(millis).In(time.FixedZone("", off*60))
	var b strings.Builder
	for i := range parts {
		p := &parts[i]
		if p.comp == 0 {
			b.WriteString(p.literal)
			continue
		}
		b.WriteString(p.format(t, off))
	}
	return b.String(), nil
}

// isoWeekThursday returns the Thursday of t's ISO week (Monday to Sunday).
func isoWeekThursday(t time.Time) time.Time {
	wd := (int(t.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	return t.AddDate(0, 0, 3-wd)
}

func (p *dtPart) format(t time.Time, off int) string {
	var v int
	switch p.comp {
	case 'Y':
		v = t.Year()
	case 'M':
		v = int(t.Month())
	case 'D':
		v = t.Day()
	case 'd':
		v = t.YearDay()
	case 'F':
		v = (int(t.Weekday())+6)%7 + 1
	case 'W':
		_, v = t.ISOWeek()
	case 'X':
		v, _ = t.ISOWeek()
	case 'w':
		v = (isoWeekThursday(t).Day()-1)/7 + 1
	case 'x':
		v = int(isoWeekThursday(t).Month())
	case 'H':
		v = t.Hour()
	case 'h':
		v = t.Hour() % 12
		if v == 0 {
			v = 12
		}
	case 'm':
		v = t.Minute()
	case 's':
		v = t.Second()
	case 'f':
		v = t.Nanosecond() / 1e6
	case 'P':
		s := "am"
		if t.Hour() >= 12 {
			s = "pm"
		}
		return p.applyName(s)
	case 'C', 'E':
		return "ISO"
	case 'Z':
		return formatOffset(off, p.tz, p.zeroZ)
	case 'z':
		return "GMT" + formatOffset(off, p.tz, false)
	}
	if p.names {
		switch p.comp {
		case 'M', 'x':
			return p.applyName(monthNames[v-1])
		case 'F':
			return p.applyName(dayNames[v-1])
		}
	}
	return p.formatNumber(v)
}

func (p *dtPart) applyName(s string) string {
	switch p.nameCase {
	case 'N':
		s = strings.ToUpper(s)
	case 'n':
		s = strings.ToLower(s)
	case 'T':
		s = strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
	}
	if p.maxW > 0 && len(s) > p.maxW {
		s = s[:p.maxW]
	}
	return s
}

// formatNumber renders a numeric component. The width rules follow
// JSONata 2.0.6: a width modifier sets the number of digits (its maximum
// if it has one), and a year is cut to its rightmost digits when the
// picture asks for two or more.
func (p *dtPart) formatNumber(v int) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	f := &p.num
	pad := f.mandatory
	if p.hasWidth {
		switch {
		case p.maxW > 0:
			pad = p.maxW
		case p.comp == 'Y':
			pad = max(p.minW, f.mandatory)
		default:
			pad = p.minW
		}
	}
	if f.kind != intDecimal {
		return sign + f.render(float64(v), 0)
	}
	if p.comp == 'Y' {
		width := f.mandatory + f.optional
		if p.hasWidth {
			width = max(p.minW, width)
			if p.maxW > 0 {
				width = p.maxW
			}
		}
		if width >= 2 {
			pad = width
			v %= int(math.Pow10(min(width, 9)))
		}
	}
	return sign + f.render(float64(v), pad)
}

// formatOffset writes an offset in minutes with a Z picture such as
// "01:01", "0101" or "0".
func formatOffset(off int, pic string, zeroZ bool) string {
	if off == 0 && zeroZ {
		return "Z"
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	h, m := off/60, off%60
	hourDigits, sep := 0, ""
	total := 0
	for _, r := range pic {
		if unicode.IsDigit(r) {
			total++
			if sep == "" {
				hourDigits++
			}
		} else if sep == "" {
			sep = string(r)
		}
	}
	pad := func(n, w int) string {
		s := strconv.Itoa(n)
		for len(s) < w {
			s = "0" + s
		}
		return s
	}
	switch {
	case sep != "":
		return sign + pad(h, hourDigits) + sep + pad(m, 2)
	case total <= 2:
		s := sign + pad(h, total)
		if m != 0 {
			s += ":" + pad(m, 2)
		}
		return s
	default:
		return sign + pad(h, total-2) + pad(m, 2)
	}
}

// ParseDateTime parses s with an fn:format-dateTime picture string, as
// $toMillis does with a picture, taking missing leading components (a
// time without a date) from the current time. See [ParseDateTimeAt].
func ParseDateTime(s, picture string) (millis int64, ok bool, err error) {
	return ParseDateTimeAt(s, picture, time.Now().UnixMilli())
}

// ParseDateTimeAt is [ParseDateTime] with the current time given as
// milliseconds since the epoch, so that an evaluation sees one clock.
// ok is false when s does not match the picture, which JSONata reports as
// an undefined result; err is set for bad pictures and for pictures whose
// components do not determine an instant (D3136).
func ParseDateTimeAt(s, picture string, now int64) (millis int64, ok bool, err error) {
	dp, err := parserCache.get(picture, compileParser)
	if err != nil {
		return 0, false, err
	}
	if dp.rx == nil { // no date or time component at all
		return 0, false, nil
	}
	m := dp.rx.FindStringSubmatch(s)
	if m == nil {
		return 0, false, nil
	}
	parts, order, last := dp.parts, dp.order, dp.last

	nowT := time.UnixMilli(now).UTC()
	val := map[byte]int{
		'Y': nowT.Year(), 'M': int(nowT.Month()), 'D': nowT.Day(), 'd': nowT.YearDay(),
		'H': nowT.Hour(), 'm': nowT.Minute(), 's': nowT.Second(), 'f': nowT.Nanosecond() / 1e6,
	}
	// Components after the last given one start at their minimum.
	for _, c := range order[last+1:] {
		if c == 'M' || c == 'D' || c == 'd' {
			val[c] = 1
		} else {
			val[c] = 0
		}
	}
	offset, pm, hour12 := 0, -1, -1
	g := 1
	for _, p := range parts {
		if p.comp == 0 {
			continue
		}
		text := m[g]
		g++
		switch p.comp {
		case 'F', 'C', 'E':
			continue
		case 'P':
			if strings.HasPrefix(strings.ToLower(text), "p") {
				pm = 1
			} else {
				pm = 0
			}
			continue
		case 'Z', 'z':
			o, ok := parseOffset(text)
			if !ok {
				return 0, false, nil
			}
			offset = o
			continue
		}
		var n float64
		if p.names {
			n = float64(lookupName(text, monthNames))
		} else {
			n = p.num.parseValue(text)
		}
		if math.IsNaN(n) || n < 0 {
			return 0, false, nil
		}
		if p.comp == 'h' {
			hour12 = int(n)
			continue
		}
		val[p.comp] = int(n)
	}
	if hour12 >= 0 {
		h := hour12 % 12
		if pm == 1 {
			h += 12
		}
		val['H'] = h
	}
	var t time.Time
	if order[1] == 'd' {
		t = time.Date(val['Y'], 1, val['d'], val['H'], val['m'], val['s'], val['f']*1e6, time.UTC)
	} else {
		t = time.Date(val['Y'], time.Month(val['M']), val['D'], val['H'], val['m'], val['s'], val['f']*1e6, time.UTC)
	}
	return t.UnixMilli() - int64(offset)*60000, true, nil
}

var (
	formatCache cache[[]dtPart]
	parserCache cache[*dtParser]
)

// dtParser is a date/time picture prepared for parsing.
type dtParser struct {
	parts []dtPart
	order []byte // components from the most significant down
	last  int    // index in order of the least significant component given
	rx    *regexp.Regexp
}

func compileParser(picture string) (*dtParser, error) {
	parts, err := parseDateTimePicture(picture)
	if err != nil {
		return nil, err
	}
	present := map[byte]bool{}
	for _, p := range parts {
		if p.comp != 0 {
			present[p.comp] = true
		}
	}
	if present['W'] || present['w'] || present['X'] || present['x'] {
		return nil, errorf("D3136", picture, "The date/time picture string is missing specifiers required to parse the timestamp")
	}
	if present['h'] {
		present['H'] = true
	}
	order := []byte{'Y', 'M', 'D', 'H', 'm', 's', 'f'}
	if present['d'] && !present['M'] && !present['D'] {
		order = []byte{'Y', 'd', 'H', 'm', 's', 'f'}
	}
	first, last := -1, -1
	for i, c := range order {
		if present[c] {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	dp := &dtParser{parts: parts, order: order, last: last}
	if first < 0 {
		return dp, nil
	}
	for _, c := range order[first:last] {
		if !present[c] {
			return nil, errorf("D3136", picture, "The date/time picture string is missing specifiers required to parse the timestamp")
		}
	}
	var re strings.Builder
	re.WriteString("^")
	for i, p := range parts {
		if p.comp == 0 {
			re.WriteString(regexp.QuoteMeta(p.literal))
			continue
		}
		adjacent := i+1 < len(parts) && parts[i+1].comp != 0
		re.WriteString("(" + p.parseRegexp(adjacent) + ")")
	}
	re.WriteString("$")
	dp.rx, err = regexp.Compile(re.String())
	if err != nil {
		return nil, errorf("D3136", picture, "The date/time picture string cannot be used for parsing: %v", err)
	}
	return dp, nil
}

// lookupName returns the 1-based index of the name s matches in full or by
// a prefix of three or more letters, or -1.
func lookupName(s string, names []string) int {
	ls := strings.ToLower(s)
	for i, n := range names {
		ln := strings.ToLower(n)
		if ls == ln || (len(ls) >= 3 && strings.HasPrefix(ln, ls)) {
			return i + 1
		}
	}
	return -1
}

var wordsRegexp = func() string {
	ws := make([]string, 0, len(wordValues))
	for w := range wordValues {
		ws = append(ws, w)
	}
	// Longest first, so that "seventeen" wins over "seven".
	sort.Slice(ws, func(i, j int) bool {
		if len(ws[i]) != len(ws[j]) {
			return len(ws[i]) > len(ws[j])
		}
		return ws[i] < ws[j]
	})
	w := "(?:" + strings.Join(ws, "|") + ")"
	return `(?i:` + w + `(?:(?:\s*,\s*|\s+and\s+|\s+|-)` + w + `)*)`
}()

const offsetRegexp = `[+-]\d{1,2}(?::?\d{2})?`

// parseRegexp is the regular expression matching the marker's text.
func (p *dtPart) parseRegexp(adjacent bool) string {
	switch p.comp {
	case 'P':
		return `(?i:[ap]\.?m\.?)`
	case 'Z':
		return `Z|` + offsetRegexp
	case 'z':
		return `GMT(?:` + offsetRegexp + `)?`
	}
	if p.names {
		return `\pL+`
	}
	f := &p.num
	switch f.kind {
	case intRoman:
		return `(?i:[ivxlcdm]+)`
	case intAlpha:
		return `(?i:[a-z]+)`
	case intWords:
		return wordsRegexp
	}
	digit := "[" + string(f.zero) + "-" + string(f.zero+9) + "]"
	var rx string
	switch {
	case adjacent && p.hasWidth && p.maxW > 0:
		rx = digit + "{" + strconv.Itoa(max(p.minW, 1)) + "," + strconv.Itoa(p.maxW) + "}"
	case adjacent:
		rx = digit + "{" + strconv.Itoa(max(f.mandatory, 1)) + "}"
	case len(f.groups) > 0:
		alts := []string{digit}
		for _, g := range f.groups {
			alts = append(alts, regexp.QuoteMeta(g.sep))
		}
		rx = digit + "(?:" + strings.Join(alts, "|") + ")*"
	default:
		rx = digit + "+"
	}
	if p.comp == 'Y' {
		rx = "-?" + rx
	}
	return rx + `(?i:st|nd|rd|th)?`
}

// parseValue reads the text a numeric marker matched.
func (f *intFormat) parseValue(s string) float64 {
	switch f.kind {
	case intRoman:
		return parseRoman(s)
	case intAlpha:
		return parseAlpha(s)
	case intWords:
		return parseWords(s)
	}
	return f.parseDecimal(s)
}

// parseOffset reads "Z", "GMT", "GMT-5", "+05:30", "+0530" or "-5" as
// minutes east of UTC.
func parseOffset(s string) (int, bool) {
	s = strings.TrimPrefix(s, "GMT")
	if s == "" || s == "Z" {
		return 0, true
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	s = strings.Replace(s[1:], ":", "", 1)
	var h, m int
	var err error
	switch len(s) {
	case 1, 2:
		h, err = strconv.Atoi(s)
	case 3, 4:
		h, err = strconv.Atoi(s[:len(s)-2])
		if err == nil {
			m, err = strconv.Atoi(s[len(s)-2:])
		}
	default:
		return 0, false
	}
	if err != nil {
		return 0, false
	}
	return sign * (h*60 + m), true
}

var isoRe = regexp.MustCompile(`^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?)?)?)?$`)

// ParseISO8601 parses an ISO 8601 timestamp as $toMillis does without a
// picture: "YYYY", "YYYY-MM", "YYYY-MM-DD", or a date with
// "THH:MM:SS", an optional fraction and an optional "Z" or "±HH[:]MM"
// (no zone means UTC). Other text fails with D3110.
func ParseISO8601(s string) (millis int64, err error) {
	m := isoRe.FindStringSubmatch(s)
	bad := func() (int64, error) {
		return 0, errorf("D3110", s, "The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given %q", s)
	}
	if m == nil {
		return bad()
	}
	num := func(i, def int) int {
		if m[i] == "" {
			return def
		}
		n, _ := strconv.Atoi(m[i])
		return n
	}
	year, month, day := num(1, 0), num(2, 1), num(3, 1)
	hour, minute, sec := num(4, 0), num(5, 0), num(6, 0)
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || sec > 59 {
		return bad()
	}
	frac := m[7]
	for len(frac) < 3 {
		frac += "0"
	}
	ms, _ := strconv.Atoi(frac[:3])
	off := 0
	if z := m[8]; z != "" && z != "Z" {
		o, ok := parseOffset(z)
		if !ok {
			return bad()
		}
		off = o
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, ms*1e6, time.UTC)
	return t.UnixMilli() - int64(off)*60000, nil
}
