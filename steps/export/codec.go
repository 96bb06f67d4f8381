package export

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/steps/csvsplit"
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
	csv      *csvsplit.Reader
	lines    *bufio.Reader
	header   []string
	row      int64 // number of the next row
	line     int64 // CSV: line the part starts on; JSON Lines: the next line
	lastLine int64
	values   []string
	raw      map[string]json.RawMessage
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
	delim := ","
	if req.Source.CSV != nil && req.Source.CSV.Delimiter != "" {
		delim = req.Source.CSV.Delimiter
	}
	rr.csv = csvsplit.NewReader(r, delim)
	return rr
}

// Line returns the source line on which the row last returned starts.
func (rr *RowReader) Line() int64 { return rr.lastLine }

// Next returns the next row's values in header order. A malformed row is a
// [*RowError] and reading may go on; the end is io.EOF. The returned slice
// is reused by the next call. Values are the field bytes exactly as the
// source holds them (CSV) or as the JSON text encodes them (JSON Lines).
func (rr *RowReader) Next() ([]string, int64, error) {
	if rr.csv != nil {
		return rr.nextCSV()
	}
	return rr.nextJSON()
}

func (rr *RowReader) nextCSV() ([]string, int64, error) {
	rec, err := rr.csv.Read()
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	row := rr.row
	rr.row++
	rr.lastLine = rr.line + rr.csv.Line() - 1
	var pe *csvsplit.ParseError
	if errors.As(err, &pe) {
		return nil, row, &RowError{Row: row, Line: rr.lastLine, Reason: fmt.Sprintf("%v (field %d)", pe.Err, pe.Field), Fields: append([]string(nil), rec...)}
	}
	if err != nil {
		return nil, row, err
	}
	if len(rec) != len(rr.header) {
		return nil, row, &RowError{Row: row, Line: rr.lastLine, Reason: fmt.Sprintf("wrong number of fields: %d, the header has %d", len(rec), len(rr.header)), Fields: append([]string(nil), rec...)}
	}
	return rec, row, nil
}

func (rr *RowReader) nextJSON() ([]string, int64, error) {
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
			return nil, rr.row, err
		}
		lineNo := rr.line
		rr.line++
		trimmed := bytes.Trim(line, jsonSpace)
		if len(trimmed) == 0 {
			if err == io.EOF {
				return nil, 0, io.EOF
			}
			continue // a blank line holds no row (the splitter agrees)
		}
		row := rr.row
		rr.row++
		rr.lastLine = lineNo
		fail := func(reason string) ([]string, int64, error) {
			return nil, row, &RowError{Row: row, Line: lineNo, Reason: reason, Fields: []string{string(trimmed)}}
		}
		if trimmed[0] != '{' {
			return fail("not a JSON object")
		}
		clear(rr.raw)
		if rr.raw == nil {
			rr.raw = map[string]json.RawMessage{}
		}
		if derr := json.Unmarshal(trimmed, &rr.raw); derr != nil {
			return fail("not a JSON object: " + derr.Error())
		}
		for i, h := range rr.header {
			v, ferr := jsonText(rr.raw[h])
			if ferr != nil {
				return fail(fmt.Sprintf("key %q: %v", h, ferr))
			}
			rr.values[i] = v
		}
		return rr.values, row, nil
	}
}

// jsonSpace is JSON's whitespace (RFC 8259), all that may surround a value.
const jsonSpace = " \t\r\n"

// jsonText renders a JSON value as field text: a string as the text it
// encodes, null (or a missing key) as empty, and anything else — numbers,
// booleans, objects, arrays — as its JSON text exactly as the source
// writes it (1e6 stays 1e6, 0.10 stays 0.10, key order and spacing stay).
func jsonText(raw json.RawMessage) (string, error) {
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", nil
	case raw[0] == '"':
		return unquoteJSON(raw)
	}
	return string(raw), nil
}

