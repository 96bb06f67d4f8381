package schedule_test

import (
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/schedule"
)

// FuzzParseExpression checks that the parser never panics and that every
// expression it accepts yields instants strictly increasing from any
// starting point, in any of a few zones with DST.
func FuzzParseExpression(f *testing.F) {
	for _, seed := range []string{
		"cron(0 6 ? * MON *)", "cron(0/15 * * * ? *)", "cron(0 0 L * ? *)", "cron(0 0 15W * ? *)",
		"cron(0 8 ? * 6L *)", "cron(0 8 ? * 3#2 2026-2030)", "cron(5/20 10,22 ? JAN,JUN-JUL SUN *)",
		"cron(30 2 * * ? *)", "cron(0 0 31 2 ? *)", "rate(1 minute)", "rate(5 minutes)", "rate(9999 days)",
		"at(2026-03-29T02:30:00)", "at(2026-10-25T02:30:00)", "cron(0 6 * *)", "rate(1 minutes)", "cron(*/0 * * * ? *)",
	} {
		f.Add(seed, uint8(1), int64(1774000000))
	}
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"}
	f.Fuzz(func(t *testing.T, expr string, zone uint8, start int64) {
		tz := zones[int(zone)%len(zones)]
		e, err := schedule.ParseExpression(expr, tz)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		after := time.Unix(start%(1<<33), 0)
		for i := 0; i < 5; i++ {
			next, ok := e.Next(after)
			if !ok {
				return
			}
			if !next.After(after) {
				t.Fatalf("%s in %s: Next(%s) = %s, not after it", expr, tz, after, next)
			}
			after = next
		}
	})
}
