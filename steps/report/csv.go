package report

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/stepwise-dev/stepwise/steps/csvsplit"
)

// Options describe the CSV records [AggregateRecords] reads.
type Options struct {
	// Header names the columns; GroupBy and every aggregate's column must
	// be among them. A record with another number of fields is an error.
	Header  []string
	GroupBy []string
	// Delimiter is the field separator ("," when empty).
	Delimiter string
	// Keep, when set, is the row filter: it gets the row's values in
	// header order (valid during the call only) and keeps the row when it
	// returns true. A filter error is a [RowError].
	Keep func(values []string) (bool, error)
	// Stop, when set, is asked every 64Ki rows whether to stop early (a
	// Lambda deadline); AggregateRecords then returns ErrStopped.
	Stop func() bool
}

// ErrStopped is returned by [AggregateRecords] when Options.Stop asked it to stop.
var ErrStopped = errors.New("report: stopped before the end of the part")

// AggregateRecords reads CSV records (no header line: a part is a byte range
// after it) from r into p and returns how many it read. A row it cannot
// use fails the whole read with a [*RowError] naming the row's line
// relative to r; too many groups is an error wrapping [ErrTooManyGroups].
//
// With a one-byte delimiter and no filter a row costs no allocation: the
// fields stay bytes in the read buffer, groups are found by their bytes,
// and numbers that fit an int64 are summed as int64s.
func AggregateRecords(r io.Reader, o Options, p *Partial) (int64, error) {
	keyIdx, err := indexes(o.Header, o.GroupBy)
	if err != nil {
		return 0, fmt.Errorf("group_by: %w", err)
	}
	cols := make([]string, len(p.Aggs))
	for i, a := range p.Aggs {
		cols[i] = a.Column
	}
	valIdx, err := indexes(o.Header, cols)
	if err != nil {
		return 0, fmt.Errorf("aggregates: %w", err)
	}
	if o.Delimiter == "" {
		o.Delimiter = ","
	}
	if len(o.Delimiter) != 1 {
		return aggregateReader(r, o, keyIdx, valIdx, p)
	}
	keys := make([][]byte, len(keyIdx))
	vals := make([][]byte, len(valIdx))
	var strs []string
	sc := newScanner(r, o.Delimiter[0])
	q := &distinctQueue{}
	var n int64
	// fail returns err for the row at line unless a queued insert of an
	// earlier row fails: errors come in row order, as without the queue.
	fail := func(err error, line int64) (int64, error) {
		if ql, qn, qerr := q.flush(p); qerr != nil {
			err, line, n = qerr, ql, qn
		}
		switch {
		case err == nil || err == ErrStopped:
			return n, err
		case errors.Is(err, ErrTooManyGroups) || errors.Is(err, ErrTooManyDistinct):
			return n, fmt.Errorf("line %d: %w", line, err)
		case line > 0:
			return n, &RowError{Line: line, Reason: err.Error()}
		}
		return n, err
	}
	for {
		if n&0xffff == 0 && o.Stop != nil && o.Stop() {
			return fail(ErrStopped, 0)
		}
		rec, err := sc.next()
		if err == io.EOF {
			return fail(nil, 0)
		}
		if err != nil {
			return fail(err, 0) // a RowError already, or the reader's
		}
		n++
		if len(rec) != len(o.Header) {
			return fail(fmt.Errorf("wrong number of fields: %d, the header has %d", len(rec), len(o.Header)), sc.recLine)
		}
		if o.Keep != nil {
			strs = strs[:0]
			for _, f := range rec {
				strs = append(strs, string(f))
			}
			keep, err := o.Keep(strs)
			if err != nil {
				return fail(err, sc.recLine)
			}
			if !keep {
				continue
			}
		}
		for i, c := range keyIdx {
			keys[i] = rec[c]
		}
		for i, c := range valIdx {
			if c >= 0 {
				vals[i] = rec[c]
			}
		}
		q.line, q.row = sc.recLine, n
		if err := addRow(p, keys, vals, q); err != nil {
			return fail(err, sc.recLine)
		}
		if q.full() {
			if line, row, err := q.flush(p); err != nil {
				n = row
				return fail(err, line)
			}
		}
	}
}

// aggregateReader is AggregateRecords over csvsplit's reader, for delimiters of
// more than one byte.
func aggregateReader(r io.Reader, o Options, keyIdx, valIdx []int, p *Partial) (int64, error) {
	keys := make([]string, len(keyIdx))
	vals := make([]string, len(valIdx))
	rd := csvsplit.NewReader(r, o.Delimiter)
	var n int64
	for {
		if n&0xffff == 0 && o.Stop != nil && o.Stop() {
			return n, ErrStopped
		}
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		var pe *csvsplit.ParseError
		if errors.As(err, &pe) {
			return n, &RowError{Line: rd.Line(), Reason: pe.Err.Error()}
		}
		if err != nil {
			return n, err
		}
		n++
		if len(rec) != len(o.Header) {
			return n, &RowError{Line: rd.Line(), Reason: fmt.Sprintf("wrong number of fields: %d, the header has %d", len(rec), len(o.Header))}
		}
		if o.Keep != nil {
			keep, err := o.Keep(rec)
			if err != nil {
				return n, &RowError{Line: rd.Line(), Reason: err.Error()}
			}
			if !keep {
				continue
			}
		}
		for i, c := range keyIdx {
			keys[i] = rec[c]
		}
		for i, c := range valIdx {
			if c >= 0 {
				vals[i] = rec[c]
			}
		}
		if err := p.Add(keys, vals); err != nil {
			if errors.Is(err, ErrTooManyGroups) || errors.Is(err, ErrTooManyDistinct) {
				return n, fmt.Errorf("line %d: %w", rd.Line(), err)
			}
			return n, &RowError{Line: rd.Line(), Reason: err.Error()}
		}
	}
}

// AggregateCSV is [AggregateRecords] with a comma delimiter and no filter; name
// labels errors (the S3 key and range).
func AggregateCSV(r io.Reader, name string, header, groupBy []string, p *Partial) error {
	if _, err := AggregateRecords(r, Options{Header: header, GroupBy: groupBy}, p); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// indexes maps column names to their positions in header ("" → -1).
func indexes(header, names []string) ([]int, error) {
	out := make([]int, len(names))
	for i, n := range names {
		if n == "" {
			out[i] = -1
			continue
		}
		out[i] = slices.Index(header, n)
		if out[i] < 0 {
			return nil, fmt.Errorf("column %q is not in the header %q", n, header)
		}
	}
	return out, nil
}
