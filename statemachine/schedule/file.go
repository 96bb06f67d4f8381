package schedule

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Schedule is one entry of a schedule file, with its defaults applied.
type Schedule struct {
	Name       string // ^[A-Za-z0-9_.-]{1,40}$, unique in its file
	Expression string // cron(...), rate(...) or at(...)
	Timezone   string // IANA name; "UTC" when the file omits it
	// Input is the execution input, compact JSON; {} when the file omits it.
	Input json.RawMessage
	// FlexibleWindow is 0 (off) or 1 minute to 24 hours: the execution
	// starts at some point within it after each scheduled instant.
	FlexibleWindow time.Duration
	Enabled        bool      // false: the schedule never fires
	Start, End     time.Time // zero when unset; ignored by at()
}

// Error is one problem in a schedule file. Its text is
// "<file>: <JSON pointer>: <message>", the project's error format.
type Error struct {
	File    string
	Pointer string // RFC 6901; "/" for the document as a whole
	Message string
}

func (e *Error) Error() string { return e.File + ": " + e.Pointer + ": " + e.Message }

// MaxInputBytes is Step Functions' limit on an execution's input.
const MaxInputBytes = 256 * 1024

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,40}$`)

// ParseFile parses the schedule file named file (the name is used in
// errors and, when it is <workflow>.schedule.json, to check that the
// execution names it leads to fit Step Functions' 80 characters). It
// returns every problem found, each an [*Error], joined with
// [errors.Join]. Unknown fields are errors, so that a misspelt
// "timzone" is not silently ignored.
func ParseFile(file string, data []byte) ([]Schedule, error) {
	p := &fileParser{file: file}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		p.add("/", jsonProblem(data, err, "an object {\"schedules\": [...]}"))
		return nil, p.err()
	}
	if top == nil {
		p.add("/", "want an object {\"schedules\": [...]}, got null")
		return nil, p.err()
	}
	p.unknown("", top, "comment", "schedules")
	if c, ok := top["comment"]; ok {
		var s string
		if json.Unmarshal(c, &s) != nil {
			p.add("/comment", "want a string, got "+preview(c))
		}
	}
	raw, ok := top["schedules"]
	if !ok {
		p.add("/schedules", "required: a list of schedules [{\"name\": ..., \"expression\": ...}]")
		return nil, p.err()
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil || list == nil {
		p.add("/schedules", "want a list of schedules, got "+preview(raw))
		return nil, p.err()
	}
	out := make([]Schedule, 0, len(list))
	seen := map[string]int{}
	for i, item := range list {
		s, ok := p.schedule(fmt.Sprintf("/schedules/%d", i), item)
		if !ok {
			continue
		}
		if j, dup := seen[s.Name]; dup {
			p.add(fmt.Sprintf("/schedules/%d/name", i), fmt.Sprintf("%q is already the name of /schedules/%d; names must be unique in the file", s.Name, j))
			continue
		}
		seen[s.Name] = i
		out = append(out, s)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

type fileParser struct {
	file string
	errs []error
}

func (p *fileParser) add(ptr, msg string) {
	p.errs = append(p.errs, &Error{File: p.file, Pointer: ptr, Message: msg})
}

func (p *fileParser) err() error { return errors.Join(p.errs...) }

func (p *fileParser) unknown(ptr string, obj map[string]json.RawMessage, known ...string) {
	var extra []string
	for k := range obj {
		if !contains(known, k) {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		p.add(ptr+"/"+escape(k), fmt.Sprintf("unknown field %q; known fields: %s", k, strings.Join(known, ", ")))
	}
}

var scheduleFields = []string{"name", "expression", "timezone", "input", "flexible_window_minutes", "enabled", "start_date", "end_date"}

// schedule parses one entry at pointer ptr; ok is false when it had a
// problem (already reported).
func (p *fileParser) schedule(ptr string, raw json.RawMessage) (s Schedule, ok bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		p.add(ptr, "want an object {\"name\": ..., \"expression\": ...}, got "+preview(raw))
		return s, false
	}
	before := len(p.errs)
	p.unknown(ptr, obj, scheduleFields...)
	s.Name = p.str(ptr, obj, "name", true)
	if s.Name != "" && !nameRE.MatchString(s.Name) {
		p.add(ptr+"/name", fmt.Sprintf("%q is not a valid name: want 1-40 of A-Z a-z 0-9 _ . -", s.Name))
	}
	s.Expression = p.str(ptr, obj, "expression", true)
	s.Timezone = p.str(ptr, obj, "timezone", false)
	if s.Timezone == "" {
		s.Timezone = "UTC"
	}
	if _, err := loadZone(s.Timezone); err != nil {
		p.add(ptr+"/timezone", err.Error())
	} else if s.Expression != "" {
		if _, err := ParseExpression(s.Expression, s.Timezone); err != nil {
			p.add(ptr+"/expression", err.Error())
		}
	}
	s.Input = p.input(ptr, obj)
	s.FlexibleWindow = p.window(ptr, obj)
	s.Enabled = true
	if v, there := obj["enabled"]; there && json.Unmarshal(v, &s.Enabled) != nil {
		p.add(ptr+"/enabled", "want true or false, got "+preview(v))
	}
	s.Start = p.date(ptr, obj, "start_date")
	s.End = p.date(ptr, obj, "end_date")
	if !s.Start.IsZero() && !s.End.IsZero() && !s.End.After(s.Start) {
		p.add(ptr+"/end_date", "end_date must be after start_date")
	}
	p.nameLength(ptr, s.Name)
	return s, len(p.errs) == before
}

// str reads a string field; a required one must be present and non-empty.
func (p *fileParser) str(ptr string, obj map[string]json.RawMessage, key string, required bool) string {
	v, there := obj[key]
	if !there {
		if required {
			p.add(ptr+"/"+key, "required")
		}
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		p.add(ptr+"/"+key, "want a string, got "+preview(v))
		return ""
	}
	if required && s == "" {
		p.add(ptr+"/"+key, "must not be empty")
	}
	return s
}

func (p *fileParser) input(ptr string, obj map[string]json.RawMessage) json.RawMessage {
	v, there := obj["input"]
	if !there {
		return json.RawMessage("{}")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		p.add(ptr+"/input", "not valid JSON: "+err.Error())
		return nil
	}
	if buf.Len() > MaxInputBytes {
		p.add(ptr+"/input", fmt.Sprintf("is %d bytes, over Step Functions' %d-byte input limit; pass a reference to an S3 object instead", buf.Len(), MaxInputBytes))
		return nil
	}
	return json.RawMessage(buf.Bytes())
}

func (p *fileParser) window(ptr string, obj map[string]json.RawMessage) time.Duration {
	v, there := obj["flexible_window_minutes"]
	if !there {
		return 0
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	if t := bytes.TrimSpace(v); len(t) > 0 && t[0] == '"' || dec.Decode(&n) != nil {
		p.add(ptr+"/flexible_window_minutes", "want a whole number of minutes, 0 (off) or 1-1440, got "+preview(v))
		return 0
	}
	m, err := n.Int64()
	if err != nil || m < 0 || m > 1440 {
		p.add(ptr+"/flexible_window_minutes", fmt.Sprintf("%s is not 0 (off) or a whole number of minutes 1-1440", n))
		return 0
	}
	return time.Duration(m) * time.Minute
}

func (p *fileParser) date(ptr string, obj map[string]json.RawMessage, key string) time.Time {
	v, there := obj[key]
	if !there {
		return time.Time{}
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		p.add(ptr+"/"+key, "want an RFC 3339 date-time string such as \"2026-01-01T00:00:00Z\", got "+preview(v))
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		p.add(ptr+"/"+key, fmt.Sprintf("%q is not an RFC 3339 date-time such as \"2026-01-01T00:00:00Z\"", s))
		return time.Time{}
	}
	return t.UTC()
}

// nameLength checks that <workflow>-<name>-yyyymmddThhmmssZ, the local
// execution name, fits Step Functions' 80 characters.
func (p *fileParser) nameLength(ptr, name string) {
	wf, ok := strings.CutSuffix(path.Base(p.file), ".schedule.json")
	if !ok || name == "" {
		return
	}
	if n := len(wf) + 1 + len(name) + 1 + len("20060102T150405Z"); n > 80 {
		p.add(ptr+"/name", fmt.Sprintf("%q makes execution names %s-%s-yyyymmddThhmmssZ of %d characters, over Step Functions' 80; shorten it to %d characters or fewer", name, wf, name, n, len(name)-(n-80)))
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func escape(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

// preview names a JSON value's type and shows its start.
func preview(v json.RawMessage) string {
	s := strings.TrimSpace(string(v))
	kind := "a number"
	switch {
	case s == "null":
		return "null"
	case s == "true" || s == "false":
		kind = "a boolean"
	case strings.HasPrefix(s, "\""):
		kind = "a string"
	case strings.HasPrefix(s, "{"):
		kind = "an object"
	case strings.HasPrefix(s, "["):
		kind = "a list"
	}
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return kind + " (" + s + ")"
}

// jsonProblem describes a decoding error with its line and column.
func jsonProblem(data []byte, err error, want string) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := 1, 1
		for _, b := range data[:min(max(int(se.Offset)-1, 0), len(data))] {
			if b == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return fmt.Sprintf("not valid JSON at line %d, column %d: %v", line, col, se)
	}
	return "want " + want + ": " + err.Error()
}

// Next returns the first instant strictly after after at which s fires,
// false when there is none: s is disabled, its expression is invalid, its
// end date is past, or its at() instant is not after after. A cron or
// rate schedule fires only at or after Start and before End (both
// ignored by at(), as on AWS); a rate counts from Start, or from the Unix
// epoch when there is no Start. The instant is the scheduled one; a
// flexible window's delay is for the caller to add.
func (s Schedule) Next(after time.Time) (time.Time, bool) {
	if !s.Enabled {
		return time.Time{}, false
	}
	e, err := cached(s.Expression, s.Timezone)
	if err != nil {
		return time.Time{}, false
	}
	if e.kind == At {
		return e.Next(after)
	}
	anchor := time.Unix(0, 0)
	if !s.Start.IsZero() {
		anchor = s.Start
		if s.Start.After(after) {
			after = s.Start.Add(-time.Nanosecond)
		}
	}
	t, ok := e.next(after, anchor)
	if !ok || (!s.End.IsZero() && !t.Before(s.End)) {
		return time.Time{}, false
	}
	return t, true
}
