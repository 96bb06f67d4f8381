package workflow

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Schedule is one EventBridge Scheduler schedule of a workflow, from
// statemachine/<name>.schedule.json.
type Schedule struct {
	Name, Expression, Timezone string
	// Input is the execution input; {} when the file gives none.
	Input json.RawMessage
	// FlexibleWindow is 0 (OFF) or 1 to 1440 minutes.
	FlexibleWindow time.Duration
	Enabled        bool
	// Start and End bound the schedule; zero when absent.
	Start, End time.Time
}

var (
	scheduleName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,40}$`)
	rateExpr     = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)
	atExpr       = regexp.MustCompile(`^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$`)
)

// parseSchedules checks a schedule file's shape and expressions.
func (p *problems) parseSchedules(file string, data []byte) []Schedule {
	root := p.decodeFile(file, data)
	if root == nil {
		return nil
	}
	if root.kind != 'o' {
		p.addAt(file, "/", data, root.off, "want an object with \"schedules\", got %s", kindName(root.kind))
		return nil
	}
	for _, k := range root.keys {
		if k != "comment" && k != "schedules" {
			p.addAt(file, root.obj[k].ptr, data, root.obj[k].off, "unknown field %q (want comment, schedules)", k)
		}
	}
	list := root.get("schedules")
	if list == nil || list.kind != 'a' {
		p.addAt(file, "/schedules", data, root.off, "want an array of schedules, e.g. [{\"name\": \"daily\", \"expression\": \"cron(0 6 * * ? *)\"}]")
		return nil
	}
	var out []Schedule
	seen := map[string]bool{}
	for _, n := range list.arr {
		if n.kind != 'o' {
			p.addAt(file, n.ptr, data, n.off, "want an object, got %s", kindName(n.kind))
			continue
		}
		s := p.parseSchedule(file, data, n)
		if s.Name != "" && seen[s.Name] {
			p.addAt(file, n.ptr+"/name", data, n.get("name").off, "schedule name %q is used twice in the file", s.Name)
		}
		seen[s.Name] = true
		out = append(out, s)
	}
	return out
}

func (p *problems) parseSchedule(file string, data []byte, n *node) Schedule {
	s := Schedule{Timezone: "UTC", Enabled: true, Input: json.RawMessage("{}")}
	str := func(v *node) (string, bool) {
		if v.kind != 's' {
			p.addAt(file, v.ptr, data, v.off, "want a string, got %s", kindName(v.kind))
			return "", false
		}
		return v.str, true
	}
	for _, k := range n.keys {
		v := n.obj[k]
		switch k {
		case "name":
			if x, ok := str(v); ok {
				if !scheduleName.MatchString(x) {
					p.addAt(file, v.ptr, data, v.off, "schedule name %q must match %s", x, scheduleName)
				}
				s.Name = x
			}
		case "expression":
			if x, ok := str(v); ok {
				if msg := checkExpression(x); msg != "" {
					p.addAt(file, v.ptr, data, v.off, "%s", msg)
				}
				s.Expression = x
			}
		case "timezone":
			if x, ok := str(v); ok {
				if _, err := time.LoadLocation(x); err != nil || x == "" || x == "Local" {
					p.addAt(file, v.ptr, data, v.off, "unknown time zone %q (want an IANA name such as \"Europe/Berlin\" or \"UTC\")", x)
				}
				s.Timezone = x
			}
		case "input":
			s.Input = json.RawMessage(data[v.off:endOf(data, v)])
		case "flexible_window_minutes":
			m, err := strconv.Atoi(v.num.String())
			if v.kind != 'n' || err != nil || m < 0 || m > 1440 {
				p.addAt(file, v.ptr, data, v.off, "want 0 (OFF) or a whole number of minutes from 1 to 1440")
			}
			s.FlexibleWindow = time.Duration(m) * time.Minute
		case "enabled":
			if v.kind != 'b' {
				p.addAt(file, v.ptr, data, v.off, "want true or false, got %s", kindName(v.kind))
			}
			s.Enabled = v.kind != 'b' || v.bool
		case "start_date", "end_date":
			if x, ok := str(v); ok {
				t, err := time.Parse(time.RFC3339, x)
				if err != nil {
					p.addAt(file, v.ptr, data, v.off, "%q is not an RFC 3339 time such as 2026-01-01T00:00:00Z", x)
				}
				if k == "start_date" {
					s.Start = t
				} else {
					s.End = t
				}
			}
		case "comment":
		default:
			p.addAt(file, v.ptr, data, v.off, "unknown field %q (want name, expression, timezone, input, flexible_window_minutes, enabled, start_date, end_date)", k)
		}
	}
	for _, req := range []string{"name", "expression"} {
		if n.get(req) == nil {
			p.addAt(file, n.ptr+"/"+req, data, n.off, "missing")
		}
	}
	if !s.Start.IsZero() && !s.End.IsZero() && !s.End.After(s.Start) {
		p.addAt(file, n.ptr+"/end_date", data, n.get("end_date").off, "end_date is not after start_date")
	}
	return s
}

// endOf returns the offset just past the value n, re-reading it from data.
func endOf(data []byte, n *node) int {
	dec := json.NewDecoder(strings.NewReader(string(data[n.off:])))
	var raw json.RawMessage
	if dec.Decode(&raw) != nil {
		return n.off
	}
	return n.off + int(dec.InputOffset())
}

// checkExpression checks the form of a schedule expression; it returns ""
// when it is well formed.
func checkExpression(x string) string {
	switch {
	case strings.HasPrefix(x, "cron(") && strings.HasSuffix(x, ")"):
		f := strings.Fields(x[5 : len(x)-1])
		if len(f) != 6 {
			return fmt.Sprintf("%s has %d fields, want 6 (minutes hours day-of-month month day-of-week year)", x, len(f))
		}
		if f[2] != "?" && f[4] != "?" {
			return fmt.Sprintf("%s: one of day-of-month (%s) and day-of-week (%s) must be ?", x, f[2], f[4])
		}
		return ""
	case strings.HasPrefix(x, "rate("):
		m := rateExpr.FindStringSubmatch(x)
		if m == nil {
			return fmt.Sprintf("%s is not rate(N unit) with unit minute(s), hour(s) or day(s)", x)
		}
		nv, _ := strconv.Atoi(m[1])
		singular := !strings.HasSuffix(m[2], "s")
		if nv < 1 || (nv == 1) != singular {
			return fmt.Sprintf("%s: use a positive value, with a singular unit only for 1 (rate(1 hour), rate(5 minutes))", x)
		}
		return ""
	case strings.HasPrefix(x, "at("):
		m := atExpr.FindStringSubmatch(x)
		if m == nil {
			return fmt.Sprintf("%s is not at(yyyy-mm-ddThh:mm:ss)", x)
		}
		if _, err := time.Parse("2006-01-02T15:04:05", m[1]); err != nil {
			return fmt.Sprintf("%s: %s is not a valid date and time", x, m[1])
		}
		return ""
	}
	return fmt.Sprintf("%q is not a schedule expression: want cron(m h dom mon dow y), rate(N unit) or at(yyyy-mm-ddThh:mm:ss)", x)
}
