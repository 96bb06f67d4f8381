package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func TestParseRequestErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"not json", `{`, "invalid export request: not JSON: unexpected EOF"},
		{"unknown field", `{"source":{"bucket":"b","key":"k","frmat":"csv"}}`, "invalid export request: /source/frmat: unknown field (known: bucket, csv, format, key, prefix)"},
		{"wrong kind", `{"source":{"bucket":"b","key":"k"},"partSize":"big"}`, `invalid export request: /partSize: must be an integer, not string ("big")`},
		{"no bucket", `{"source":{"key":"k"}}`, "invalid export request: /source/bucket: required"},
		{"key and prefix", `{"source":{"bucket":"b","key":"k","prefix":"p/"}}`, "invalid export request: /source: has both key and prefix; give one"},
		{"bad column entry", `{"source":{"bucket":"b","key":"k"},"columns":["a",{"nme":"b"}]}`, "invalid export request: /columns/1/nme: unknown field (known: as, name)"},
		{"duplicate output", `{"source":{"bucket":"b","key":"k"},"columns":["a",{"name":"b","as":"a"}]}`, `invalid export request: /columns/1: output column "a" is already produced by /columns/0`},
		{"bad type", `{"source":{"bucket":"b","key":"k"},"types":{"total":"money"}}`, `invalid export request: /types/total: must be string, integer, number or boolean, not "money"`},
		{"bad output", `{"source":{"bucket":"b","key":"k"},"output":{"format":"xlsx"}}`, `invalid export request: /output/format: must be csv, jsonl or parquet, not "xlsx"`},
		{"parquet gzip", `{"source":{"bucket":"b","key":"k"},"output":{"format":"parquet","gzip":true}}`, "invalid export request: /output/gzip: not allowed for parquet outputs (Parquet compresses its own pages)"},
		{"part size", `{"source":{"bucket":"b","key":"k"},"partSize":5}`, "invalid export request: /partSize: must be between 1024 and 5368709120 bytes, not 5"},
		{"concurrency", `{"source":{"bucket":"b","key":"k"},"maxConcurrency":5000}`, "invalid export request: /maxConcurrency: must be between 1 and 1000, not 5000"},
		{"quote", `{"source":{"bucket":"b","key":"k","csv":{"quote":"'"}}}`, `invalid export request: /source/csv/quote: only "\"" is supported, not "'"`},
		{"delimiter", `{"source":{"bucket":"b","key":"k","csv":{"delimiter":";;"}}}`, `invalid export request: /source/csv/delimiter: must be one character other than a quote, \r or \n, not ";;"`},
		{"jsonl columns", `{"source":{"bucket":"b","key":"k","format":"jsonl"}}`, "invalid export request: /columns: required for jsonl sources (the keys to export)"},
		{"approval", `{"source":{"bucket":"b","key":"k"},"approval":{"timeoutSeconds":5}}`, "invalid export request: /approval/timeoutSeconds: must be between 60 and 31536000, not 5"},
		{"headerless without columns", `{"source":{"bucket":"b","key":"k","csv":{"header":false}}}`, "invalid export request: /source/csv/columns: required when header is false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRequest([]byte(tt.doc))
			var ie *InvalidExportRequest
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v (%T), want *InvalidExportRequest", err, err)
			}
			if err.Error() != tt.want {
				t.Fatalf("got  %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestCheckColumns(t *testing.T) {
	header := []string{"order_id", "customer", "country", "total"}
	tests := []struct{ doc, want string }{
		{`{"source":{"bucket":"b","key":"k"},"columns":["order_id","cust"]}`, `invalid export request: /columns/1/name: no column "cust" in the source (have: order_id, customer, country, total)`},
		{`{"source":{"bucket":"b","key":"k"},"types":{"amount":"number"}}`, `invalid export request: /types/amount: no column "amount" in the source (have: order_id, customer, country, total)`},
		{`{"source":{"bucket":"b","key":"k"},"where":"total > 100"}`, "invalid export request: /where: invalid operation: > (mismatched types string and int) (1:7)"},
		{`{"source":{"bucket":"b","key":"k"},"where":"country ==\n  'DE' &&"}`, "invalid export request: /where: unexpected token EOF (2:9)"},
		{`{"source":{"bucket":"b","key":"k"},"types":{"total":"number"},"where":"total > 100 && country in ['DE','FR']"}`, ""},
	}
	for _, tt := range tests {
		r, err := ParseRequest([]byte(tt.doc))
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.CheckColumns(header)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s:\n got  %s\n want %s", tt.doc, got, tt.want)
		}
	}
}

// TestExampleRequests checks the committed example requests against the
// sample orders' header, as plan does: each valid one passes, each
// invalid one (request-invalid-<field>.json) fails at /<field>.
func TestExampleRequests(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "export", "request-*.json"))
	if len(files) == 0 {
		t.Fatal("no testdata/export/request-*.json")
	}
	header := []string{"order_id", "customer", "country", "total", "created_at", "status", "notes"}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseRequest(data)
		if err == nil {
			_, err = r.CheckColumns(header)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		field, invalid := strings.CutPrefix(name, "request-invalid-")
		switch {
		case !invalid && err != nil:
			t.Errorf("%s: %v", f, err)
		case invalid && (err == nil || !strings.Contains(err.Error(), "/"+field)):
			t.Errorf("%s: err = %v, want an error at /%s", f, err, field)
		}
	}
}

