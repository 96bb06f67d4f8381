package report

import (
	"bytes"
	"io"

	"github.com/stepwise-dev/stepwise/steps/csvsplit"
)

// Cut is one part's place in its source object: the part owns the records
// that start in [Start, End) (see the package documentation for why that
// is exact). DataStart is where the records begin (after the header and a
// byte order mark), so the first part has Start == DataStart.
type Cut struct {
	Start, End int64
	DataStart  int64
	// JSONL: records are lines ("\n" ends one, quotes mean nothing).
	JSONL bool
}

// RangeStats are what a part learns about the raw bytes of its cut,
// whatever quote parity it assumed: the reduce chains them.
type RangeStats struct {
	// Quotes is the parity (0 or 1) of the '"' bytes in [Start, End).
	Quotes int `json:"quotes"`
	// Lines is the number of line ends in [Start, End) ("\n", "\r\n" or a
	// lone "\r" for CSV, counted at their last byte; "\n" for JSON Lines).
	Lines int64 `json:"lines"`
	// LinesBefore is the number of line ends in [Start, first record
	// boundary): a record's line relative to the boundary plus this is
	// its line relative to Start.
	LinesBefore int64 `json:"linesBefore"`
	// NoLineEnd says no line-end byte lies in [Start-1, End-1): the cut
	// holds no record under either parity, so its (empty) result holds for
	// both.
	NoLineEnd bool `json:"noLineEnd,omitempty"`
}

// RangeReader reads, from a stream of a source object positioned at
// Cut.Start-1 (or at Cut.Start for the first part), exactly the bytes of
// the records the cut owns under an assumed quote parity at Start: from
// the first record boundary at or after Start to the first one at or
// after End, reading past End as far as the last record needs. It counts
// [RangeStats] on the way; they are complete once Read returned io.EOF.
type RangeReader struct {
	src    io.Reader
	buf    []byte
	r, w   int
	pos    int64 // absolute position of buf[r]
	srcEOF bool
	err    error
	cut    Cut
	q      byte // quote parity at pos (quotes in [Start, pos) XOR the assumption)
	phase  int
	stop   int64 // end phase: deliver bytes before stop, then EOF
	stats  RangeStats
	le     bool // a line-end byte was consumed in [Start-1, End-1)
}

const (
	phaseSeek = iota
	phasePass
	phaseEnd
	phaseDone
)

// NewRangeReader returns the records of cut read from src, which starts at
// from (Cut.Start-1, or Cut.Start when Start == DataStart), under the
// assumption that the parity of the quotes in [DataStart, Start) is
// parity (0 or 1; ignored for JSON Lines and for the first part).
func NewRangeReader(src io.Reader, from int64, cut Cut, parity int) *RangeReader {
	// A buffer of 256 KiB, less for a small cut (it grows for a long record).
	size := min(256<<10, max(16<<10, cut.End-cut.Start+4<<10))
	rr := &RangeReader{src: src, buf: make([]byte, size), pos: from, cut: cut, q: byte(parity) & 1}
	if cut.JSONL {
		rr.q = 0
	}
	if cut.Start == cut.DataStart {
		rr.q = 0
		rr.phase = phasePass
		if cut.Start >= cut.End {
			rr.phase = phaseEnd // an empty first part: only the end search
		}
	}
	return rr
}

// Stats returns the counts; complete after Read returned io.EOF.
func (rr *RangeReader) Stats() RangeStats {
	s := rr.stats
	s.NoLineEnd = !rr.le && !rr.cut.JSONL
	return s
}

