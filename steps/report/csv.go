package report

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/stepwise-dev/stepwise/steps/csvsplit"
)

// AggregateCSV reads CSV records (no header line: a part is a byte range
// after it) from r into p. header names the columns; groupBy and each
// aggregate's column must be among them. name labels errors (the S3 key
// and range); a bad row is an error naming its line relative to r.
func AggregateCSV(r io.Reader, name string, header, groupBy []string, p *Partial) error {
	keyIdx, err := indexes(header, groupBy)
	if err != nil {
		return fmt.Errorf("%s: group_by: %w", name, err)
	}
	cols := make([]string, len(p.Aggs))
	for i, a := range p.Aggs {
		cols[i] = a.Column
	}
	valIdx, err := indexes(header, cols)
	if err != nil {
		return fmt.Errorf("%s: aggregates: %w", name, err)
	}
	keys := make([]string, len(keyIdx))
	vals := make([]string, len(valIdx))
	rd := csvsplit.NewReader(r, ",")
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for i, c := range keyIdx {
			keys[i] = field(rec, c)
		}
		for i, c := range valIdx {
			vals[i] = field(rec, c)
		}
		if err := p.Add(keys, vals); err != nil {
			return fmt.Errorf("%s: line %d: %w", name, rd.Line(), err)
		}
	}
}

// field returns rec[c], "" for a short record or c < 0.
func field(rec []string, c int) string {
	if c < 0 || c >= len(rec) {
		return ""
	}
	return rec[c]
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
