package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron field bounds; years stop at 2199 as on EventBridge.
const (
	minYear = 1970
	maxYear = 2199
)

// cronSpec is a parsed cron expression. Bit i of a set means value i.
type cronSpec struct {
	minutes uint64
	hours   uint64
	months  uint64
	years   [4]uint64 // bit y-minYear
	// Day-of-month; domAny is "?".
	domAny  bool
	days    uint64 // bits 1..31
	lastDay bool   // L
	nearest []int  // nW: the weekday nearest day n
	// Day-of-week (0 is Sunday); dowAny is "?".
	dowAny   bool
	weekdays uint64 // bits 0..6
	lastOf   []int  // nL: the last weekday n of the month
	nthDay   int    // n#k: weekday n ...
	nth      int    // ... k-th of the month (0 when unused)
}

var fieldNames = [6]string{"minutes", "hours", "day-of-month", "month", "day-of-week", "year"}

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
	"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}

var dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

// fieldError is a problem in one cron field; parseCron adds the expression.
type fieldError struct {
	field int
	text  string
	msg   string
}

func (e *fieldError) Error() string {
	return fmt.Sprintf("%s field %q: %s", fieldNames[e.field], e.text, e.msg)
}

// parseCron parses the six fields between "cron(" and ")".
func parseCron(body string) (*cronSpec, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, fmt.Errorf("has %d fields, want 6 (minutes hours day-of-month month day-of-week year)", len(f))
	}
	c := &cronSpec{}
	var err error
	fail := func(i int, msg string) error { return &fieldError{field: i, text: f[i], msg: msg} }
	if c.minutes, err = parseSet(f[0], 0, 59, nil); err != nil {
		return nil, fail(0, err.Error())
	}
	if c.hours, err = parseSet(f[1], 0, 23, nil); err != nil {
		return nil, fail(1, err.Error())
	}
	if c.months, err = parseSet(f[3], 1, 12, monthNames); err != nil {
		return nil, fail(3, err.Error())
	}
	for _, el := range strings.Split(f[5], ",") {
		if err := yearElement(c, el); err != nil {
			return nil, fail(5, err.Error())
		}
	}
	if err := c.parseDOM(f[2]); err != nil {
		return nil, fail(2, err.Error())
	}
	if err := c.parseDOW(f[4]); err != nil {
		return nil, fail(4, err.Error())
	}
	switch {
	case c.domAny && c.dowAny:
		return nil, fmt.Errorf("has \"?\" in both day-of-month and day-of-week; use \"?\" in exactly one of them (e.g. \"* ... ?\")")
	case !c.domAny && !c.dowAny:
		return nil, fmt.Errorf("sets both day-of-month %q and day-of-week %q; one of them must be \"?\"", f[2], f[4])
	}
	return c, nil
}

func yearElement(c *cronSpec, el string) error {
	// Years do not fit one uint64, so each element is parsed on its own
	// range and folded into the four words.
	lo, hi, step, err := parseElement(el, minYear, maxYear, nil)
	if err != nil {
		return err
	}
	for y := lo; y <= hi; y += step {
		c.years[(y-minYear)/64] |= 1 << uint((y-minYear)%64)
	}
	return nil
}

func (c *cronSpec) yearSet(y int) bool {
	if y < minYear || y > maxYear {
		return false
	}
	return c.years[(y-minYear)/64]&(1<<uint((y-minYear)%64)) != 0
}

func (c *cronSpec) parseDOM(text string) error {
	if text == "?" {
		c.domAny = true
		return nil
	}
	for _, el := range strings.Split(text, ",") {
		switch {
		case el == "L":
			c.lastDay = true
		case strings.HasSuffix(el, "W"):
			n, err := number(strings.TrimSuffix(el, "W"), 1, 31, nil)
			if err != nil {
				return fmt.Errorf("%q: W needs a day before it (15W is the weekday nearest the 15th): %v", el, err)
			}
			c.nearest = append(c.nearest, n)
		case el == "?":
			return fmt.Errorf("\"?\" must stand alone in its field")
		default:
			lo, hi, step, err := parseElement(el, 1, 31, nil)
			if err != nil {
				return err
			}
			for d := lo; d <= hi; d += step {
				c.days |= 1 << uint(d)
			}
		}
	}
	return nil
}

