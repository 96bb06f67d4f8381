package csvsplit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Errors a [ParseError] carries. The texts are those of encoding/csv, which
// the export reported before it had its own reader.
var (
	ErrBareQuote = errors.New(`bare " in non-quoted-field`)
	ErrQuote     = errors.New(`extraneous or missing " in quoted-field`)
)

// ParseError is a record that breaks RFC 4180. The record's fields are
// still returned, read as Python's non-strict csv reader reads them.
type ParseError struct {
	StartLine int64 // line the record starts on (1-based, relative to the reader's start)
	Line      int64 // line of the first fault
	Field     int   // 1-based field of the first fault
	Offset    int64 // byte offset of the first fault, relative to the reader's start
	Err       error // ErrBareQuote or ErrQuote
}

// Error implements error.
func (e *ParseError) Error() string {
	if e.StartLine != e.Line {
		return fmt.Sprintf("record on line %d; parse error on line %d, field %d: %v", e.StartLine, e.Line, e.Field, e.Err)
	}
	return fmt.Sprintf("line %d, field %d: %v", e.Line, e.Field, e.Err)
}

// Unwrap returns ErrBareQuote or ErrQuote.
func (e *ParseError) Unwrap() error { return e.Err }

// Reader decodes CSV records with the grammar described in the package
// documentation. It reads from the start of a record (the start of a
// stream or of a [Range]); a byte order mark at its start is data (a
// stream's leading one is not part of any range). It is not safe for
// concurrent use.
type Reader struct {
	r       io.Reader
	buf     []byte
	pos     int
	end     int
	eof     bool
	rerr    error
	delim   []byte
	special [256]bool

	field  []byte
	ends   []int
	fields []string

	line    int64 // line ends consumed
	off     int64 // bytes consumed
	recLine int64
	recOff  int64
	cr      bool // inside a quoted field, the last byte was "\r"
	perr    *ParseError
}

// NewReader returns a reader of r with the given field delimiter (one
// character, "," if empty).
func NewReader(r io.Reader, delimiter string) *Reader {
	if delimiter == "" {
		delimiter = ","
	}
	rd := &Reader{r: r, buf: make([]byte, 64<<10), delim: []byte(delimiter)}
	rd.special['\r'] = true
	rd.special['\n'] = true
	rd.special['"'] = true
	rd.special[rd.delim[0]] = true
	return rd
}

// Line returns the 1-based line, relative to the reader's start, on which
// the record last returned starts.
func (r *Reader) Line() int64 { return r.recLine }

// Offset returns the byte offset, relative to the reader's start, at which
// the record last returned starts.
func (r *Reader) Offset() int64 { return r.recOff }

