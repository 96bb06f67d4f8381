package reportsteps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/report"
)

// Limits and defaults of a report request.
const (
	DefaultMaxGroups = 100_000
	// DefaultMaxDistinct and MaxDistinctLimit bound the distinct values
	// count_distinct keeps, all groups together: each (group, value) pair
	// costs at most about 16 bytes, and each value, kept once for all
	// groups, its bytes plus at most about 50.
	DefaultMaxDistinct = 500_000
	MaxDistinctLimit   = 2_000_000
	// MaxGroupsLimit bounds max_groups so that a part and the reduce stay
	// well inside their memory (each group costs a few hundred bytes plus
	// its distinct values).
	MaxGroupsLimit  = 2_000_000
	DefaultPrefix   = "reports/"
	MaxGroupColumns = 16
	MaxAggregates   = 64
	// DefaultPartSize is the source bytes per part. A part costs a
	// Lambda start and an S3 round trip or two, so parts much smaller
	// than this spend more on those than on rows.
	DefaultPartSize = 64 << 20
	// MinPartSize is small enough for tests that cut a small file into
	// many parts; MaxParts bounds the Map's item count.
	MinPartSize = 16
	MaxParts    = 100_000
)

// Request is a report request: group the rows of a CSV or JSON Lines source
// that pass Where by GroupBy and compute Aggregates per group.
type Request struct {
	// Name labels the report (HTML title, manifest).
	Name string `json:"name,omitempty"`
	// Source is the same as an export's source; its bucket defaults to the
	// project bucket.
	Source export.Source `json:"source"`
	// Where and Types are the export's filter language and column types.
	Where string            `json:"where,omitempty"`
	Types map[string]string `json:"types,omitempty"`
	// GroupBy names the grouping columns; none means one group of all rows.
	GroupBy []string `json:"group_by,omitempty"`
	// Aggregates are the output columns per group.
	Aggregates []report.Aggregate `json:"aggregates"`
	// MaxGroups bounds the number of groups (default [DefaultMaxGroups]);
	// more fail the report with TooManyGroups instead of running out of
	// memory.
	MaxGroups int `json:"max_groups,omitempty"`
	// MaxDistinct bounds the distinct values count_distinct keeps (default
	// [DefaultMaxDistinct]); more fail with TooManyDistinctValues.
	MaxDistinct int `json:"max_distinct,omitempty"`
	// Output says where the report goes: <prefix><execution>/.
	Output Output `json:"output"`
	// PartSize and MaxConcurrency size the Distributed Map as for exports.
	PartSize       int64 `json:"part_size,omitempty"`
	MaxConcurrency int   `json:"max_concurrency,omitempty"`
}

// Output is where the report's files are published, in the project bucket.
type Output struct {
	// Prefix defaults to "reports/"; the files go under <prefix><execution>/.
	Prefix string `json:"prefix,omitempty"`
}

// InvalidReportRequest reports a request that cannot run. Field is a JSON
// pointer into the request ("/aggregates/1/column").
type InvalidReportRequest struct {
	Field   string
	Message string
}

// Error implements error as "invalid report request: /field: message".
func (e *InvalidReportRequest) Error() string {
	if e.Field == "" {
		return "invalid report request: " + e.Message
	}
	return "invalid report request: " + e.Field + ": " + e.Message
}

func invalid(field, format string, args ...any) *InvalidReportRequest {
	return &InvalidReportRequest{Field: field, Message: fmt.Sprintf(format, args...)}
}

// known lists the fields of every object in a request, by JSON pointer
// pattern ("*" stands for an array index).
var known = map[string][]string{
	"":              {"name", "source", "where", "types", "group_by", "aggregates", "max_groups", "max_distinct", "output", "part_size", "max_concurrency"},
	"/source":       {"bucket", "key", "prefix", "format", "csv"},
	"/source/csv":   {"header", "columns", "delimiter", "quote"},
	"/aggregates/*": {"op", "column"},
	"/output":       {"prefix"},
}