// unquoteJSON decodes a JSON string literal that encoding/json has already
// found well-formed. Unlike encoding/json it keeps bytes that are not UTF-8
// as they are (a CSV output can carry them; JSON and Parquet outputs reject
// the row) and refuses an escaped lone surrogate, which no UTF-8 text can
// hold, instead of turning either into U+FFFD.
func unquoteJSON(raw []byte) (string, error) {
	b := raw[1 : len(raw)-1]
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b), nil
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch e := b[i+1]; e {
		case 'u':
			r := hex4(b[i+2 : i+6])
			at := i
			i += 6
			if utf16.IsSurrogate(r) {
				if r < 0xdc00 && i+6 <= len(b) && b[i] == '\\' && b[i+1] == 'u' {
					if r2 := hex4(b[i+2 : i+6]); r2 >= 0xdc00 && r2 < 0xe000 {
						out = utf8.AppendRune(out, utf16.DecodeRune(r, r2))
						i += 6
						continue
					}
				}
				return "", fmt.Errorf("unpaired surrogate \\u%04x at byte %d of the string: no UTF-8 text can hold it", r, at+1)
			}
			out = utf8.AppendRune(out, r)
			continue
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		default: // '"', '\\', '/'
			out = append(out, e)
		}
		i += 2
	}
	return string(out), nil
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// ReadHeader reads the header record at the start of a CSV source: a
// leading byte order mark and empty lines are skipped, the first record
// names the columns, and every name must be non-empty and unique. The plan
// step and the runner's check of a local file both read headers with it,
// so they agree on what the columns are.
func ReadHeader(r io.Reader, delimiter string) ([]string, error) {
	const limit = 4 * csvsplit.MaxHeaderBytes
	lr := &io.LimitedReader{R: r, N: limit}
	br := bufio.NewReader(lr)
	if b, _ := br.Peek(len(csvsplit.BOM)); string(b) == csvsplit.BOM {
		_, _ = br.Discard(len(csvsplit.BOM))
	}
	rd := csvsplit.NewReader(br, delimiter)
	header, err := rd.Read()
	if err == io.EOF {
		return nil, errors.New("no header row (the file is empty)")
	}
	var pe *csvsplit.ParseError
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("header row: %v", pe)
	}
	if err != nil {
		return nil, err
	}
	if lr.N == 0 {
		return nil, fmt.Errorf("header row: no record end within the first %d bytes", limit)
	}
	seen := map[string]bool{}
	for i, h := range header {
		if h == "" || seen[h] {
			return nil, fmt.Errorf("header column %d is empty or repeated (%q)", i+1, h)
		}
		seen[h] = true
	}
	return slices.Clone(header), nil
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
	case FormatParquet, FormatJSONL:
		for _, n := range names {
			if err := checkUTF8(n, n, req.Output.Format); err != nil {
				return nil, fmt.Errorf("export: output column name: %w", err)
			}
		}
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
	cw := &csvWriter{w: bw, gz: gz}
	if header {
		if err := cw.Write(names); err != nil {
			return nil, err
		}
	}
	return cw, nil
}

// InvalidUTF8 is a value that an output format cannot carry unchanged:
// JSON Lines and Parquet strings are UTF-8 by definition, and replacing
// the bad bytes would change the data. The exportpart step rejects the row
// (CSV outputs carry such bytes as they are).
type InvalidUTF8 struct {
	Column string // output column
	Offset int    // byte offset of the first invalid byte in the value
	Byte   byte   // that byte
	Format string // the output format
}

// Error implements error.
func (e *InvalidUTF8) Error() string {
	return fmt.Sprintf("column %q: invalid UTF-8 (byte 0x%02x at byte %d of the value); %s output holds only UTF-8 text: fix the source's encoding, or export as csv, which carries the bytes unchanged", e.Column, e.Byte, e.Offset, e.Format)
}

// checkUTF8 returns an [*InvalidUTF8] if v is not valid UTF-8.
func checkUTF8(v, column, format string) error {
	if utf8.ValidString(v) {
		return nil
	}
	for i := 0; i < len(v); {
		r, size := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && size == 1 {
			return &InvalidUTF8{Column: column, Offset: i, Byte: v[i], Format: format}
		}
		i += size
	}
	return nil
}

