package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Defaults applied by [Request.Normalize] to fields the request leaves out.
const (
	DefaultPartSize        = 64 << 20 // 64 MiB of source per part
	DefaultMaxConcurrency  = 10
	DefaultApprovalSeconds = 24 * 60 * 60
	MinPartSize            = 1 << 10
	MaxPartSize            = 5 << 30
	MaxConcurrencyLimit    = 1000
	MaxApprovalSeconds     = 365 * 24 * 60 * 60
	// MaxRequestBytes bounds the request document so that everything the
	// state machine passes around stays far below the 256 KiB payload limit.
	MaxRequestBytes = 64 << 10
)

// Source formats and output formats.
const (
	FormatCSV     = "csv"
	FormatJSONL   = "jsonl"
	FormatParquet = "parquet"
)

// Column types a request may declare in [Request.Types].
const (
	TypeString  = "string"
	TypeInteger = "integer"
	TypeNumber  = "number"
	TypeBoolean = "boolean"
)

// Request is an export request: what to read, which rows and columns to
// keep, how to write the result and whether a human must approve it. Its
// JSON form is described by request.schema.json ([Schema]).
type Request struct {
	// Name is an optional label, shown to approvers and in the manifest.
	Name string `json:"name,omitempty"`
	// Source says where the data is and how it is encoded.
	Source Source `json:"source"`
	// Columns lists the output columns in order; empty keeps every source
	// column. Required for JSON Lines sources.
	Columns []Column `json:"columns,omitempty"`
	// Types gives source columns a type for the filter and for typed
	// outputs (JSON Lines numbers, Parquet columns). Untyped columns are
	// strings.
	Types map[string]string `json:"types,omitempty"`
	// Where is an expr-lang expression over a row's columns that keeps the
	// row when true, e.g. `country == "DE" && total > 100`. Empty keeps all.
	Where string `json:"where,omitempty"`
	// Output says how and where to write the export.
	Output Output `json:"output"`
	// Approval says whether a human must approve before publishing.
	Approval Approval `json:"approval"`
	// PartSize is the number of source bytes per part (cut at the next
	// record end). Default [DefaultPartSize].
	PartSize int64 `json:"partSize,omitempty"`
	// MaxConcurrency is how many parts run at once. Default
	// [DefaultMaxConcurrency].
	MaxConcurrency int `json:"maxConcurrency,omitempty"`
	// MaxRejectedRows is how many malformed rows the export tolerates in
	// total before failing with [TooManyRejectedRows]. Default 0.
	MaxRejectedRows int64 `json:"maxRejectedRows,omitempty"`
}

// Source is where the rows come from: one object (Key) or every object
// under Prefix, read in key order.
type Source struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	// Format is "csv" (default) or "jsonl".
	Format string      `json:"format,omitempty"`
	CSV    *CSVOptions `json:"csv,omitempty"`
}

// CSVOptions describes a CSV source.
type CSVOptions struct {
	// Header says whether the first record names the columns (default
	// true). Without a header, Columns names them.
	Header *bool `json:"header,omitempty"`
	// Columns names the columns of a header-less source.
	Columns []string `json:"columns,omitempty"`
	// Delimiter is the field separator, one character (default ",").
	Delimiter string `json:"delimiter,omitempty"`
	// Quote is the quote character. Only `"` is supported (the default).
	Quote string `json:"quote,omitempty"`
}

// Column selects one source column for the output, optionally renamed.
// In JSON it is either a string (the name) or {"name": ..., "as": ...}.
type Column struct {
	Name string `json:"name"`
	As   string `json:"as,omitempty"`
}

// OutputName returns the column's name in the output.
func (c Column) OutputName() string {
	if c.As != "" {
		return c.As
	}
	return c.Name
}

// UnmarshalJSON accepts a plain string as a column name.
func (c *Column) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		return json.Unmarshal(data, &c.Name)
	}
	type plain Column
	return json.Unmarshal(data, (*plain)(c))
}

