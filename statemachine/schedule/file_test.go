package schedule_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/schedule"
)

const file = "statemachine/report.schedule.json"

func TestParseFile(t *testing.T) {
	data := `{"comment": "weekly and daily",
	 "schedules": [
	  {"name": "weekly", "expression": "cron(0 6 ? * MON *)", "timezone": "Europe/Berlin",
	   "input": {"source": "s3://b/k.csv", "n": [1, 2]}, "flexible_window_minutes": 15,
	   "start_date": "2026-01-01T01:00:00+01:00", "end_date": "2027-01-01T00:00:00Z"},
	  {"name": "often.off", "expression": "rate(5 minutes)", "enabled": false}]}`
	got, err := schedule.ParseFile(file, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d schedules, want 2", len(got))
	}
	w, o := got[0], got[1]
	if w.Name != "weekly" || w.Timezone != "Europe/Berlin" || string(w.Input) != `{"source":"s3://b/k.csv","n":[1,2]}` ||
		w.FlexibleWindow != 15*time.Minute || !w.Enabled || !w.Start.Equal(utc("2026-01-01T00:00:00Z")) || !w.End.Equal(utc("2027-01-01T00:00:00Z")) {
		t.Errorf("weekly = %+v", w)
	}
	if o.Timezone != "UTC" || string(o.Input) != "{}" || o.FlexibleWindow != 0 || o.Enabled || !o.Start.IsZero() {
		t.Errorf("defaults not applied: %+v", o)
	}
}