// AppendCSVRecord appends fields to b as one RFC 4180 record ending in
// "\n", comma-separated. A field is quoted when a reader could otherwise
// read it differently: it holds a comma, a quote, "\r" or "\n"; it starts
// or ends with a space or tab (readers that trim would lose them); it
// starts with a byte order mark (a reader would drop it at the start of a
// file); or it is the only field of the record and empty (unquoted, the
// record would be an empty line, which readers skip). Bytes are copied as
// they are, invalid UTF-8 included; quotes are doubled.
func AppendCSVRecord(b []byte, fields []string) []byte {
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		if !csvNeedsQuotes(f, len(fields) == 1) {
			b = append(b, f...)
			continue
		}
		b = append(b, '"')
		for {
			j := strings.IndexByte(f, '"')
			if j < 0 {
				break
			}
			b = append(b, f[:j+1]...)
			b = append(b, '"')
			f = f[j+1:]
		}
		b = append(b, f...)
		b = append(b, '"')
	}
	return append(b, '\n')
}

func csvNeedsQuotes(f string, only bool) bool {
	if f == "" {
		return only
	}
	if strings.ContainsAny(f, ",\"\r\n") || strings.HasPrefix(f, csvsplit.BOM) {
		return true
	}
	first, last := f[0], f[len(f)-1]
	return first == ' ' || first == '\t' || last == ' ' || last == '\t'
}

type csvWriter struct {
	w   *bufio.Writer
	gz  *gzip.Writer
	buf []byte
}

func (c *csvWriter) Write(values []string) error {
	c.buf = AppendCSVRecord(c.buf[:0], values)
	_, err := c.w.Write(c.buf)
	return err
}

func (c *csvWriter) Close() error {
	if err := c.w.Flush(); err != nil {
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

// Write encodes one row as a JSON object. Strings are written with only
// the escapes JSON requires (no HTML escaping of <, > and &); numbers keep
// their digits, rewritten only where the source's text is not JSON syntax
// (see [jsonNumber]); a value that is not UTF-8 is an [*InvalidUTF8] and
// nothing is written.
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
			if err := checkUTF8(v, j.names[i], FormatJSONL); err != nil {
				j.buf = b
				return err
			}
			b = appendJSONString(b, v)
		case v == "":
			b = append(b, "null"...)
		case t == TypeBoolean:
			x, _ := strconv.ParseBool(v)
			b = strconv.AppendBool(b, x)
		default: // integer, number: checked by ParseValue
			b = appendJSONNumber(b, v)
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

// appendJSONNumber appends v, a decimal number [ParseValue] accepted, as a
// JSON number with exactly the same value and digits: a leading '+' and
// leading zeros go, a bare '.' gets its zero ("+.50" → 0.50, "007" → 7,
// "5." → 5); the fraction and the exponent are kept as written (1e6 stays
// 1e6, 0.10 stays 0.10).
func appendJSONNumber(b []byte, v string) []byte {
	i := 0
	switch v[0] {
	case '-':
		b = append(b, '-')
		i++
	case '+':
		i++
	}
	j := i
	for j < len(v) && v[j] >= '0' && v[j] <= '9' {
		j++
	}
	intPart := strings.TrimLeft(v[i:j], "0")
	if intPart == "" {
		intPart = "0"
	}
	b = append(b, intPart...)
	if j < len(v) && v[j] == '.' {
		k := j + 1
		for k < len(v) && v[k] >= '0' && v[k] <= '9' {
			k++
		}
		if k > j+1 {
			b = append(b, v[j:k]...)
		}
		j = k
	}
	return append(b, v[j:]...) // the exponent, if any
}

// appendJSONString appends s, valid UTF-8, as a JSON string. Only what JSON
// requires is escaped: no HTML escaping, no \u2028 rewriting.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
