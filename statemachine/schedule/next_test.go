package schedule_test

import (
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/schedule"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fires lists the first n instants of s after after, in UTC RFC 3339.
func fires(t *testing.T, s schedule.Schedule, after time.Time, n int) []string {
	t.Helper()
	var out []string
	for len(out) < n {
		next, ok := s.Next(after)
		if !ok {
			break
		}
		if !next.After(after) {
			t.Fatalf("Next(%s) = %s, not after it", after, next)
		}
		out = append(out, next.UTC().Format(time.RFC3339))
		after = next
	}
	return out
}

func sched(expr, tz string) schedule.Schedule {
	return schedule.Schedule{Name: "s", Expression: expr, Timezone: tz, Enabled: true}
}

func TestNext(t *testing.T) {
	tests := []struct {
		name, expr, tz, after string
		want                  []string
	}{
		// Berlin moves to CEST on 2026-03-29 and back to CET on 2026-10-25:
		// 06:00 local is 05:00 UTC in winter and 04:00 UTC in summer.
		{"monday 6am Berlin, spring", "cron(0 6 ? * MON *)", "Europe/Berlin", "2026-03-16T12:00:00Z",
			[]string{"2026-03-23T05:00:00Z", "2026-03-30T04:00:00Z", "2026-04-06T04:00:00Z"}},
		{"monday 6am Berlin, autumn", "cron(0 6 ? * MON *)", "Europe/Berlin", "2026-10-13T00:00:00Z",
			[]string{"2026-10-19T04:00:00Z", "2026-10-26T05:00:00Z", "2026-11-02T05:00:00Z"}},
		{"spring-forward gap skipped", "cron(30 2 * * ? *)", "Europe/Berlin", "2026-03-27T12:00:00Z",
			[]string{"2026-03-28T01:30:00Z", "2026-03-30T00:30:00Z"}},
		{"fall-back hour fires once, first occurrence", "cron(30 2 * * ? *)", "Europe/Berlin", "2026-10-24T12:00:00Z",
			[]string{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
		{"fall-back hour not repeated by a half-hourly cron", "cron(0/30 2 * * ? *)", "Europe/Berlin", "2026-10-25T00:10:00Z",
			[]string{"2026-10-25T00:30:00Z", "2026-10-26T01:00:00Z"}},
		{"after inside the repeated hour", "cron(45 2 * * ? *)", "Europe/Berlin", "2026-10-25T01:10:00Z",
			[]string{"2026-10-26T01:45:00Z"}},
		{"weekdays in New York", "cron(15 9 ? * MON-FRI *)", "America/New_York", "2026-01-02T15:00:00Z",
			[]string{"2026-01-05T14:15:00Z", "2026-01-06T14:15:00Z"}},
		{"last day of month, leap year", "cron(0 0 L * ? *)", "", "2028-02-01T00:00:00Z",
			[]string{"2028-02-29T00:00:00Z", "2028-03-31T00:00:00Z"}},
		{"15W on a Saturday is Friday 14th", "cron(0 0 15W * ? *)", "", "2026-08-01T00:00:00Z",
			[]string{"2026-08-14T00:00:00Z"}},
		{"1W on a Saturday is Monday 3rd", "cron(0 0 1W * ? *)", "", "2026-07-31T00:00:00Z",
			[]string{"2026-08-03T00:00:00Z"}},
		{"31W on a Sunday is Friday 29th", "cron(0 0 31W * ? *)", "", "2026-05-01T00:00:00Z",
			[]string{"2026-05-29T00:00:00Z"}},
		{"second Tuesday", "cron(0 8 ? * 3#2 *)", "", "2026-06-01T00:00:00Z",
			[]string{"2026-06-09T08:00:00Z", "2026-07-14T08:00:00Z"}},
		{"last Friday", "cron(0 8 ? * 6L *)", "", "2026-06-01T00:00:00Z",
			[]string{"2026-06-26T08:00:00Z", "2026-07-31T08:00:00Z"}},
		{"L in day-of-week is Saturday", "cron(0 8 ? * L *)", "", "2026-06-01T00:00:00Z",
			[]string{"2026-06-06T08:00:00Z"}},
		{"names, lists, steps", "cron(5/20 10,22 ? JAN,JUN-JUL SUN *)", "", "2026-06-01T00:00:00Z",
			[]string{"2026-06-07T10:05:00Z", "2026-06-07T10:25:00Z", "2026-06-07T10:45:00Z", "2026-06-07T22:05:00Z"}},
		{"year list", "cron(0 0 1 1 ? 2027,2030)", "", "2026-06-01T00:00:00Z",
			[]string{"2027-01-01T00:00:00Z", "2030-01-01T00:00:00Z"}},
		{"years end at 2199", "cron(0 0 1 1 ? *)", "", "2198-06-01T00:00:00Z",
			[]string{"2199-01-01T00:00:00Z"}},
		{"day 30 of February never", "cron(0 0 30 2 ? *)", "", "2026-01-01T00:00:00Z", nil},
		{"rate counts from the epoch", "rate(1 day)", "Europe/Berlin", "2026-03-28T12:00:00Z",
			[]string{"2026-03-29T00:00:00Z", "2026-03-30T00:00:00Z"}},
		{"at in a zone", "at(2026-07-01T09:30:00)", "Asia/Tokyo", "2026-01-01T00:00:00Z",
			[]string{"2026-07-01T00:30:00Z"}},
		{"at in the past", "at(2026-07-01T09:30:00)", "", "2026-07-01T09:30:00Z", nil},
		{"at in the repeated hour is the first", "at(2026-10-25T02:30:00)", "Europe/Berlin", "2026-01-01T00:00:00Z",
			[]string{"2026-10-25T00:30:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fires(t, sched(tt.expr, tt.tz), utc(tt.after), len(tt.want)+1)
			if len(got) > len(tt.want) {
				got = got[:len(tt.want)]
			}
			if len(tt.want) == 0 && len(got) > 0 || !equal(got, tt.want) {
				t.Errorf("%s in %q after %s fires\n  %v\nwant\n  %v", tt.expr, tt.tz, tt.after, got, tt.want)
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRateFiveMinutesFires12TimesAnHour counts the fires in one hour.
func TestRateFiveMinutesFires12TimesAnHour(t *testing.T) {
	s := sched("rate(5 minutes)", "")
	start := utc("2026-05-04T10:00:00Z")
	n := 0
	for at := start.Add(-time.Nanosecond); ; n++ {
		next, ok := s.Next(at)
		if !ok || !next.Before(start.Add(time.Hour)) {
			break
		}
		at = next
	}
	if n != 12 {
		t.Fatalf("rate(5 minutes) fired %d times in an hour, want 12", n)
	}
}

func TestStartEndAndEnabled(t *testing.T) {
	s := sched("rate(2 hours)", "")
	s.Start = utc("2026-01-01T00:30:00Z")
	s.End = utc("2026-01-01T04:30:00Z")
	got := fires(t, s, utc("2025-12-01T00:00:00Z"), 10)
	want := []string{"2026-01-01T00:30:00Z", "2026-01-01T02:30:00Z"}
	if !equal(got, want) {
		t.Errorf("rate(2 hours) from start to end fires %v, want %v", got, want)
	}
	s.End = utc("2026-01-01T04:30:00.000000001Z")
	if got := fires(t, s, utc("2026-01-01T03:00:00Z"), 10); !equal(got, []string{"2026-01-01T04:30:00Z"}) {
		t.Errorf("fires before an end 1ns later: %v", got)
	}
	c := sched("cron(0 12 * * ? *)", "")
	c.Start = utc("2026-01-05T12:00:00Z")
	if got := fires(t, c, utc("2026-01-01T00:00:00Z"), 1); !equal(got, []string{"2026-01-05T12:00:00Z"}) {
		t.Errorf("cron fires %v, want the start instant itself", got)
	}
	a := sched("at(2026-01-01T00:00:00)", "")
	a.Start = utc("2027-01-01T00:00:00Z")
	a.End = utc("2027-02-01T00:00:00Z")
	if got := fires(t, a, utc("2025-01-01T00:00:00Z"), 2); !equal(got, []string{"2026-01-01T00:00:00Z"}) {
		t.Errorf("at() with start/end fires %v; AWS ignores the dates for one-time schedules", got)
	}
	c.Enabled = false
	if next, ok := c.Next(utc("2026-01-01T00:00:00Z")); ok {
		t.Errorf("a disabled schedule fires at %s", next)
	}
}

func TestExprNext(t *testing.T) {
	e, err := schedule.ParseExpression("cron(0 6 ? * MON *)", "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind() != schedule.Cron || e.String() != "cron(0 6 ? * MON *)" || e.Location().String() != "Europe/Berlin" {
		t.Errorf("Kind, String, Location = %v, %v, %v", e.Kind(), e, e.Location())
	}
	next, ok := e.Next(utc("2026-03-24T00:00:00Z"))
	if !ok || !next.Equal(utc("2026-03-30T04:00:00Z")) {
		t.Errorf("Next = %s, %v", next, ok)
	}
	r, err := schedule.ParseExpression("rate(1 hour)", "")
	if err != nil || r.Rate() != time.Hour || r.Kind() != schedule.Rate {
		t.Errorf("rate(1 hour) = %v, %v", r, err)
	}
}