// TestParseFileMalformed pins each problem's pointer and whole message.
func TestParseFileMalformed(t *testing.T) {
	tests := []struct {
		name, data string
		want       []string // "<pointer>: <message>", in order
	}{
		{"not JSON", `{"schedules": [}`, []string{`/: not valid JSON at line 1, column 16: invalid character '}' looking for beginning of value`}},
		{"not an object", `[]`, []string{`/: want an object {"schedules": [...]}: json: cannot unmarshal array into Go value of type map[string]json.RawMessage`}},
		{"null", `null`, []string{`/: want an object {"schedules": [...]}, got null`}},
		{"no schedules", `{"comment": 3}`, []string{`/comment: want a string, got a number (3)`, `/schedules: required: a list of schedules [{"name": ..., "expression": ...}]`}},
		{"schedules not a list", `{"schedules": {}}`, []string{`/schedules: want a list of schedules, got an object ({})`}},
		{"unknown top field", `{"schedules": [], "schedule": 1}`, []string{`/schedule: unknown field "schedule"; known fields: comment, schedules`}},
		{"entry not an object", `{"schedules": ["daily"]}`, []string{`/schedules/0: want an object {"name": ..., "expression": ...}, got a string ("daily")`}},
		{"missing fields", `{"schedules": [{}]}`, []string{`/schedules/0/name: required`, `/schedules/0/expression: required`}},
		{"five cron fields", `{"schedules": [{"name": "a", "expression": "cron(0 6 * * MON)"}]}`,
			[]string{`/schedules/0/expression: cron(0 6 * * MON) has 5 fields, want 6 (minutes hours day-of-month month day-of-week year)`}},
		{"minute out of range", `{"schedules": [{"name": "a", "expression": "cron(60 6 * * ? *)"}]}`,
			[]string{`/schedules/0/expression: cron(60 6 * * ? *): minutes field "60": 60 is outside 0-59`}},
		{"both day fields", `{"schedules": [{"name": "a", "expression": "cron(0 6 * * MON *)"}]}`,
			[]string{`/schedules/0/expression: cron(0 6 * * MON *) sets both day-of-month "*" and day-of-week "MON"; one of them must be "?"`}},
		{"neither day field", `{"schedules": [{"name": "a", "expression": "cron(0 6 ? * ? *)"}]}`,
			[]string{`/schedules/0/expression: cron(0 6 ? * ? *) has "?" in both day-of-month and day-of-week; use "?" in exactly one of them (e.g. "* ... ?")`}},
		{"bad month name", `{"schedules": [{"name": "a", "expression": "cron(0 6 1 JANUARY ? *)"}]}`,
			[]string{`/schedules/0/expression: cron(0 6 1 JANUARY ? *): month field "JANUARY": "JANUARY" is not a number 1-12 or a name (JAN-DEC)`}},
		{"backwards range", `{"schedules": [{"name": "a", "expression": "cron(0 22-2 * * ? *)"}]}`,
			[]string{`/schedules/0/expression: cron(0 22-2 * * ? *): hours field "22-2": range 22-2 runs backwards; write it as two ranges (e.g. 22-23,0-2)`}},
		{"year too late", `{"schedules": [{"name": "a", "expression": "cron(0 0 1 1 ? 2200)"}]}`,
			[]string{`/schedules/0/expression: cron(0 0 1 1 ? 2200): year field "2200": 2200 is outside 1970-2199`}},
		{"two # expressions", `{"schedules": [{"name": "a", "expression": "cron(0 0 ? * 3#1,6#3 *)"}]}`,
			[]string{`/schedules/0/expression: cron(0 0 ? * 3#1,6#3 *): day-of-week field "3#1,6#3": a field with # holds one expression only (3#1,6#3 is not allowed)`}},
		{"sixth week", `{"schedules": [{"name": "a", "expression": "cron(0 0 ? * 3#6 *)"}]}`,
			[]string{`/schedules/0/expression: cron(0 0 ? * 3#6 *): day-of-week field "3#6": after #: 6 is outside 1-5`}},
		{"step in day-of-week", `{"schedules": [{"name": "a", "expression": "cron(0 0 ? * 1/2 *)"}]}`,
			[]string{`/schedules/0/expression: cron(0 0 ? * 1/2 *): day-of-week field "1/2": / is not allowed in day-of-week (use a list: MON,WED,FRI)`}},
		{"W without a day", `{"schedules": [{"name": "a", "expression": "cron(0 0 W * ? *)"}]}`,
			[]string{`/schedules/0/expression: cron(0 0 W * ? *): day-of-month field "W": "W": W needs a day before it (15W is the weekday nearest the 15th): "" is not a number 1-31`}},
		{"zero step", `{"schedules": [{"name": "a", "expression": "cron(*/0 * * * ? *)"}]}`,
			[]string{`/schedules/0/expression: cron(*/0 * * * ? *): minutes field "*/0": step "0": 0 is outside 1-60`}},
		{"empty list element", `{"schedules": [{"name": "a", "expression": "cron(1,,2 * * * ? *)"}]}`,
			[]string{`/schedules/0/expression: cron(1,,2 * * * ? *): minutes field "1,,2": empty list element`}},
		{"plural with 1", `{"schedules": [{"name": "a", "expression": "rate(1 minutes)"}]}`,
			[]string{`/schedules/0/expression: rate(1 minutes) needs the singular unit "minute" with value 1, not "minutes"`}},
		{"singular with 5", `{"schedules": [{"name": "a", "expression": "rate(5 hour)"}]}`,
			[]string{`/schedules/0/expression: rate(5 hour) needs the plural unit "hours" with value 5, not "hour"`}},
		{"rate zero", `{"schedules": [{"name": "a", "expression": "rate(0 minutes)"}]}`,
			[]string{`/schedules/0/expression: rate(0 minutes) has value "0"; want a whole number 1-9999`}},
		{"rate weeks", `{"schedules": [{"name": "a", "expression": "rate(2 weeks)"}]}`,
			[]string{`/schedules/0/expression: rate(2 weeks) has unknown unit "weeks"; want minute(s), hour(s) or day(s)`}},
		{"at with zone", `{"schedules": [{"name": "a", "expression": "at(2026-01-01T00:00:00Z)"}]}`,
			[]string{`/schedules/0/expression: at(2026-01-01T00:00:00Z) wants a local date-time yyyy-mm-ddThh:mm:ss (no zone: the zone is the timezone field)`}},
		{"at in the gap", `{"schedules": [{"name": "a", "expression": "at(2026-03-29T02:30:00)", "timezone": "Europe/Berlin"}]}`,
			[]string{`/schedules/0/expression: at(2026-03-29T02:30:00) names a time that does not exist in Europe/Berlin (the clocks spring forward over it)`}},
		{"unknown kind", `{"schedules": [{"name": "a", "expression": "every(5 minutes)"}]}`,
			[]string{`/schedules/0/expression: "every(5 minutes)": unknown expression kind "every"; want cron(...), rate(...) or at(...)`}},
		{"not an expression", `{"schedules": [{"name": "a", "expression": "0 6 * * *"}]}`,
			[]string{`/schedules/0/expression: "0 6 * * *" is not a schedule expression; want cron(m h dom mon dow y), rate(N unit) or at(yyyy-mm-ddThh:mm:ss)`}},
		{"bad zone", `{"schedules": [{"name": "a", "expression": "rate(1 day)", "timezone": "Europe/Berlinn"}]}`,
			[]string{`/schedules/0/timezone: unknown time zone "Europe/Berlinn"; want an IANA name such as "Europe/Berlin" or "UTC"`}},
		{"local zone", `{"schedules": [{"name": "a", "expression": "rate(1 day)", "timezone": "Local"}]}`,
			[]string{`/schedules/0/timezone: time zone "Local" depends on the machine; name an IANA zone such as "Europe/Berlin" or "UTC"`}},
		{"bad name", `{"schedules": [{"name": "daily run", "expression": "rate(1 day)"}]}`,
			[]string{`/schedules/0/name: "daily run" is not a valid name: want 1-40 of A-Z a-z 0-9 _ . -`}},
		{"empty name", `{"schedules": [{"name": "", "expression": "rate(1 day)"}]}`,
			[]string{`/schedules/0/name: must not be empty`}},
		{"duplicate name", `{"schedules": [{"name": "a", "expression": "rate(1 day)"}, {"name": "a", "expression": "rate(2 days)"}]}`,
			[]string{`/schedules/1/name: "a" is already the name of /schedules/0; names must be unique in the file`}},
		{"window too wide", `{"schedules": [{"name": "a", "expression": "rate(1 day)", "flexible_window_minutes": 1441}]}`,
			[]string{`/schedules/0/flexible_window_minutes: 1441 is not 0 (off) or a whole number of minutes 1-1440`}},
		{"window fractional", `{"schedules": [{"name": "a", "expression": "rate(1 day)", "flexible_window_minutes": 1.5}]}`,
			[]string{`/schedules/0/flexible_window_minutes: 1.5 is not 0 (off) or a whole number of minutes 1-1440`}},
		{"window a string", `{"schedules": [{"name": "a", "expression": "rate(1 day)", "flexible_window_minutes": "15"}]}`,
			[]string{`/schedules/0/flexible_window_minutes: want a whole number of minutes, 0 (off) or 1-1440, got a string ("15")`}},
		{"enabled a string", `{"schedules": [{"name": "a", "expression": "rate(1 day)", "enabled": "yes"}]}`,
			[]string{`/schedules/0/enabled: want true or false, got a string ("yes")`}},
		{"bad date", `{"schedules": [{"name": "a", "expression": "rate(1 day)", "start_date": "2026-01-01"}]}`,
			[]string{`/schedules/0/start_date: "2026-01-01" is not an RFC 3339 date-time such as "2026-01-01T00:00:00Z"`}},
		{"end before start", `{"schedules": [{"name": "a", "expression": "rate(1 day)", "start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}]}`,
			[]string{`/schedules/0/end_date: end_date must be after start_date`}},
		{"misspelt field", `{"schedules": [{"name": "a", "expression": "rate(1 day)", "timzone": "UTC"}]}`,
			[]string{`/schedules/0/timzone: unknown field "timzone"; known fields: name, expression, timezone, input, flexible_window_minutes, enabled, start_date, end_date`}},
		{"every problem reported", `{"schedules": [{"name": "a", "expression": "cron(0 6 * *)"}, {"name": "b", "expression": "rate(1 days)"}]}`,
			[]string{`/schedules/0/expression: cron(0 6 * *) has 4 fields, want 6 (minutes hours day-of-month month day-of-week year)`,
				`/schedules/1/expression: rate(1 days) needs the singular unit "day" with value 1, not "days"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := schedule.ParseFile(file, []byte(tt.data))
			if err == nil {
				t.Fatalf("no error; got %+v", got)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, file+": "+w)
			}
			if lines := strings.Split(err.Error(), "\n"); !equal(lines, want) {
				t.Errorf("errors\n  %s\nwant\n  %s", strings.Join(lines, "\n  "), strings.Join(want, "\n  "))
			}
			var se *schedule.Error
			if !errors.As(err, &se) || se.File != file {
				t.Errorf("error is not a *schedule.Error naming the file: %#v", err)
			}
		})
	}
}

func TestParseFileInputLimit(t *testing.T) {
	big, _ := json.Marshal(map[string]string{"pad": strings.Repeat("x", schedule.MaxInputBytes)})
	data := `{"schedules": [{"name": "a", "expression": "rate(1 day)", "input": ` + string(big) + `}]}`
	_, err := schedule.ParseFile(file, []byte(data))
	if err == nil || !strings.HasPrefix(err.Error(), file+": /schedules/0/input: is 262154 bytes, over Step Functions' 262144-byte input limit") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseFileExecutionNameLength(t *testing.T) {
	wf := strings.Repeat("w", 30)
	f := "statemachine/" + wf + ".schedule.json"
	name := strings.Repeat("n", 34)
	data := `{"schedules": [{"name": "` + name + `", "expression": "rate(1 day)"}, {"name": "` + name[:32] + `", "expression": "rate(1 day)"}]}`
	_, err := schedule.ParseFile(f, []byte(data))
	want := f + `: /schedules/0/name: "` + name + `" makes execution names ` + wf + "-" + name + `-yyyymmddThhmmssZ of 82 characters, over Step Functions' 80; shorten it to 32 characters or fewer`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}
