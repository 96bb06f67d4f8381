package schedule_test

import (
	"fmt"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/schedule"
)

func ExampleParseFile() {
	file := []byte(`{"schedules": [
	  {"name": "weekly", "expression": "cron(0 6 ? * MON *)", "timezone": "Europe/Berlin", "input": {"week": true}}]}`)
	schedules, err := schedule.ParseFile("statemachine/report.schedule.json", file)
	if err != nil {
		fmt.Println(err)
		return
	}
	s := schedules[0]
	after := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	for range 2 {
		after, _ = s.Next(after)
		fmt.Println(s.Name, after.UTC().Format(time.RFC3339), string(s.Input))
	}

	_, err = schedule.ParseFile("statemachine/report.schedule.json", []byte(`{"schedules": [{"name": "x", "expression": "cron(0 6 * * MON)"}]}`))
	fmt.Println(err)
	// Output:
	// weekly 2026-03-23T05:00:00Z {"week":true}
	// weekly 2026-03-30T04:00:00Z {"week":true}
	// statemachine/report.schedule.json: /schedules/0/expression: cron(0 6 * * MON) has 5 fields, want 6 (minutes hours day-of-month month day-of-week year)
}
