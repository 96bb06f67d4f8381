package report

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"

	"github.com/stepwise-dev/stepwise/steps/csvsplit"
)

// scanner reads CSV records with a one-byte delimiter as byte slices into
// its buffer: the part step's hot loop, with no allocation per record.
// The grammar is csvsplit's (RFC 4180; "\n", "\r\n" or a lone "\r" end a
// record; empty lines are skipped; quoted fields may hold line ends and
// "" for a quote), but where csvsplit's reader recovers from a fault as
// Python's csv module does, the scanner stops with an error: a report
// must not add up a row it could not read exactly. Multi-byte delimiters
// go through csvsplit's reader instead (see [AggregateRecords]).
type scanner struct {
	r     io.Reader
	buf   []byte
	pos   int
	end   int
	eof   bool
	rerr  error
	delim byte
	stop  [256]bool // bytes that end an unquoted run
	dw    uint64    // delim in every byte of a word, for [scanner.unquoted]

	spans   []span
	fields  [][]byte
	scratch []byte // quoted fields with "" escapes, unescaped
	line    int64  // line ends consumed
	recLine int64  // line the last record starts on (1-based)
}

// span is a field unescaped into scratch: scratch[a:b] is field i (set
// once the record is whole, as scratch may move while it grows).
type span struct {
	a, b, i int
}

func newScanner(r io.Reader, delim byte) *scanner {
	s := &scanner{r: r, buf: make([]byte, 256<<10), delim: delim, dw: ones * uint64(delim)}
	s.stop[delim], s.stop['\n'], s.stop['\r'], s.stop['"'] = true, true, true, true
	return s
}

