// Package csvsplit holds the one CSV grammar the export steps read: it cuts
// a CSV or JSON Lines stream into byte ranges that start and end on record
// boundaries, in one sequential pass with bounded memory ([Split]), and it
// decodes the records of such a range ([Reader]).
//
// The grammar is RFC 4180 as Python's csv module reads it (the excel
// dialect, which is what most producers mean): a record ends at "\n",
// "\r\n" or a lone "\r" outside quotes; a field that starts with a quote
// runs to the closing quote and keeps every byte between, "\r\n" and lone
// "\r" included, with "" standing for one quote. Field values are never
// normalised: no line-end translation, no trimming, no re-encoding.
// A UTF-8 byte order mark at the very start of the stream is an encoding
// signature, not data: it belongs to no record. Empty lines hold no record.
// Records that break RFC 4180 (a quote inside an unquoted field, text after
// a closing quote, a quoted field still open at the end) are read the way
// Python's non-strict reader reads them, so that record boundaries never
// depend on where a range starts, and reported as [*ParseError] so the
// caller can reject them instead of guessing.
//
// Finding a record boundary near an arbitrary offset is ambiguous in CSV: a
// newline may end a record or sit inside a quoted field, and which one it is
// depends on every quote before it. So the splitter reads the stream once
// from the start, tracking quote state exactly as [Reader] parses, and cuts
// after the first record end at or past each multiple of the part size.
// Every range it returns therefore reads, on its own, into exactly the
// records a sequential [Reader] pass finds in those bytes.
//
// Lines (for the line numbers in messages) end at "\n", "\r\n" or a lone
// "\r" in CSV, at "\n" in JSON Lines.
package csvsplit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxHeaderBytes bounds the header record the splitter keeps in memory.
const MaxHeaderBytes = 1 << 20

// BOM is the UTF-8 byte order mark; at the start of a stream it is skipped.
const BOM = "\ufeff"

// Options configures [Split].
type Options struct {
	// PartSize is the target number of bytes per range; a range ends at the
	// first record end at or after it. Must be positive.
	PartSize int64
	// Quote is the quote character; 0 means JSON Lines: records never span
	// lines, only "\n" ends them, and a line of JSON whitespace is empty.
	Quote byte
	// Delimiter separates fields ("," by default). Only used to decide
	// whether a quote opens a quoted field.
	Delimiter string
	// Header says the first non-empty record is a header: it is returned in
	// [Result.Header] and belongs to no range.
	Header bool
	// BufferSize is the read buffer size (default 1 MiB).
	BufferSize int
}

// Range is a byte range [Start, End) of the stream holding whole records.
type Range struct {
	Start, End int64
	// FirstRecord is the 1-based number of the range's first data record
	// (the header not counted).
	FirstRecord int64
	// FirstLine is the 1-based line the range starts on.
	FirstLine int64
	// Records is the number of non-empty records in the range.
	Records int64
}

// Result is what [Split] found.
type Result struct {
	// Header is the raw header record including its line end, when
	// Options.Header is set (without a leading byte order mark).
	Header []byte
	// Ranges cover the stream after the header, contiguously and in order.
	// There is always at least one range (possibly empty).
	Ranges []Range
	// Records is the number of data records.
	Records int64
	// Size is the stream length in bytes.
	Size int64
}

// Parser states. Outside a quoted field the splitter only needs to know
// where the current record started; inside, whether the last byte was a
// quote (an escaped quote or the end of the field); after a "\r" outside
// quotes, whether a "\n" follows (one line end) or not (a lone "\r").
const (
	outside = iota
	inQuoted
	quoteInQuoted
	afterCR
)