// fill reads more of src into buf, keeping buf[r:w]; false at its end.
func (rr *RangeReader) fill() bool {
	if rr.srcEOF {
		return false
	}
	if rr.r > 0 && rr.r == rr.w {
		rr.r, rr.w = 0, 0
	} else if rr.w == len(rr.buf) {
		if rr.r > 0 {
			rr.w = copy(rr.buf, rr.buf[rr.r:rr.w])
			rr.r = 0
		} else {
			rr.buf = append(rr.buf, make([]byte, len(rr.buf))...)
		}
	}
	for {
		n, err := rr.src.Read(rr.buf[rr.w:])
		rr.w += n
		if err != nil {
			rr.srcEOF = true
			if err != io.EOF {
				rr.err = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// byteAt returns the byte i bytes after pos, reading as needed.
func (rr *RangeReader) byteAt(i int) (byte, bool) {
	for rr.r+i >= rr.w {
		if !rr.fill() {
			return 0, false
		}
	}
	return rr.buf[rr.r+i], true
}

func (rr *RangeReader) isLineEnd(c byte) bool {
	return c == '\n' || (c == '\r' && !rr.cut.JSONL)
}

// consume advances past n buffered bytes, counting the stats and the
// quote parity over them.
func (rr *RangeReader) consume(n int) {
	seg := rr.buf[rr.r : rr.r+n]
	base := rr.pos
	lo, hi := max(rr.cut.Start, base), min(rr.cut.End, base+int64(n))
	if !rr.cut.JSONL {
		if off := max(0, rr.cut.Start-base); off < int64(n) {
			q := bytes.Count(seg[off:], []byte{'"'}) & 1
			rr.q ^= byte(q)
			if lo < hi && hi-base < int64(n) { // the cut ends inside seg
				q = bytes.Count(seg[lo-base:hi-base], []byte{'"'}) & 1
			}
			if lo < hi {
				rr.stats.Quotes ^= q
			}
		}
	}
	peek := false // the last byte of seg is a "\r" of the cut: look at the next
	if lo < hi {
		in := seg[lo-base : hi-base]
		rr.stats.Lines += int64(bytes.Count(in, []byte{'\n'}))
		if !rr.cut.JSONL && bytes.IndexByte(in, '\r') >= 0 {
			// A "\r" ends a line unless a "\n" follows (then that ends it).
			for i, c := range in {
				if c != '\r' {
					continue
				}
				if j := int(lo-base) + i + 1; j < n {
					if seg[j] != '\n' {
						rr.stats.Lines++
					}
				} else {
					peek = true
				}
			}
		}
	}
	if !rr.le {
		if lo2, hi2 := max(rr.cut.Start-1, base), min(rr.cut.End-1, base+int64(n)); lo2 < hi2 {
			s := seg[lo2-base : hi2-base]
			rr.le = bytes.IndexByte(s, '\n') >= 0 || (!rr.cut.JSONL && bytes.IndexByte(s, '\r') >= 0)
		}
	}
	if peek { // after the last use of seg: byteAt may move the buffer
		if next, ok := rr.byteAt(n); !ok || next != '\n' {
			rr.stats.Lines++
		}
	}
	rr.r += n
	rr.pos += int64(n)
}

// terminal finds, from pos on, the first line end outside quotes (under
// the current parity) at position min or later, and returns the number
// of bytes up to and including it; ok is false when the source ends
// first (n is then the bytes left) or, with limit >= 0, when no such line
// end lies before limit (n is then limit-pos).
func (rr *RangeReader) terminal(min, limit int64) (n int, ok bool) {
	q := rr.q
	for i := 0; ; i++ {
		p := rr.pos + int64(i)
		if limit >= 0 && p >= limit {
			return i, false
		}
		c, more := rr.byteAt(i)
		if !more {
			return i, false
		}
		switch {
		case c == '"' && !rr.cut.JSONL:
			if p >= rr.cut.Start {
				q ^= 1
			}
		case rr.isLineEnd(c) && q == 0 && p >= min:
			if c == '\r' {
				if next, ok := rr.byteAt(i + 1); ok && next == '\n' {
					i++
				}
			}
			return i + 1, true
		}
	}
}

// Read implements io.Reader over the cut's records.
func (rr *RangeReader) Read(p []byte) (int, error) {
	for {
		switch rr.phase {
		case phaseSeek:
			// The first record boundary: just after a line end outside
			// quotes at Start-1 or later. None before End-1: the cut is
			// empty (the next part starts at that boundary).
			n, ok := rr.terminal(rr.cut.Start-1, rr.cut.End-1)
			if ok && rr.pos+int64(n) >= rr.cut.End {
				ok = false // a "\r\n" whose "\n" is at End-1
			}
			rr.consume(n)
			rr.stats.LinesBefore = rr.stats.Lines
			if !ok {
				// Count to End (and the byte after, for a final "\r").
				for rr.pos < rr.cut.End {
					if _, more := rr.byteAt(0); !more {
						break
					}
					rr.consume(min(rr.w-rr.r, int(rr.cut.End-rr.pos)))
				}
				rr.phase = phaseDone
				continue
			}
			rr.phase = phasePass
		case phasePass:
			if rr.pos >= rr.cut.End-1 {
				rr.phase = phaseEnd
				continue
			}
			if rr.r == rr.w && !rr.fill() {
				rr.phase = phaseDone
				continue
			}
			n := min(len(p), rr.w-rr.r, int(rr.cut.End-1-rr.pos))
			copy(p, rr.buf[rr.r:rr.r+n])
			rr.consume(n)
			return n, nil
		case phaseEnd:
			if rr.stop == 0 {
				n, _ := rr.terminal(rr.cut.End-1, -1)
				rr.stop = rr.pos + int64(n)
			}
			if rr.pos >= rr.stop {
				rr.phase = phaseDone
				continue
			}
			if rr.r == rr.w && !rr.fill() {
				rr.phase = phaseDone
				continue
			}
			n := min(len(p), rr.w-rr.r, int(rr.stop-rr.pos))
			copy(p, rr.buf[rr.r:rr.r+n])
			rr.consume(n)
			return n, nil
		default:
			if rr.err != nil {
				return 0, rr.err
			}
			return 0, io.EOF
		}
	}
}

// ProbeWindow is how many bytes from Cut.Start-1 [ChooseParity] looks at.
const ProbeWindow = 64 << 10

// ChooseParity guesses the quote parity at cut.Start from window, the
// source bytes from Cut.Start-1 on: under each parity it parses the
// records between the first and the last record boundary in the window
// strictly, with nfields fields each. A parity under which they parse is
// preferred to one that finds no boundary, which is preferred to one
// under which they do not; 0 on a tie. A wrong guess costs time, never
// exactness: the reduce checks every part's parity against the chain of
// the parts before it and re-reads a part whose guess was wrong.
func ChooseParity(window []byte, cut Cut, nfields int, delimiter string) int {
	if cut.JSONL || cut.Start == cut.DataStart {
		return 0
	}
	v0 := probe(window, cut, 0, nfields, delimiter)
	v1 := probe(window, cut, 1, nfields, delimiter)
	if v1 > v0 {
		return 1
	}
	return 0
}

const (
	probeBad = iota
	probeUnknown
	probeGood
)

func probe(window []byte, cut Cut, parity, nfields int, delimiter string) int {
	from := cut.Start - 1
	rr := NewRangeReader(bytes.NewReader(window), from, Cut{Start: cut.Start, End: from + int64(len(window)) + 1, DataStart: cut.DataStart}, parity)
	n, ok := rr.terminal(cut.Start-1, -1)
	if !ok {
		return probeUnknown
	}
	rr.consume(n)
	first, last := rr.pos-from, rr.pos-from
	for {
		n, ok := rr.terminal(rr.pos, -1)
		if !ok || n == 0 {
			break
		}
		rr.consume(n)
		last = rr.pos - from
	}
	if last == first {
		return probeUnknown
	}
	if parseStrict(window[first:last], nfields, delimiter) {
		return probeGood
	}
	return probeBad
}

// parseStrict reports whether b holds only whole records of nfields
// fields that parse without a fault.
func parseStrict(b []byte, nfields int, delimiter string) bool {
	if delimiter == "" {
		delimiter = ","
	}
	if len(delimiter) == 1 {
		sc := newScanner(bytes.NewReader(b), delimiter[0])
		for {
			rec, err := sc.next()
			if err == io.EOF {
				return true
			}
			if err != nil || len(rec) != nfields {
				return false
			}
		}
	}
	rd := csvsplit.NewReader(bytes.NewReader(b), delimiter)
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			return true
		}
		if err != nil || len(rec) != nfields {
			return false
		}
	}
}

// HeaderEnd returns where the records of a source start, given its first
// bytes head (all of it when whole): after a leading byte order mark and,
// with header, after the first non-empty record. lines is the number of
// line ends before that point. ok is false when head holds no whole
// header record (read more).
func HeaderEnd(head []byte, header, whole bool) (start, lines int64, ok bool) {
	p := 0
	if bytes.HasPrefix(head, []byte(csvsplit.BOM)) {
		p = len(csvsplit.BOM)
	}
	if !header {
		return int64(p), 0, true
	}
	inQuotes, record := false, false
	for ; p < len(head); p++ {
		switch c := head[p]; {
		case c == '"':
			inQuotes, record = !inQuotes, true
		case (c == '\n' || c == '\r') && !inQuotes:
			if c == '\r' {
				if p+1 == len(head) && !whole {
					return 0, 0, false
				}
				if p+1 < len(head) && head[p+1] == '\n' {
					p++
				}
			}
			lines++
			if record {
				return int64(p + 1), lines, true
			}
		case c == '\n' || c == '\r':
			if c == '\r' && p+1 < len(head) && head[p+1] == '\n' {
				p++
			}
			lines++
		default:
			record = true
		}
	}
	if whole && record {
		return int64(len(head)), lines, true
	}
	return 0, 0, whole
}