func (c *cronSpec) parseDOW(text string) error {
	if text == "?" {
		c.dowAny = true
		return nil
	}
	if strings.Contains(text, "#") {
		a, b, _ := strings.Cut(text, "#")
		if strings.Contains(text, ",") {
			return fmt.Errorf("a field with # holds one expression only (3#1,6#3 is not allowed)")
		}
		d, err := number(a, 1, 7, dayNames)
		if err != nil {
			return err
		}
		k, err := number(b, 1, 5, nil)
		if err != nil {
			return fmt.Errorf("after #: %v", err)
		}
		c.nthDay, c.nth = d-1, k
		return nil
	}
	for _, el := range strings.Split(text, ",") {
		switch {
		case el == "L":
			c.weekdays |= 1 << 6 // the last day of the week, Saturday
		case len(el) > 1 && strings.HasSuffix(el, "L"):
			d, err := number(strings.TrimSuffix(el, "L"), 1, 7, dayNames)
			if err != nil {
				return err
			}
			c.lastOf = append(c.lastOf, d-1)
		case el == "?":
			return fmt.Errorf("\"?\" must stand alone in its field")
		case strings.Contains(el, "/"):
			return fmt.Errorf("/ is not allowed in day-of-week (use a list: MON,WED,FRI)")
		default:
			lo, hi, _, err := parseElement(el, 1, 7, dayNames)
			if err != nil {
				return err
			}
			for d := lo; d <= hi; d++ {
				c.weekdays |= 1 << uint(d-1)
			}
		}
	}
	return nil
}

// parseSet parses a comma-separated list of elements into a bit set.
func parseSet(text string, lo, hi int, names map[string]int) (uint64, error) {
	var set uint64
	for _, el := range strings.Split(text, ",") {
		a, b, step, err := parseElement(el, lo, hi, names)
		if err != nil {
			return 0, err
		}
		for v := a; v <= b; v += step {
			set |= 1 << uint(v)
		}
	}
	return set, nil
}

// parseElement parses *, a, a-b, */s, a/s or a-b/s; a/s runs to hi.
func parseElement(el string, lo, hi int, names map[string]int) (from, to, step int, err error) {
	if el == "" {
		return 0, 0, 0, fmt.Errorf("empty list element")
	}
	rng, stepText, hasStep := strings.Cut(el, "/")
	step = 1
	if hasStep {
		if step, err = number(stepText, 1, hi-lo+1, nil); err != nil {
			return 0, 0, 0, fmt.Errorf("step %q: %v", stepText, err)
		}
	}
	switch {
	case rng == "*":
		return lo, hi, step, nil
	case rng == "?":
		return 0, 0, 0, fmt.Errorf("\"?\" is only allowed alone in day-of-month or day-of-week")
	}
	a, b, isRange := strings.Cut(rng, "-")
	if from, err = number(a, lo, hi, names); err != nil {
		return 0, 0, 0, err
	}
	to = from
	if hasStep {
		to = hi
	}
	if isRange {
		if to, err = number(b, lo, hi, names); err != nil {
			return 0, 0, 0, err
		}
		if to < from {
			return 0, 0, 0, fmt.Errorf("range %s runs backwards; write it as two ranges (e.g. 22-23,0-2)", rng)
		}
	}
	return from, to, step, nil
}

// number parses a decimal in [lo, hi] or a name from names.
func number(s string, lo, hi int, names map[string]int) (int, error) {
	if v, ok := names[strings.ToUpper(s)]; ok {
		return v, nil
	}
	if s == "" || len(s) > 4 || strings.TrimLeft(s, "0123456789") != "" {
		if names != nil {
			return 0, fmt.Errorf("%q is not a number %d-%d or a name (%s)", s, lo, hi, nameList(names))
		}
		return 0, fmt.Errorf("%q is not a number %d-%d", s, lo, hi)
	}
	v, _ := strconv.Atoi(s)
	if v < lo || v > hi {
		return 0, fmt.Errorf("%d is outside %d-%d", v, lo, hi)
	}
	return v, nil
}