// more reads more input, keeping buf[pos:end]; false at the end of it.
func (s *scanner) more() bool {
	if s.eof {
		return false
	}
	if s.pos > 0 {
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.pos = 0
	}
	if s.end == len(s.buf) {
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.rerr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// errMore says a record runs past the buffered input.
var errMore = fmt.Errorf("need more input")

// next returns the next non-empty record's fields, valid until the next
// call; io.EOF at the end.
func (s *scanner) next() ([][]byte, error) {
	for {
		fields, err := s.record()
		if err != errMore {
			return fields, err
		}
		if !s.more() {
			if s.rerr != nil {
				return nil, s.rerr
			}
			// The input ended inside the record: record() sees eof now.
			continue
		}
	}
}

// record parses one record at buf[pos:end]; errMore when it needs more
// input (nothing is consumed then).
func (s *scanner) record() ([][]byte, error) {
	buf, p, end := s.buf, s.pos, s.end
	lines := int64(0)
	for p < end && (buf[p] == '\n' || buf[p] == '\r') { // empty lines
		if buf[p] == '\r' && p+1 == end && !s.eof {
			return nil, errMore
		}
		if buf[p] == '\r' && p+1 < end && buf[p+1] == '\n' {
			p++
		}
		p++
		lines++
	}
	if p == end {
		if !s.eof {
			s.line += lines
			s.pos = p
			return nil, errMore
		}
		s.line += lines
		s.pos = p
		if s.rerr != nil {
			return nil, s.rerr
		}
		return nil, io.EOF
	}
	recLine := s.line + lines + 1
	s.spans, s.scratch, s.fields = s.spans[:0], s.scratch[:0], s.fields[:0]
	for {
		var a, b int
		inScratch := false
		if buf[p] == '"' {
			q, esc, n, err := s.quoted(p + 1)
			if err != nil {
				return nil, s.fault(err, recLine)
			}
			a, b = p+1, q
			lines += n
			if esc {
				inScratch = true
				a = len(s.scratch)
				for i := p + 1; i < q; i++ {
					s.scratch = append(s.scratch, buf[i])
					if buf[i] == '"' {
						i++
					}
				}
				b = len(s.scratch)
			}
			p = q + 1
			if p == end && !s.eof {
				return nil, errMore
			}
			if p < end && buf[p] != s.delim && buf[p] != '\n' && buf[p] != '\r' {
				return nil, s.fault(csvsplit.ErrQuote, recLine)
			}
		} else {
			a = p
			p = s.unquoted(p)
			if p == end && !s.eof {
				return nil, errMore
			}
			if p < end && buf[p] == '"' {
				return nil, s.fault(csvsplit.ErrBareQuote, recLine)
			}
			b = p
		}
		if inScratch {
			s.spans = append(s.spans, span{a, b, len(s.fields)})
			s.fields = append(s.fields, nil)
		} else {
			s.fields = append(s.fields, buf[a:b])
		}
		if p == end { // the input ends the record
			break
		}
		c := buf[p]
		if c == s.delim {
			p++
			if p == end && !s.eof {
				return nil, errMore
			}
			if p == end || buf[p] == '\n' || buf[p] == '\r' {
				s.fields = append(s.fields, buf[p:p]) // a trailing empty field
				if p == end {
					break
				}
			} else {
				continue
			}
			c = buf[p]
		}
		if c == '\r' {
			if p+1 == end && !s.eof {
				return nil, errMore
			}
			if p+1 < end && buf[p+1] == '\n' {
				p++
			}
		}
		p++
		lines++
		break
	}
	s.pos, s.line, s.recLine = p, s.line+lines, recLine
	for _, sp := range s.spans {
		s.fields[sp.i] = s.scratch[sp.a:sp.b]
	}
	return s.fields, nil
}

// quoted finds the closing quote of a quoted field whose content starts
// at p; it reports whether the content holds "" escapes and how many line
// ends it holds.
func (s *scanner) quoted(p int) (q int, esc bool, lines int64, err error) {
	buf, end, start := s.buf, s.end, p
	for {
		j := bytes.IndexByte(buf[p:end], '"')
		if j < 0 {
			if !s.eof {
				return 0, false, 0, errMore
			}
			return 0, false, 0, csvsplit.ErrQuote // still open at the end
		}
		q = p + j
		if q+1 == end && !s.eof {
			return 0, false, 0, errMore
		}
		if q+1 < end && buf[q+1] == '"' {
			esc = true
			p = q + 2
			continue
		}
		return q, esc, lineEnds(buf[start:q]), nil
	}
}

// Words of eight bytes, for finding a byte of a small set in a word
// without a branch per byte (SWAR).
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
	nls   = '\n' * ones
	crs   = '\r' * ones
	quots = '"' * ones
)

// zeros marks the zero bytes of x with their high bit. Bits above the
// lowest mark may be false (a borrow from a zero byte), so only the lowest
// mark is exact: bits.TrailingZeros64(zeros(x))/8 is the index of the first
// zero byte (little-endian), 8 when there is none.
func zeros(x uint64) uint64 { return (x - ones) &^ x & highs }

// unquoted returns the index of the first byte at or after p that ends an
// unquoted run (the delimiter, '"', '\n' or '\r'), or s.end: eight bytes at
// a time while eight are buffered, then byte by byte.
func (s *scanner) unquoted(p int) int {
	buf, end := s.buf[:s.end], s.end
	for ; p+8 <= end; p += 8 {
		w := binary.LittleEndian.Uint64(buf[p:])
		if m := zeros(w^s.dw) | zeros(w^nls) | zeros(w^crs) | zeros(w^quots); m != 0 {
			return p + bits.TrailingZeros64(m)>>3
		}
	}
	for p < end && !s.stop[buf[p]] {
		p++
	}
	return p
}

// lineEnds counts "\n", "\r\n" and lone "\r" in b. Quoted fields are
// mostly short and without any: eight bytes at a time to the first word
// holding a '\n' or '\r', byte by byte from there.
func lineEnds(b []byte) int64 {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if zeros(w^nls)|zeros(w^crs) != 0 {
			break
		}
	}
	var n int64
	for ; i < len(b); i++ {
		if c := b[i]; c == '\n' || c == '\r' && (i+1 == len(b) || b[i+1] != '\n') {
			n++
		}
	}
	return n
}

// fault returns a row error at the record's line; when the input is
// exhausted the error is the input's own, if any.
func (s *scanner) fault(err error, line int64) error {
	if err == errMore {
		return errMore
	}
	if s.rerr != nil {
		return s.rerr
	}
	return &RowError{Line: line, Reason: err.Error()}
}

// RowError is a source row the report cannot use: a CSV syntax error, a
// wrong number of fields, a value that is not a number where one is
// needed, or a filter error. Line is the 1-based line the row starts on,
// counted from the start of what was read (see [Options.FirstLine]).
type RowError struct {
	Line   int64
	Reason string
}

// Error implements error.
func (e *RowError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }
