// Package datagen writes deterministic orders-like data sets: the committed
// sample testdata/orders.csv and the large generated inputs of tests and
// benchmarks. The same options always produce the same bytes.
//
// The data is hostile on purpose: quoted delimiters, escaped quotes,
// embedded newlines (LF and CRLF), empty fields and non-ASCII text. It is
// not a general fake-data library.
package datagen

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// Header is the column list of generated orders.
var Header = []string{"order_id", "customer", "country", "total", "created_at", "status", "notes"}

// Options configures [Write].
type Options struct {
	// Rows is the number of data rows; when zero, rows are written until at
	// least Bytes bytes are out.
	Rows int64
	// Bytes is the target size when Rows is zero.
	Bytes int64
	// Seed selects the data set.
	Seed uint64
	// Format is "csv" (default, with a header row) or "jsonl".
	Format string
}

var (
	firstNames = []string{"Ana", "Bjørn", "Chloé", "Dmitri", "Émile", "Fatima", "Günther", "Hiroshi", "Ines", "José", "Kai", "Łukasz", "María", "Nuño", "Olga", "Priya", "Søren", "Zoë", "李", "Ахмед"}
	lastNames  = []string{"Smith", "Müller", "O'Brien", "García", "Nakamura", "Ødegaard", "Dubois", "Kowalski", "Rossi", "van der Berg", "Nguyễn", "Иванов", "王", "Çelik"}
	countries  = []string{"DE", "FR", "US", "JP", "BR", "PL", "NO", "ES", "IN", "", "GB", "VN"}
	statuses   = []string{"paid", "shipped", "refunded", "pending", ""}
	notes      = []string{
		"",
		"leave at door",
		"gift, wrap please",
		`customer said "urgent"`,
		"line one\nline two",
		"ring twice\r\nthen wait",
		`"quoted", with comma`,
		"Lieferung an Nachbarn — bitte",
		"配達は午前中",
		`a "" pair`,
		",,,",
		"\"\n\"",
		"  padded  ",
	}
)

// Write writes a data set to w and returns the number of data rows.
func Write(w io.Writer, opts Options) (int64, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	cw := &countingWriter{w: bw}
	r := rand.New(rand.NewPCG(opts.Seed, 0x5157))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	jsonl := opts.Format == "jsonl"
	var csvw *csv.Writer
	if !jsonl {
		csvw = csv.NewWriter(cw)
		if err := csvw.Write(Header); err != nil {
			return 0, err
		}
	}
	rec := make([]string, len(Header))
	var rows int64
	for {
		if opts.Rows > 0 && rows >= opts.Rows {
			break
		}
		if opts.Rows <= 0 {
			if csvw != nil {
				csvw.Flush()
			}
			if cw.n >= opts.Bytes {
				break
			}
		}
		rows++
		rec[0] = strconv.FormatInt(rows, 10)
		rec[1] = firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))]
		if r.IntN(7) == 0 {
			rec[1] = lastNames[r.IntN(len(lastNames))] + ", " + firstNames[r.IntN(len(firstNames))]
		}
		rec[2] = countries[r.IntN(len(countries))]
		cents := r.Int64N(500000)
		rec[3] = fmt.Sprintf("%d.%02d", cents/100, cents%100)
		if r.IntN(50) == 0 {
			rec[3] = ""
		}
		rec[4] = base.Add(time.Duration(r.Int64N(365*24*3600)) * time.Second).Format(time.RFC3339)
		rec[5] = statuses[r.IntN(len(statuses))]
		rec[6] = notes[r.IntN(len(notes))]
		if jsonl {
			obj := make(map[string]any, len(Header))
			for i, h := range Header {
				obj[h] = rec[i]
			}
			if t, err := strconv.ParseFloat(rec[3], 64); err == nil {
				obj["total"] = json.Number(strconv.FormatFloat(t, 'f', 2, 64))
			} else {
				obj["total"] = nil
			}
			line, err := json.Marshal(obj)
			if err != nil {
				return rows, err
			}
			cw.Write(append(line, '\n'))
			continue
		}
		if err := csvw.Write(rec); err != nil {
			return rows, err
		}
	}
	if csvw != nil {
		csvw.Flush()
		if err := csvw.Error(); err != nil {
			return rows, err
		}
	}
	if cw.err != nil {
		return rows, cw.err
	}
	return rows, bw.Flush()
}

type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

// SampleOptions are the options that produce testdata/orders.csv.
var SampleOptions = Options{Rows: 1000, Seed: 1}