func nameList(names map[string]int) string {
	out := make([]string, len(names))
	for n, v := range names {
		out[v-1] = n
	}
	return out[0] + "-" + out[len(out)-1]
}

// matchDay reports whether the calendar day matches the day fields.
func (c *cronSpec) matchDay(y int, m time.Month, d int) bool {
	last := daysIn(y, m)
	if !c.domAny {
		if c.days&(1<<uint(d)) != 0 || (c.lastDay && d == last) {
			return true
		}
		for _, n := range c.nearest {
			if nearestWeekday(y, m, n) == d {
				return true
			}
		}
		return false
	}
	wd := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday())
	if c.weekdays&(1<<uint(wd)) != 0 {
		return true
	}
	for _, n := range c.lastOf {
		if wd == n && d+7 > last {
			return true
		}
	}
	return c.nth > 0 && wd == c.nthDay && (d-1)/7+1 == c.nth
}

// nearestWeekday is the Monday-to-Friday day closest to day n of the
// month, never crossing into another month (Quartz's rule, which
// EventBridge follows); 0 when the month has no day n.
func nearestWeekday(y int, m time.Month, n int) int {
	last := daysIn(y, m)
	if n > last {
		return 0
	}
	switch time.Date(y, m, n, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// next returns the first instant strictly after after whose wall-clock
// time in loc matches c, with the DST rules of the package doc.
func (c *cronSpec) next(after time.Time, loc *time.Location) (time.Time, bool) {
	la := after.In(loc)
	// Wall times more than a few hours before after's own cannot map to
	// an instant after it (no zone shifts by more than a day).
	floor := time.Date(la.Year(), la.Month(), la.Day(), la.Hour(), la.Minute(), 0, 0, time.UTC).Add(-26 * time.Hour)
	y0 := max(floor.Year(), minYear)
	for y := y0; y <= maxYear; y++ {
		if !c.yearSet(y) {
			continue
		}
		for m := time.January; m <= time.December; m++ {
			if c.months&(1<<uint(m)) == 0 || (y == floor.Year() && m < floor.Month()) {
				continue
			}
			for d := 1; d <= daysIn(y, m); d++ {
				if time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC).Before(floor) || !c.matchDay(y, m, d) {
					continue
				}
				if t, ok := c.firstInDay(y, m, d, after, loc); ok {
					return t, true
				}
			}
		}
	}
	return time.Time{}, false
}

func (c *cronSpec) firstInDay(y int, m time.Month, d int, after time.Time, loc *time.Location) (time.Time, bool) {
	for h := 0; h < 24; h++ {
		if c.hours&(1<<uint(h)) == 0 {
			continue
		}
		for mi := 0; mi < 60; mi++ {
			if c.minutes&(1<<uint(mi)) == 0 {
				continue
			}
			if t, ok := resolve(time.Date(y, m, d, h, mi, 0, 0, time.UTC), loc); ok && t.After(after) {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// resolve turns a wall-clock time in loc (carried in a UTC time.Time) into
// the instant the clocks in loc show it: false when they never do (the
// spring-forward gap), the earlier instant when they show it twice.
func resolve(wall time.Time, loc *time.Location) (time.Time, bool) {
	var best time.Time
	found := false
	for _, probe := range [...]time.Duration{-26 * time.Hour, 0, 26 * time.Hour} {
		_, off := wall.Add(probe).In(loc).Zone()
		t := wall.Add(-time.Duration(off) * time.Second)
		if _, got := t.In(loc).Zone(); got != off {
			continue
		}
		if !found || t.Before(best) {
			best, found = t, true
		}
	}
	return best, found
}
