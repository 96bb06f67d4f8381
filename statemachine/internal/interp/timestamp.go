package interp

import (
	"errors"
	"time"
)

// errWaitTimestamp is returned by parseWaitTimestamp for any string that
// is not an ISO-8601 extended offset date-time; the caller words the
// States.Runtime or States.QueryEvaluationError message.
var errWaitTimestamp = errors.New("not an ISO-8601 extended offset date-time")

// parseWaitTimestamp parses the date-time a Wait state reads at run time
// (TimestampPath, or a JSONata Timestamp), as AWS does: its messages name
// "the ISO-8601 extended offset date-time format", which is
//
//	yyyy-MM-dd'T'HH:mm[:ss[.fraction]]offset
//
// with a fraction of 1 to 9 digits, an offset of Z or ±HH:MM[:SS] within
// ±18:00, a real calendar date, hours 00-23 and seconds 00-59, T and Z in
// either case. Go's time.RFC3339 differs on each of those edges (it wants
// seconds, accepts any number of fraction digits and offsets up to ±24h).
// The literal Timestamp field is stricter and checked when the machine is
// created (uppercase T and Z, seconds required: see package validate).
//
// The result is truncated to the second: the Wait state docs say Step
// Functions "considers the time value up to seconds and truncates
// milliseconds".
func parseWaitTimestamp(s string) (time.Time, error) {
	p := tsParser{s: s}
	year := p.digits(4)
	p.lit('-')
	month := p.digits(2)
	p.lit('-')
	day := p.digits(2)
	p.litFold('T')
	hour := p.digits(2)
	p.lit(':')
	minute := p.digits(2)
	sec, nsec := 0, 0
	if p.peek(':') {
		p.lit(':')
		sec = p.digits(2)
		if p.peek('.') {
			p.lit('.')
			n := 0
			for n < 9 && p.isDigit() {
				nsec = nsec*10 + int(p.s[p.i]-'0')
				p.i++
				n++
			}
			if n == 0 {
				p.bad = true
			}
			for ; n < 9; n++ {
				nsec *= 10
			}
		}
	}
	offset := 0
	switch {
	case p.peek('Z') || p.peek('z'):
		p.i++
	case p.peek('+') || p.peek('-'):
		sign := 1
		if p.s[p.i] == '-' {
			sign = -1
		}
		p.i++
		oh := p.digits(2)
		p.lit(':')
		om := p.digits(2)
		osec := 0
		if p.peek(':') {
			p.lit(':')
			osec = p.digits(2)
		}
		if om > 59 || osec > 59 || oh*3600+om*60+osec > 18*3600 {
			p.bad = true
		}
		offset = sign * (oh*3600 + om*60 + osec)
	default:
		p.bad = true
	}
	if p.bad || p.i != len(s) {
		return time.Time{}, errWaitTimestamp
	}
	if month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, errWaitTimestamp
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.FixedZone("", offset))
	if t.Day() != day { // 2016-02-30 normalises to March: not a date
		return time.Time{}, errWaitTimestamp
	}
	return t.Truncate(time.Second), nil
}

// tsParser reads a date-time left to right; bad records the first
// mismatch so that the grammar reads straight through.
type tsParser struct {
	s   string
	i   int
	bad bool
}

func (p *tsParser) isDigit() bool { return p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' }

func (p *tsParser) peek(c byte) bool { return p.i < len(p.s) && p.s[p.i] == c }

func (p *tsParser) digits(n int) int {
	v := 0
	for k := 0; k < n; k++ {
		if !p.isDigit() {
			p.bad = true
			return 0
		}
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
	}
	return v
}

func (p *tsParser) lit(c byte) {
	if !p.peek(c) {
		p.bad = true
		return
	}
	p.i++
}

func (p *tsParser) litFold(c byte) {
	if p.i < len(p.s) && (p.s[p.i] == c || p.s[p.i] == c+'a'-'A') {
		p.i++
		return
	}
	p.bad = true
}
