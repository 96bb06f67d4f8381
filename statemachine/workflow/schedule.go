package workflow

import (
	"errors"
	"strings"

	"github.com/stepwise-dev/stepwise/statemachine/schedule"
)

// Schedule is one EventBridge Scheduler schedule of a workflow, from
// statemachine/<name>.schedule.json. The file's grammar and the firing
// rules have one home, package schedule; this is that type.
type Schedule = schedule.Schedule

// parseSchedules reads a schedule file with [schedule.ParseFile] and
// records each of its problems with the line and column its pointer leads
// to. A file that is not JSON gets the same syntax error as every other
// workflow file.
func (p *problems) parseSchedules(file string, data []byte) []Schedule {
	root := p.decodeFile(file, data)
	if root == nil {
		return nil
	}
	out, err := schedule.ParseFile(file, data)
	if err == nil {
		return out
	}
	for _, e := range flatten(err) {
		var se *schedule.Error
		if !errors.As(e, &se) {
			p.add(file, "/", "%v", e)
			continue
		}
		n := lookupPointer(root, se.Pointer)
		p.addAt(file, se.Pointer, data, n.off, "%s", se.Message)
	}
	return out
}

// flatten undoes errors.Join.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// lookupPointer returns the node an RFC 6901 pointer names, or its nearest
// ancestor that exists (a missing field is reported where its object
// starts).
func lookupPointer(root *node, ptr string) *node {
	n := root
	for ptr != "" && ptr != "/" {
		var tok string
		tok, ptr, _ = strings.Cut(strings.TrimPrefix(ptr, "/"), "/")
		if ptr != "" {
			ptr = "/" + ptr
		}
		var next *node
		for _, c := range n.arr {
			if c.ptr == n.ptr+"/"+tok {
				next = c
			}
		}
		if next == nil {
			next = n.obj[unescape(tok)]
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

func unescape(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
}
