package workflow

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a workflow file, printed as
// "<file>: <json pointer>: <message>", with " (line L, column C)" when the
// place in the text is known.
type Error struct {
	// File is the path of the file inside the checkout, e.g.
	// "statemachine/report.schedule.json".
	File string `json:"file"`
	// Pointer is an RFC 6901 JSON pointer into the file; "/" is the whole
	// document.
	Pointer string `json:"pointer"`
	// Message says what is wrong and, where it helps, what to do.
	Message string `json:"message"`
	// Line and Column (1-based) locate the problem in the text; 0 when
	// unknown.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
}

// Error implements error.
func (e *Error) Error() string {
	s := e.File + ": " + e.Pointer + ": " + e.Message
	if e.Line > 0 {
		s += fmt.Sprintf(" (line %d, column %d)", e.Line, e.Column)
	}
	return s
}

// Errors is every problem [Load] found, one per line when printed, sorted
// by file and then by pointer.
type Errors []*Error

// Error implements error.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems one by one, for errors.As and errors.Is.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// problems collects errors while loading.
type problems struct {
	list Errors
}

func (p *problems) add(file, ptr, format string, a ...any) *Error {
	if ptr == "" {
		ptr = "/"
	}
	e := &Error{File: file, Pointer: ptr, Message: fmt.Sprintf(format, a...)}
	p.list = append(p.list, e)
	return e
}

// addAt records a problem at a byte offset of data (for line and column).
func (p *problems) addAt(file, ptr string, data []byte, off int, format string, a ...any) {
	e := p.add(file, ptr, format, a...)
	if off >= 0 && off <= len(data) {
		e.Line, e.Column = lineCol(data, off)
	}
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	sort.SliceStable(p.list, func(i, j int) bool {
		a, b := p.list[i], p.list[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line == 0 || b.Line == 0 {
			return false
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return p.list
}

// lineCol turns a byte offset into a 1-based line and column (in
// characters).
func lineCol(data []byte, off int) (line, col int) {
	line, col = 1, 1
	for _, r := range string(data[:off]) {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// escape escapes one JSON pointer token (RFC 6901).
func escape(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}
