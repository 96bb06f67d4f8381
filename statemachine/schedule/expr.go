package schedule

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // time zones work on a machine without a tz database
)

// Kind is the kind of a schedule expression.
type Kind string

// The three kinds of expression EventBridge Scheduler accepts.
const (
	Cron Kind = "cron"
	Rate Kind = "rate"
	At   Kind = "at"
)

// Expr is a parsed schedule expression together with its time zone. It is
// immutable and safe to use from several goroutines.
type Expr struct {
	text string
	kind Kind
	loc  *time.Location
	cron *cronSpec
	rate time.Duration
	at   time.Time
}

// ParseExpression parses a cron(...), rate(...) or at(...) expression to
// be evaluated in the IANA time zone tz ("" means UTC). The error names
// the expression and, for cron, the field at fault.
func ParseExpression(expr, tz string) (*Expr, error) {
	loc, err := loadZone(tz)
	if err != nil {
		return nil, err
	}
	e := &Expr{text: expr, loc: loc}
	open := strings.IndexByte(expr, '(')
	if open < 0 || !strings.HasSuffix(expr, ")") {
		return nil, fmt.Errorf("%q is not a schedule expression; want cron(m h dom mon dow y), rate(N unit) or at(yyyy-mm-ddThh:mm:ss)", expr)
	}
	body := expr[open+1 : len(expr)-1]
	switch expr[:open] {
	case "cron":
		e.kind = Cron
		e.cron, err = parseCron(body)
	case "rate":
		e.kind = Rate
		e.rate, err = parseRate(body)
	case "at":
		e.kind = At
		e.at, err = parseAt(body, loc, tz)
	default:
		return nil, fmt.Errorf("%q: unknown expression kind %q; want cron(...), rate(...) or at(...)", expr, expr[:open])
	}
	if fe := (*fieldError)(nil); errors.As(err, &fe) {
		return nil, fmt.Errorf("%s: %w", expr, err)
	} else if err != nil {
		return nil, fmt.Errorf("%s %w", expr, err)
	}
	return e, nil
}

func loadZone(tz string) (*time.Location, error) {
	if tz == "" || tz == "UTC" {
		return time.UTC, nil
	}
	if tz == "Local" {
		return nil, fmt.Errorf("time zone %q depends on the machine; name an IANA zone such as \"Europe/Berlin\" or \"UTC\"", tz)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q; want an IANA name such as \"Europe/Berlin\" or \"UTC\"", tz)
	}
	return loc, nil
}

var rateUnits = map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}

func parseRate(body string) (time.Duration, error) {
	f := strings.Fields(body)
	if len(f) != 2 {
		return 0, fmt.Errorf("has %d fields, want 2 (value unit), e.g. rate(5 minutes)", len(f))
	}
	n, err := number(f[0], 1, 9999, nil)
	if err != nil {
		if v, ok := parseUint(f[0]); ok && v > 9999 {
			return 0, fmt.Errorf("has value %s, too large; use a larger unit", f[0])
		}
		return 0, fmt.Errorf("has value %q; want a whole number 1-9999", f[0])
	}
	unit, plural := strings.CutSuffix(f[1], "s")
	d, ok := rateUnits[unit]
	if !ok {
		return 0, fmt.Errorf("has unknown unit %q; want minute(s), hour(s) or day(s)", f[1])
	}
	switch {
	case n == 1 && plural:
		return 0, fmt.Errorf("needs the singular unit %q with value 1, not %q", unit, f[1])
	case n > 1 && !plural:
		return 0, fmt.Errorf("needs the plural unit %q with value %d, not %q", unit+"s", n, f[1])
	}
	return time.Duration(n) * d, nil
}

func parseUint(s string) (uint64, bool) {
	var v uint64
	if s == "" {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' || v > math.MaxUint64/10-1 {
			return 0, false
		}
		v = v*10 + uint64(r-'0')
	}
	return v, true
}

func parseAt(body string, loc *time.Location, tz string) (time.Time, error) {
	wall, err := time.ParseInLocation("2006-01-02T15:04:05", body, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("wants a local date-time yyyy-mm-ddThh:mm:ss (no zone: the zone is the timezone field)")
	}
	t, ok := resolve(wall, loc)
	if !ok {
		return time.Time{}, fmt.Errorf("names a time that does not exist in %s (the clocks spring forward over it)", tz)
	}
	return t, nil
}

// String returns the expression as written.
func (e *Expr) String() string { return e.text }

// Kind reports whether e is a cron, rate or at expression.
func (e *Expr) Kind() Kind { return e.kind }

// Location returns the time zone e is evaluated in.
func (e *Expr) Location() *time.Location { return e.loc }

// Rate returns the interval of a rate expression (0 for other kinds).
func (e *Expr) Rate() time.Duration { return e.rate }

// Next returns the first instant strictly after after at which e fires,
// false when there is none (an at() in the past, a cron whose years are
// over). A rate counts from the Unix epoch; [Schedule.Next] counts from
// the schedule's start date when it has one.
func (e *Expr) Next(after time.Time) (time.Time, bool) {
	return e.next(after, time.Unix(0, 0))
}

func (e *Expr) next(after, anchor time.Time) (time.Time, bool) {
	switch e.kind {
	case Cron:
		return e.cron.next(after, e.loc)
	case Rate:
		if after.Before(anchor) {
			return anchor, true
		}
		k := after.Sub(anchor) / e.rate
		t := anchor.Add((k + 1) * e.rate)
		if after.Sub(anchor) >= time.Duration(math.MaxInt64)-e.rate {
			// Sub saturates far from the anchor; step from after instead.
			t = after.Add(e.rate - after.Sub(anchor)%e.rate)
		}
		return t, true
	case At:
		return e.at, e.at.After(after)
	}
	return time.Time{}, false
}

// cache holds parsed expressions by expression and zone, so that
// [Schedule.Next] does not reparse (and reload a zone) on every call.
var cache sync.Map // string -> *Expr

func cached(expr, tz string) (*Expr, error) {
	key := expr + "\x00" + tz
	if e, ok := cache.Load(key); ok {
		return e.(*Expr), nil
	}
	e, err := ParseExpression(expr, tz)
	if err != nil {
		return nil, err
	}
	cache.Store(key, e)
	return e, nil
}