// Output says how and where the export is written.
type Output struct {
	// Format is "csv" (default), "jsonl" or "parquet".
	Format string `json:"format,omitempty"`
	// Gzip compresses csv and jsonl outputs (Parquet compresses itself).
	Gzip bool `json:"gzip,omitempty"`
	// Bucket and Key say where the published export goes; by default the
	// export bucket and exports/<execution>/<name>.<ext>.
	Bucket string `json:"bucket,omitempty"`
	Key    string `json:"key,omitempty"`
	// Header writes a header line in csv outputs (default true).
	Header *bool `json:"header,omitempty"`
}

// Approval says whether a human must approve the export before it is
// published, and for how long the approval stays open.
type Approval struct {
	// Required defaults to true.
	Required *bool `json:"required,omitempty"`
	// TimeoutSeconds is how long an approver has (default one day); after
	// that the export fails with ApprovalExpired.
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
}

// ParseRequest decodes, normalizes and validates a request document. Every
// problem is an [*InvalidExportRequest] whose Field is a JSON pointer.
func ParseRequest(data []byte) (*Request, error) {
	if len(data) > MaxRequestBytes {
		return nil, invalid("", "request is %d bytes; the limit is %d", len(data), MaxRequestBytes)
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, invalid("", "not JSON: %v", err)
	}
	if dec.More() {
		return nil, invalid("", "extra data after the request object")
	}
	if err := checkShape(raw, reflect.TypeOf(Request{}), ""); err != nil {
		return nil, err
	}
	var r Request
	if err := json.Unmarshal(data, &r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, invalid("/"+strings.ReplaceAll(te.Field, ".", "/"), "must be %s, not %s", te.Type, te.Value)
		}
		return nil, invalid("", "%v", err)
	}
	r.Normalize()
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// checkShape walks a decoded JSON value next to the Go type it will be
// decoded into and reports unknown object keys and wrong JSON kinds with
// their JSON pointer, which encoding/json cannot do.
func checkShape(v any, t reflect.Type, ptr string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return nil
	}
	if t == reflect.TypeOf(Column{}) {
		if _, ok := v.(string); ok {
			return nil
		}
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return invalid(ptr, "must be an object, not %s", preview(v))
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
		for _, k := range sortedKeys(obj) {
			ft, ok := fields[k]
			if !ok {
				return invalid(ptr+"/"+escapePointer(k), "unknown field (known: %s)", strings.Join(sortedKeys(fields), ", "))
			}
			if err := checkShape(obj[k], ft, ptr+"/"+escapePointer(k)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return invalid(ptr, "must be an array, not %s", preview(v))
		}
		for i, e := range arr {
			if err := checkShape(e, t.Elem(), ptr+"/"+strconv.Itoa(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return invalid(ptr, "must be an object, not %s", preview(v))
		}
		for _, k := range sortedKeys(obj) {
			if err := checkShape(obj[k], t.Elem(), ptr+"/"+escapePointer(k)); err != nil {
				return err
			}
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			return invalid(ptr, "must be a string, not %s", preview(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return invalid(ptr, "must be a boolean, not %s", preview(v))
		}
	case reflect.Int, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			return invalid(ptr, "must be an integer, not %s", preview(v))
		}
		if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
			return invalid(ptr, "must be an integer, not %s", n)
		}
	}
	return nil
}

// Normalize fills in defaults. It is idempotent.
func (r *Request) Normalize() {
	// Empty lists and maps mean the same as absent ones.
	if len(r.Columns) == 0 {
		r.Columns = nil
	}
	if len(r.Types) == 0 {
		r.Types = nil
	}
	if r.Source.CSV != nil && len(r.Source.CSV.Columns) == 0 {
		r.Source.CSV.Columns = nil
	}
	if r.Source.Format == "" {
		r.Source.Format = FormatCSV
	}
	if r.Source.Format == FormatCSV {
		if r.Source.CSV == nil {
			r.Source.CSV = &CSVOptions{}
		}
		if r.Source.CSV.Header == nil {
			r.Source.CSV.Header = boolPtr(len(r.Source.CSV.Columns) == 0)
		}
		if r.Source.CSV.Delimiter == "" {
			r.Source.CSV.Delimiter = ","
		}
		if r.Source.CSV.Quote == "" {
			r.Source.CSV.Quote = `"`
		}
	}
	if r.Output.Format == "" {
		r.Output.Format = FormatCSV
	}
	if r.Output.Header == nil && r.Output.Format == FormatCSV {
		r.Output.Header = boolPtr(true)
	}
	if r.Approval.Required == nil {
		r.Approval.Required = boolPtr(true)
	}
	if r.Approval.TimeoutSeconds == 0 {
		r.Approval.TimeoutSeconds = DefaultApprovalSeconds
	}
	if r.PartSize == 0 {
		r.PartSize = DefaultPartSize
	}
	if r.MaxConcurrency == 0 {
		r.MaxConcurrency = DefaultMaxConcurrency
	}
}

// Validate checks a normalized request. It does not look at the data: that
// the columns exist in the source header is checked by the plan step with
// [Request.CheckColumns].
func (r *Request) Validate() error {
	s := r.Source
	switch {
	case s.Bucket == "":
		return invalid("/source/bucket", "required")
	case s.Key == "" && s.Prefix == "":
		return invalid("/source", "needs key (one object) or prefix (every object under it)")
	case s.Key != "" && s.Prefix != "":
		return invalid("/source", "has both key and prefix; give one")
	}
	switch s.Format {
	case FormatCSV:
		c := s.CSV
		if utf8.RuneCountInString(c.Delimiter) != 1 || !validDelim(c.Delimiter) {
			return invalid("/source/csv/delimiter", "must be one character other than a quote, \\r or \\n, not %q", c.Delimiter)
		}
		if c.Quote != `"` {
			return invalid("/source/csv/quote", `only "\"" is supported, not %q`, c.Quote)
		}
		if !*c.Header && len(c.Columns) == 0 {
			return invalid("/source/csv/columns", "required when header is false")
		}
		if *c.Header && len(c.Columns) > 0 {
			return invalid("/source/csv/columns", "given although header is true; the header names the columns")
		}
		if err := uniqueNames(c.Columns, "/source/csv/columns"); err != nil {
			return err
		}
	case FormatJSONL:
		if s.CSV != nil {
			return invalid("/source/csv", "only allowed for csv sources")
		}
		if len(r.Columns) == 0 {
			return invalid("/columns", "required for jsonl sources (the keys to export)")
		}
	default:
		return invalid("/source/format", "must be csv or jsonl, not %q", s.Format)
	}
	out := map[string]int{}
	for i, c := range r.Columns {
		p := fmt.Sprintf("/columns/%d", i)
		if c.Name == "" {
			return invalid(p+"/name", "required")
		}
		if j, dup := out[c.OutputName()]; dup {
			return invalid(p, "output column %q is already produced by /columns/%d", c.OutputName(), j)
		}
		out[c.OutputName()] = i
	}
	for _, k := range sortedKeys(r.Types) {
		switch r.Types[k] {
		case TypeString, TypeInteger, TypeNumber, TypeBoolean:
		default:
			return invalid("/types/"+escapePointer(k), "must be string, integer, number or boolean, not %q", r.Types[k])
		}
	}
	switch r.Output.Format {
	case FormatCSV, FormatJSONL:
	case FormatParquet:
		if r.Output.Gzip {
			return invalid("/output/gzip", "not allowed for parquet outputs (Parquet compresses its own pages)")
		}
	default:
		return invalid("/output/format", "must be csv, jsonl or parquet, not %q", r.Output.Format)
	}
	if r.Output.Header != nil && r.Output.Format != FormatCSV {
		return invalid("/output/header", "only allowed for csv outputs")
	}
	if err := checkOutputLocation(r.Output); err != nil {
		return err
	}
	if t := r.Approval.TimeoutSeconds; t < 60 || t > MaxApprovalSeconds {
		return invalid("/approval/timeoutSeconds", "must be between 60 and %d, not %d", MaxApprovalSeconds, t)
	}
	if r.PartSize < MinPartSize || r.PartSize > MaxPartSize {
		return invalid("/partSize", "must be between %d and %d bytes, not %d", MinPartSize, MaxPartSize, r.PartSize)
	}
	if r.MaxConcurrency < 1 || r.MaxConcurrency > MaxConcurrencyLimit {
		return invalid("/maxConcurrency", "must be between 1 and %d, not %d", MaxConcurrencyLimit, r.MaxConcurrency)
	}
	if r.MaxRejectedRows < 0 {
		return invalid("/maxRejectedRows", "must not be negative, not %d", r.MaxRejectedRows)
	}
	return nil
}

// CheckColumns checks the request's columns, types and filter against the
// source's column names (its header) and returns the columns to export.
func (r *Request) CheckColumns(header []string) ([]Column, error) {
	have := map[string]bool{}
	for _, h := range header {
		have[h] = true
	}
	for i, c := range r.Columns {
		if !have[c.Name] {
			return nil, invalid(fmt.Sprintf("/columns/%d/name", i), "no column %q in the source (have: %s)", c.Name, strings.Join(header, ", "))
		}
	}
	for _, k := range sortedKeys(r.Types) {
		if !have[k] {
			return nil, invalid("/types/"+escapePointer(k), "no column %q in the source (have: %s)", k, strings.Join(header, ", "))
		}
	}
	if _, err := CompileFilter(r.Where, header, r.Types); err != nil {
		return nil, err
	}
	if len(r.Columns) > 0 {
		return r.Columns, nil
	}
	cols := make([]Column, len(header))
	for i, h := range header {
		cols[i] = Column{Name: h}
	}
	return cols, nil
}

// ApprovalRequired reports whether the export waits for a human.
func (r *Request) ApprovalRequired() bool { return r.Approval.Required == nil || *r.Approval.Required }

// OutputExt returns the file extension of the output, e.g. "csv.gz".
func (r *Request) OutputExt() string {
	if r.Output.Gzip {
		return r.Output.Format + ".gz"
	}
	return r.Output.Format
}

// Delimiter returns the CSV delimiter as a rune.
func (r *Request) Delimiter() rune {
	if r.Source.CSV == nil || r.Source.CSV.Delimiter == "" {
		return ','
	}
	d, _ := utf8.DecodeRuneInString(r.Source.CSV.Delimiter)
	return d
}

func validDelim(d string) bool {
	r, _ := utf8.DecodeRuneInString(d)
	return r != '"' && r != '\r' && r != '\n' && r != utf8.RuneError
}

func uniqueNames(names []string, ptr string) error {
	seen := map[string]int{}
	for i, n := range names {
		if n == "" {
			return invalid(fmt.Sprintf("%s/%d", ptr, i), "must not be empty")
		}
		if j, dup := seen[n]; dup {
			return invalid(fmt.Sprintf("%s/%d", ptr, i), "duplicate column %q (also %s/%d)", n, ptr, j)
		}
		seen[n] = i
	}
	return nil
}

func boolPtr(b bool) *bool { return &b }

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// preview renders a JSON value as its type plus a short preview.
func preview(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 24 {
		s = s[:21] + "..."
	}
	kind := "null"
	switch v.(type) {
	case map[string]any:
		kind = "object"
	case []any:
		kind = "array"
	case string:
		kind = "string"
	case json.Number, float64:
		kind = "number"
	case bool:
		kind = "boolean"
	}
	return kind + " (" + s + ")"
}