// ParseRequest decodes, defaults and validates a report request; every
// problem is an [*InvalidReportRequest] naming the JSON pointer.
// defaultBucket fills an empty /source/bucket.
func ParseRequest(data []byte, defaultBucket string) (*Request, error) {
	if len(data) > export.MaxRequestBytes {
		return nil, invalid("", "request is %d bytes; the limit is %d", len(data), export.MaxRequestBytes)
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, invalid("", "not JSON: %v", err)
	}
	if _, ok := raw.(map[string]any); !ok {
		return nil, invalid("", "must be an object, not %s", jsonKind(raw))
	}
	if err := checkKeys(raw, ""); err != nil {
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
	if r.Source.Bucket == "" {
		r.Source.Bucket = defaultBucket
	}
	if r.MaxGroups == 0 {
		r.MaxGroups = DefaultMaxGroups
	}
	if r.MaxDistinct == 0 {
		r.MaxDistinct = DefaultMaxDistinct
	}
	if r.Output.Prefix == "" {
		r.Output.Prefix = DefaultPrefix
	}
	if r.PartSize == 0 {
		r.PartSize = DefaultPartSize
	}
	if r.MaxConcurrency == 0 {
		r.MaxConcurrency = export.DefaultMaxConcurrency
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// checkKeys rejects unknown object keys, naming their pointer: a typo such
// as "groupby" must not silently report one group.
func checkKeys(v any, ptr string) error {
	switch x := v.(type) {
	case map[string]any:
		pattern := ptr
		if strings.HasPrefix(ptr, "/aggregates/") {
			pattern = "/aggregates/*"
		}
		fields, checked := known[pattern]
		if !checked && ptr != "" {
			return nil // a map such as /types
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := ptr + "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
			if !slices.Contains(fields, k) {
				return invalid(p, "unknown field (known: %s)", strings.Join(fields, ", "))
			}
			if err := checkKeys(x[k], p); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if err := checkKeys(e, ptr+"/"+strconv.Itoa(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// validate checks what does not need the data; columns are checked against
// the source header by [Request.checkColumns].
func (r *Request) validate() error {
	if len(r.GroupBy) > MaxGroupColumns {
		return invalid("/group_by", "has %d columns; at most %d", len(r.GroupBy), MaxGroupColumns)
	}
	for i, g := range r.GroupBy {
		if g == "" {
			return invalid(fmt.Sprintf("/group_by/%d", i), "must not be empty")
		}
		if j := slices.Index(r.GroupBy[:i], g); j >= 0 {
			return invalid(fmt.Sprintf("/group_by/%d", i), "duplicate column %q (also /group_by/%d)", g, j)
		}
	}
	if len(r.Aggregates) == 0 {
		return invalid("/aggregates", `required: at least one of {"op": "count"}, {"op": "sum"|"min"|"max"|"avg"|"count_distinct"|"count", "column": ...}`)
	}
	if len(r.Aggregates) > MaxAggregates {
		return invalid("/aggregates", "has %d entries; at most %d", len(r.Aggregates), MaxAggregates)
	}
	for i, a := range r.Aggregates {
		p := fmt.Sprintf("/aggregates/%d", i)
		if !report.Ops[a.Op] {
			return invalid(p+"/op", "must be count, sum, min, max, avg or count_distinct, not %q", a.Op)
		}
		if a.Column == "" && a.Op != "count" {
			return invalid(p+"/column", "required for %s (only count may count rows without a column)", a.Op)
		}
	}
	if r.MaxGroups < 1 || r.MaxGroups > MaxGroupsLimit {
		return invalid("/max_groups", "must be between 1 and %d, not %d", MaxGroupsLimit, r.MaxGroups)
	}
	if r.MaxDistinct < 1 || r.MaxDistinct > MaxDistinctLimit {
		return invalid("/max_distinct", "must be between 1 and %d, not %d", MaxDistinctLimit, r.MaxDistinct)
	}
	if r.PartSize < MinPartSize || r.PartSize > export.MaxPartSize {
		return invalid("/part_size", "must be between %d and %d bytes, not %d", MinPartSize, export.MaxPartSize, r.PartSize)
	}
	if r.MaxConcurrency < 1 || r.MaxConcurrency > export.MaxConcurrencyLimit {
		return invalid("/max_concurrency", "must be between 1 and %d, not %d", export.MaxConcurrencyLimit, r.MaxConcurrency)
	}
	p := r.Output.Prefix
	if !strings.HasSuffix(p, "/") || strings.HasPrefix(p, "/") {
		return invalid("/output/prefix", "must end with \"/\" and not start with one, not %q", p)
	}
	for _, w := range []string{export.DefaultPrefixes.Requests, export.DefaultPrefixes.Work, export.DefaultPrefixes.Approvals} {
		if strings.HasPrefix(p, w) {
			return invalid("/output/prefix", "%q is under %q, which the workflows own (publish under %q or another prefix)", p, w, DefaultPrefix)
		}
	}
	if r.Source.Prefix != "" && strings.HasPrefix(p, r.Source.Prefix) {
		return invalid("/output/prefix", "%q is under the source prefix %q: the next report of that prefix would read this one as data", p, r.Source.Prefix)
	}
	return nil
}

// columns returns the source columns the report reads: group-by columns
// then aggregate columns, each once.
func (r *Request) columns() []string {
	var cols []string
	for _, c := range r.GroupBy {
		if !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	for _, a := range r.Aggregates {
		if a.Column != "" && !slices.Contains(cols, a.Column) {
			cols = append(cols, a.Column)
		}
	}
	return cols
}

// exportRequest is the export request whose plan splits this report's
// source the same way: same source, filter and types, no approval.
func (r *Request) exportRequest() ([]byte, error) {
	e := map[string]any{"source": r.Source, "approval": map[string]any{"required": false}}
	if r.Name != "" {
		e["name"] = r.Name
	}
	if r.Where != "" {
		e["where"] = r.Where
	}
	if len(r.Types) > 0 {
		e["types"] = r.Types
	}
	if r.Source.Format == export.FormatJSONL {
		cols := r.columns()
		if len(cols) == 0 {
			// A JSON Lines count without groups reads no key; the export
			// plan still wants one to name.
			cols = []string{"_"}
		}
		e["columns"] = cols
	}
	return json.Marshal(e)
}

// checkColumns checks group_by and the aggregate columns against the
// source's columns.
func (r *Request) checkColumns(header []string) error {
	have := strings.Join(header, ", ")
	for i, g := range r.GroupBy {
		if !slices.Contains(header, g) {
			return invalid(fmt.Sprintf("/group_by/%d", i), "no column %q in the source (have: %s)", g, have)
		}
	}
	for i, a := range r.Aggregates {
		if a.Column != "" && !slices.Contains(header, a.Column) {
			return invalid(fmt.Sprintf("/aggregates/%d/column", i), "no column %q in the source (have: %s)", a.Column, have)
		}
	}
	return nil
}

// jsonKind names the JSON kind of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "an object"
}

// limits are the request's memory bounds.
func (r *Request) limits() report.Limits {
	return report.Limits{Groups: r.MaxGroups, Distinct: r.MaxDistinct}
}