// fill reads more input after buf[pos:end], keeping it. It reports whether
// it got any.
func (r *Reader) fill() bool {
	if r.eof {
		return false
	}
	if r.pos > 0 {
		r.end = copy(r.buf, r.buf[r.pos:r.end])
		r.pos = 0
	}
	if r.end == len(r.buf) {
		r.buf = append(r.buf, make([]byte, len(r.buf))...)
	}
	for {
		n, err := r.r.Read(r.buf[r.end:])
		r.end += n
		if err != nil {
			r.eof = true
			if err != io.EOF {
				r.rerr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// peek returns the next byte without consuming it.
func (r *Reader) peek() (byte, bool) {
	if r.pos == r.end && !r.fill() {
		return 0, false
	}
	return r.buf[r.pos], true
}

func (r *Reader) skip(n int) {
	r.pos += n
	r.off += int64(n)
}

// atDelim reports whether the delimiter starts at the next byte.
func (r *Reader) atDelim() bool {
	for r.end-r.pos < len(r.delim) {
		if !r.fill() {
			return false
		}
	}
	return bytes.Equal(r.buf[r.pos:r.pos+len(r.delim)], r.delim)
}

// lineEnd consumes "\n", "\r\n" or a lone "\r".
func (r *Reader) lineEnd() {
	c, _ := r.peek()
	r.skip(1)
	r.line++
	if c == '\r' {
		if c, ok := r.peek(); ok && c == '\n' {
			r.skip(1)
		}
	}
}

func (r *Reader) fault(err error) {
	if r.perr == nil {
		r.perr = &ParseError{StartLine: r.recLine, Line: r.line + 1, Field: len(r.ends) + 1, Offset: r.off, Err: err}
	}
}

// Read returns the next non-empty record. A record that breaks RFC 4180 is
// returned with a [*ParseError]; reading may go on after it. At the end of
// the input Read returns io.EOF, or the error of the underlying reader.
// The returned slice is reused by the next call; its strings are not.
func (r *Reader) Read() ([]string, error) {
	for {
		c, ok := r.peek()
		if !ok {
			if r.rerr != nil {
				return nil, r.rerr
			}
			return nil, io.EOF
		}
		if c != '\n' && c != '\r' {
			break
		}
		r.lineEnd() // an empty line
	}
	r.recLine, r.recOff = r.line+1, r.off
	r.field, r.ends, r.perr = r.field[:0], r.ends[:0], nil
	for {
		// At the start of a field.
		if c, ok := r.peek(); ok && c == '"' {
			r.skip(1)
			r.cr = false
			if !r.quoted() {
				r.fault(ErrQuote) // still open at the end of the input
				r.ends = append(r.ends, len(r.field))
				return r.record()
			}
			if c, ok := r.peek(); ok && c != '\n' && c != '\r' && !r.atDelim() {
				r.fault(ErrQuote) // text after the closing quote
			}
		}
		// Unquoted bytes: the whole field, or what follows a closing quote.
		for {
			if r.pos == r.end && !r.fill() {
				r.ends = append(r.ends, len(r.field))
				return r.record()
			}
			chunk := r.buf[r.pos:r.end]
			i := 0
			for i < len(chunk) && !r.special[chunk[i]] {
				i++
			}
			r.field = append(r.field, chunk[:i]...)
			r.skip(i)
			if i == len(chunk) {
				continue
			}
			switch c := chunk[i]; c {
			case '\n', '\r':
				r.ends = append(r.ends, len(r.field))
				r.lineEnd()
				return r.record()
			case '"':
				r.fault(ErrBareQuote)
				r.field = append(r.field, c)
				r.skip(1)
				continue
			}
			if r.atDelim() {
				r.skip(len(r.delim))
				r.ends = append(r.ends, len(r.field))
				break
			}
			r.field = append(r.field, r.buf[r.pos])
			r.skip(1)
		}
	}
}

// quoted reads a quoted field's content after its opening quote, through
// the closing quote. It reports false if the input ends first.
func (r *Reader) quoted() bool {
	for {
		if r.pos == r.end && !r.fill() {
			return false
		}
		chunk := r.buf[r.pos:r.end]
		j := bytes.IndexByte(chunk, '"')
		if j < 0 {
			r.field = append(r.field, chunk...)
			r.countLines(chunk)
			r.skip(len(chunk))
			continue
		}
		r.field = append(r.field, chunk[:j]...)
		r.countLines(chunk[:j])
		r.skip(j + 1)
		r.cr = false
		if c, ok := r.peek(); ok && c == '"' {
			r.field = append(r.field, '"')
			r.skip(1)
			continue
		}
		return true
	}
}

var (
	cr   = []byte{'\r'}
	crlf = []byte("\r\n")
)

// countLines counts the line ends in b, a piece of a quoted field, as the
// splitter does.
func (r *Reader) countLines(b []byte) {
	if len(b) == 0 {
		return
	}
	n := bytes.Count(b, nl) + bytes.Count(b, cr) - bytes.Count(b, crlf)
	if r.cr && b[0] == '\n' {
		n--
	}
	r.line += int64(n)
	r.cr = b[len(b)-1] == '\r'
}

func (r *Reader) record() ([]string, error) {
	if r.rerr != nil {
		// The input broke off: whatever was read of this record is not it.
		return nil, r.rerr
	}
	s := string(r.field)
	r.fields = r.fields[:0]
	prev := 0
	for _, e := range r.ends {
		r.fields = append(r.fields, s[prev:e])
		prev = e
	}
	if r.perr != nil {
		return r.fields, r.perr
	}
	return r.fields, nil
}