// Split reads r to the end and returns its record-aligned ranges.
func Split(r io.Reader, opts Options) (*Result, error) {
	if opts.PartSize <= 0 {
		return nil, errors.New("csvsplit: PartSize must be positive")
	}
	if opts.Delimiter == "" {
		opts.Delimiter = ","
	}
	if opts.BufferSize <= 0 {
		opts.BufferSize = 1 << 20
	}
	s := &splitter{opts: opts, delim: []byte(opts.Delimiter), needHeader: opts.Header, line: 1, res: &Result{}}
	s.cur = Range{FirstRecord: 1, FirstLine: 1}
	br := bufio.NewReaderSize(r, opts.BufferSize)
	if b, _ := br.Peek(len(BOM)); string(b) == BOM {
		_, _ = br.Discard(len(BOM))
		s.off, s.recStart, s.cur.Start = int64(len(BOM)), int64(len(BOM)), int64(len(BOM))
	}
	buf := make([]byte, opts.BufferSize)
	for {
		n, err := br.Read(buf)
		if n > 0 {
			if perr := s.feed(buf[:n]); perr != nil {
				return nil, perr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("csvsplit: read at byte %d: %w", s.off, err)
		}
	}
	return s.finish()
}

type splitter struct {
	opts       Options
	delim      []byte
	state      int
	cr         bool  // inside a quoted field, the last byte was "\r"
	data       bool  // JSON Lines: the open record has a non-whitespace byte
	off        int64 // absolute offset of the start of the current chunk
	recStart   int64 // absolute offset where the current record starts
	line       int64 // current line (1-based)
	recLine    int64 // line the current record started on
	tail       [8]byte
	tailLen    int
	needHeader bool
	header     []byte
	cur        Range
	res        *Result
}

// feed advances over one chunk.
func (s *splitter) feed(buf []byte) error {
	q := s.opts.Quote
	i := 0
	for i < len(buf) {
		switch s.state {
		case afterCR:
			// The record ended at a "\r"; a "\n" right after it is part of
			// the same line end.
			end := s.off + int64(i)
			if buf[i] == '\n' {
				i++
				end++
			}
			s.state = outside
			if err := s.recordEnd(buf, end); err != nil {
				return err
			}
		case inQuoted:
			j := bytes.IndexByte(buf[i:], q)
			if j < 0 {
				s.countLines(buf[i:])
				i = len(buf)
				continue
			}
			s.countLines(buf[i : i+j])
			i += j + 1
			s.state = quoteInQuoted
		case quoteInQuoted:
			if buf[i] == q {
				i++
				s.state = inQuoted
				s.cr = false
			} else {
				s.state = outside
			}
		default:
			rest := buf[i:]
			jn := bytes.IndexByte(rest, '\n')
			seg := rest
			if jn >= 0 {
				seg = rest[:jn]
			}
			if q == 0 {
				if !s.data {
					s.data = len(bytes.Trim(seg, " \t\r")) > 0
				}
			} else {
				if jr := bytes.IndexByte(seg, '\r'); jr >= 0 {
					seg, jn = seg[:jr], jr
				}
				if jq := bytes.IndexByte(seg, q); jq >= 0 {
					p := i + jq
					if s.atFieldStart(buf, p) {
						s.state = inQuoted
						s.cr = false
					}
					i = p + 1
					continue
				}
			}
			if jn < 0 {
				i = len(buf)
				continue
			}
			i += jn + 1
			if rest[jn] == '\r' {
				s.state = afterCR
				continue
			}
			if err := s.recordEnd(buf, s.off+int64(i)); err != nil {
				return err
			}
		}
	}
	if s.needHeader {
		// The header record is still open: keep what this chunk holds of it.
		from := max(s.recStart, s.off)
		s.header = append(s.header, buf[from-s.off:]...)
		if len(s.header) > MaxHeaderBytes {
			return fmt.Errorf("csvsplit: header record (line %d) is longer than %d bytes", s.recLine, MaxHeaderBytes)
		}
	}
	s.keepTail(buf)
	s.off += int64(len(buf))
	return nil
}

// countLines counts the line ends in b, a piece of a quoted field: "\n",
// "\r\n" and a lone "\r" are one each, also when a "\r\n" straddles two
// pieces.
func (s *splitter) countLines(b []byte) {
	if len(b) == 0 {
		return
	}
	n := bytes.Count(b, nl) + bytes.Count(b, cr) - bytes.Count(b, crlf)
	if s.cr && b[0] == '\n' {
		n--
	}
	s.line += int64(n)
	s.cr = b[len(b)-1] == '\r'
}

var nl = []byte{'\n'}

// atFieldStart reports whether the quote at buf[p] opens a field: it is
// the first byte of the record or follows the delimiter.
func (s *splitter) atFieldStart(buf []byte, p int) bool {
	abs := s.off + int64(p)
	if abs == s.recStart {
		return true
	}
	d := len(s.delim)
	if abs-s.recStart < int64(d) {
		return false
	}
	if p >= d {
		return bytes.Equal(buf[p-d:p], s.delim)
	}
	// The delimiter straddles the previous chunk.
	var prev [8]byte
	k := d - p
	copy(prev[:k], s.tail[s.tailLen-k:s.tailLen])
	copy(prev[k:d], buf[:p])
	return bytes.Equal(prev[:d], s.delim)
}

func (s *splitter) keepTail(buf []byte) {
	if len(buf) >= len(s.tail) {
		s.tailLen = copy(s.tail[:], buf[len(buf)-len(s.tail):])
		return
	}
	all := append(s.tail[:s.tailLen:s.tailLen], buf...)
	s.tailLen = copy(s.tail[:], all[max(0, len(all)-len(s.tail)):])
}

// recordEnd handles a record (or an empty line) that ends, line end
// included, just before absolute offset end, which is at most the end of
// buf.
func (s *splitter) recordEnd(buf []byte, end int64) error {
	start := s.recStart
	s.recStart = end
	startLine := s.recLine
	s.line++
	s.recLine = s.line
	var empty bool
	if s.opts.Quote == 0 {
		empty = !s.data
		s.data = false
	} else {
		n := end - start
		empty = n == 1 || (n == 2 && s.byteAt(buf, end-2) == '\r')
	}
	if empty {
		if s.needHeader {
			// Empty lines before the header belong to nobody.
			s.header = s.header[:0]
			s.cur.Start, s.cur.FirstLine = end, s.line
			return nil
		}
		return s.maybeCut(end)
	}
	if s.needHeader {
		s.needHeader = false
		if end-start > MaxHeaderBytes {
			return fmt.Errorf("csvsplit: header record (line %d) is longer than %d bytes", startLine, MaxHeaderBytes)
		}
		s.header = append(s.header, buf[max(start, s.off)-s.off:end-s.off]...)
		s.cur.Start, s.cur.FirstLine = end, s.line
		return nil
	}
	s.res.Records++
	s.cur.Records++
	return s.maybeCut(end)
}

func (s *splitter) maybeCut(end int64) error {
	if end-s.cur.Start >= s.opts.PartSize && s.cur.Records > 0 {
		s.cur.End = end
		s.res.Ranges = append(s.res.Ranges, s.cur)
		s.cur = Range{Start: end, FirstRecord: s.res.Records + 1, FirstLine: s.line}
	}
	return nil
}

// byteAt returns the byte at absolute offset abs, which is in buf or in
// the kept tail of the previous chunk.
func (s *splitter) byteAt(buf []byte, abs int64) byte {
	if abs >= s.off {
		return buf[abs-s.off]
	}
	k := int(s.off - abs)
	return s.tail[s.tailLen-k]
}

func (s *splitter) finish() (*Result, error) {
	total := s.off
	s.res.Size = total
	if s.state == afterCR {
		// The stream ends with a "\r" that ends a record.
		s.state = outside
		if err := s.recordEnd(nil, total); err != nil {
			return nil, err
		}
	}
	if s.recStart < total {
		// A last record without a line end.
		empty := s.opts.Quote == 0 && !s.data
		switch {
		case s.needHeader && empty:
			s.header = s.header[:0]
			s.cur.Start, s.cur.FirstLine = total, s.line
		case s.needHeader:
			// A header without a line end; s.header holds it already.
			s.needHeader = false
			s.cur.Start, s.cur.FirstLine = total, s.line
		case !empty:
			s.res.Records++
			s.cur.Records++
		}
	}
	s.cur.End = total
	if n := len(s.res.Ranges); n > 0 && s.cur.Records == 0 {
		// Only empty lines after the last cut: extend the last range.
		s.res.Ranges[n-1].End = total
	} else {
		s.res.Ranges = append(s.res.Ranges, s.cur)
	}
	s.res.Header = s.header
	return s.res, nil
}