// TestSchemaMatchesType checks that request.schema.json names exactly the
// fields the Go type decodes, at every level.
func TestSchemaMatchesType(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(Schema, &schema); err != nil {
		t.Fatal(err)
	}
	if schema["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Fatalf("$schema = %v", schema["$schema"])
	}
	defs, _ := schema["$defs"].(map[string]any)
	var check func(path string, node map[string]any, typ reflect.Type)
	check = func(path string, node map[string]any, typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
			if items, ok := node["items"].(map[string]any); ok {
				node = items
			}
		}
		if ref, ok := node["$ref"].(string); ok {
			node = defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
		if alts, ok := node["oneOf"].([]any); ok {
			for _, a := range alts {
				if m := a.(map[string]any); m["type"] == "object" {
					node = m
				}
			}
		}
		if typ.Kind() != reflect.Struct {
			return
		}
		props, _ := node["properties"].(map[string]any)
		var fromSchema, fromType []string
		for k := range props {
			fromSchema = append(fromSchema, k)
		}
		for i := 0; i < typ.NumField(); i++ {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			fromType = append(fromType, name)
			if p, ok := props[name].(map[string]any); ok {
				check(path+"/"+name, p, typ.Field(i).Type)
			}
		}
		sort.Strings(fromSchema)
		sort.Strings(fromType)
		if !reflect.DeepEqual(fromSchema, fromType) {
			t.Errorf("%s: schema properties %v, Go fields %v", path, fromSchema, fromType)
		}
		if node["additionalProperties"] != false {
			t.Errorf("%s: schema allows additional properties; the Go validation does not", path)
		}
	}
	check("", schema, reflect.TypeOf(Request{}))
}

func TestDefaults(t *testing.T) {
	r, err := ParseRequest([]byte(`{"source":{"bucket":"b","key":"k"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.PartSize != DefaultPartSize || r.MaxConcurrency != DefaultMaxConcurrency || !r.ApprovalRequired() ||
		r.Approval.TimeoutSeconds != DefaultApprovalSeconds || r.Output.Format != "csv" || !*r.Source.CSV.Header || r.Delimiter() != ',' {
		t.Fatalf("defaults not applied: %+v", r)
	}
	again, _ := json.Marshal(r)
	r2, err := ParseRequest(again)
	if err != nil || !reflect.DeepEqual(r, r2) {
		t.Fatalf("normalized request does not round-trip: %v", err)
	}
}

func TestFilterKeep(t *testing.T) {
	f, err := CompileFilter(`total > 100 && country == "DE"`, []string{"country", "total"}, map[string]string{"total": "number"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		row  []string
		keep bool
		err  string
	}{
		{[]string{"DE", "100.5"}, true, ""},
		{[]string{"DE", "99"}, false, ""},
		{[]string{"FR", "500"}, false, ""},
		{[]string{"DE", "abc"}, false, `column "total": "abc" is not a number`},
		{[]string{"DE", "0x10"}, false, `column "total": "0x10" is not a number`},
		{[]string{"DE", ""}, false, ""}, // null never satisfies a comparison (see TestFilterNullValues)
	}
	for _, tt := range tests {
		keep, err := f.Keep(tt.row)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if keep != tt.keep || got != tt.err {
			t.Errorf("%q: keep %v err %q, want %v %q", tt.row, keep, got, tt.keep, tt.err)
		}
	}
}

func TestParquetKeepsColumnOrder(t *testing.T) {
	req := &Request{Output: Output{Format: FormatParquet}}
	cols := []Column{{Name: "z"}, {Name: "a"}, {Name: "m"}}
	var buf bytes.Buffer
	w, err := NewRowWriter(&buf, req, cols, []string{TypeString, TypeNumber, TypeInteger}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][]string{{"x", "1.5", "7"}, {"日本", "", "-3"}} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range f.Schema().Fields() {
		names = append(names, c.Name())
	}
	if !reflect.DeepEqual(names, []string{"z", "a", "m"}) {
		t.Fatalf("columns %v", names)
	}
	rows := make([]parquet.Row, 2)
	n, _ := f.RowGroups()[0].Rows().ReadRows(rows)
	if n != 2 || rows[1][0].String() != "日本" || !rows[1][1].IsNull() || rows[1][2].Int64() != -3 || rows[0][1].Double() != 1.5 {
		t.Fatalf("rows %v", rows[:n])
	}
}

func TestJSONLWriter(t *testing.T) {
	req := &Request{Output: Output{Format: FormatJSONL}}
	var buf bytes.Buffer
	w, _ := NewRowWriter(&buf, req, []Column{{Name: "s"}, {Name: "n", As: "num"}, {Name: "b"}}, []string{TypeString, TypeNumber, TypeBoolean}, false)
	for _, r := range [][]string{{"a\"\n\x01é", "+1.50", "true"}, {"", "", ""}, {"x", "-2e3", "0"}} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	want := `{"s":"a\"\n\u0001é","num":1.50,"b":true}
{"s":"","num":null,"b":null}
{"s":"x","num":-2e3,"b":false}
`
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Fatalf("invalid JSON line %s", line)
		}
	}
}
