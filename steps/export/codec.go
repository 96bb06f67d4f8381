package export

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// RowError is a malformed row: it is counted, written to the rejected-rows
// object with its row and line number, and the export goes on.
type RowError struct {
	Row    int64    // 1-based data row number within the source
	Line   int64    // 1-based line of the source where the row starts
	Reason string   // what is wrong
	Fields []string // the fields that could be read, if any
}

// Error implements error.
func (e *RowError) Error() string {
	return fmt.Sprintf("row %d (line %d): %s", e.Row, e.Line, e.Reason)
}

// RowReader decodes the rows of one part. It is not safe for concurrent
// use.
type RowReader struct {
	csv     *csv.Reader
	lines   *bufio.Reader
	header  []string
	row     int64 // number of the next row
	line    int64 // line offset of the part
	values  []string
	jsonObj map[string]any
}

// NewRowReader reads the rows in r, a part of a source in the request's
// format. header is the source's column list; firstRow and firstLine number
// the part's first row (see [PartSpec]).
func NewRowReader(r io.Reader, req *Request, header []string, firstRow, firstLine int64) *RowReader {
	rr := &RowReader{header: header, row: firstRow, line: firstLine, values: make([]string, len(header))}
	if req.Source.Format == FormatJSONL {
		rr.lines = bufio.NewReaderSize(r, 1<<16)
		return rr
	}
	c := csv.NewReader(bufio.NewReaderSize(r, 1<<16))
	c.Comma = req.Delimiter()
	c.FieldsPerRecord = len(header)
	c.ReuseRecord = true
	rr.csv = c
	return rr
}

// Next returns the next row's values in header order. A malformed row is a
// [*RowError] and reading may go on; the end is io.EOF. The returned slice
// is reused by the next call.
func (rr *RowReader) Next() ([]string, int64, error) {
	row := rr.row
	if rr.csv != nil {
		rec, err := rr.csv.Read()
		if err == io.EOF {
			return nil, 0, io.EOF
		}
		rr.row++
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, row, &RowError{Row: row, Line: rr.line + int64(pe.StartLine) - 1, Reason: pe.Err.Error(), Fields: append([]string(nil), rec...)}
			}
			return nil, row, err
		}
		return rec, row, nil
	}
	for {
		line, err := rr.lines.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A long line: collect it whole.
			buf := append([]byte(nil), line...)
			for err == bufio.ErrBufferFull {
				line, err = rr.lines.ReadSlice('\n')
				buf = append(buf, line...)
			}
			line = buf
		}
		if len(line) == 0 && err == io.EOF {
			return nil, 0, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, row, err
		}
		lineNo := rr.line
		rr.line++
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 {
			if err == io.EOF {
				return nil, 0, io.EOF
			}
			continue
		}
		rr.row++
		clear(rr.jsonObj)
		if rr.jsonObj == nil {
			rr.jsonObj = map[string]any{}
		}
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if derr := dec.Decode(&rr.jsonObj); derr != nil {
			return nil, row, &RowError{Row: row, Line: lineNo, Reason: "not a JSON object: " + derr.Error(), Fields: []string{string(trimmed)}}
		}
		for i, h := range rr.header {
			rr.values[i] = jsonText(rr.jsonObj[h])
		}
		return rr.values, row, nil
	}
}

// jsonText renders a JSON value as field text: strings as they are, null
// as empty, everything else as JSON.
func jsonText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// RowWriter encodes output rows. Values are field texts in output-column
// order; typed columns have been checked with [ParseValue].
type RowWriter interface {
	Write(values []string) error
	// Close flushes and finishes the encoding (the gzip member, the Parquet
	// footer); it does not close the underlying writer.
	Close() error
}

// NewRowWriter returns an encoder for the request's output format over w.
// types gives each output column's type; header says whether a CSV header
// line is written (only part 0 writes it).
func NewRowWriter(w io.Writer, req *Request, cols []Column, types []string, header bool) (RowWriter, error) {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.OutputName()
	}
	switch req.Output.Format {
	case FormatParquet:
		return newParquetWriter(w, names, types)
	case FormatCSV, FormatJSONL:
	default:
		return nil, fmt.Errorf("export: unknown output format %q", req.Output.Format)
	}
	var gz *gzip.Writer
	out := w
	if req.Output.Gzip {
		// BestSpeed: about three times the throughput of the default level
		// for a slightly larger file; parts compress in parallel anyway.
		gz, _ = gzip.NewWriterLevel(w, gzip.BestSpeed)
		out = gz
	}
	bw := bufio.NewWriterSize(out, 1<<16)
	if req.Output.Format == FormatJSONL {
		return &jsonlWriter{w: bw, gz: gz, names: names, types: types}, nil
	}
	cw := csv.NewWriter(bw)
	if header {
		if err := cw.Write(names); err != nil {
			return nil, err
		}
	}
	return &csvWriter{w: cw, bw: bw, gz: gz}, nil
}

type csvWriter struct {
	w  *csv.Writer
	bw *bufio.Writer
	gz *gzip.Writer
}

func (c *csvWriter) Write(values []string) error { return c.w.Write(values) }

func (c *csvWriter) Close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	if err := c.bw.Flush(); err != nil {
		return err
	}
	if c.gz != nil {
		return c.gz.Close()
	}
	return nil
}

type jsonlWriter struct {
	w     *bufio.Writer
	gz    *gzip.Writer
	names []string
	types []string
	buf   []byte
}

func (j *jsonlWriter) Write(values []string) error {
	b := append(j.buf[:0], '{')
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, j.names[i])
		b = append(b, ':')
		switch t := j.types[i]; {
		case t == TypeString || t == "":
			b = appendJSONString(b, v)
		case v == "":
			b = append(b, "null"...)
		case t == TypeBoolean:
			x, _ := strconv.ParseBool(v)
			b = strconv.AppendBool(b, x)
		case t == TypeNumber && (v[0] == '+' || v[0] == '.' || (len(v) > 1 && v[0] == '0' && v[1] != '.' && v[1] != 'e' && v[1] != 'E')):
			// Valid for ParseFloat but not JSON: print the parsed value.
			x, _ := strconv.ParseFloat(v, 64)
			b = strconv.AppendFloat(b, x, 'g', -1, 64)
		default:
			b = append(b, v...)
		}
	}
	b = append(b, '}', '\n')
	j.buf = b
	_, err := j.w.Write(b)
	return err
}

func (j *jsonlWriter) Close() error {
	if err := j.w.Flush(); err != nil {
		return err
	}
	if j.gz != nil {
		return j.gz.Close()
	}
	return nil
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
