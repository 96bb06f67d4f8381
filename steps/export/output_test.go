package export

import (
	"errors"
	"strings"
	"testing"
)

// TestOutputLocationErrors pins the messages for output buckets and keys
// that used to fail only at publish, after the whole export ran (issue
// 11.10), or that S3 would store literally.
func TestOutputLocationErrors(t *testing.T) {
	src := `"source":{"bucket":"b","key":"k"}`
	tests := []struct{ output, want string }{
		{`{"key":".."}`, `invalid export request: /output/key: ".." has a ".." path segment; S3 keys are not paths, so it would be stored literally (name the object directly)`},
		{`{"key":"a/../b.csv"}`, `invalid export request: /output/key: "a/../b.csv" has a ".." path segment; S3 keys are not paths, so it would be stored literally (name the object directly)`},
		{`{"key":"./b.csv"}`, `invalid export request: /output/key: "./b.csv" has a "." path segment; S3 keys are not paths, so it would be stored literally (name the object directly)`},
		{`{"key":"a//b.csv"}`, `invalid export request: /output/key: "a//b.csv" has an empty path segment ("//" at segment 2)`},
		{`{"key":"/exports/b.csv"}`, `invalid export request: /output/key: "/exports/b.csv" starts with "/"; S3 keys are relative (write "exports/b.csv")`},
		{`{"key":"exports/"}`, `invalid export request: /output/key: "exports/" ends with "/"; name an object, not a folder`},
		{`{"key":"a\nb.csv"}`, `invalid export request: /output/key: "a\nb.csv" contains the control character U+000A`},
		{`{"key":"` + strings.Repeat("k", 1011) + `"}`, `invalid export request: /output/key: is 1011 bytes; the limit is 1010 (S3 keys are at most 1024 bytes, and the manifest key adds ".manifest.json")`},
		{`{"bucket":".."}`, `invalid export request: /output/bucket: ".." is not a valid S3 bucket name: must be 3 to 63 characters long, not 2`},
		{`{"bucket":"my..bucket"}`, `invalid export request: /output/bucket: "my..bucket" is not a valid S3 bucket name: must not contain two adjacent periods`},
		{`{"bucket":"My-Bucket"}`, `invalid export request: /output/bucket: "My-Bucket" is not a valid S3 bucket name: only lowercase letters, digits, '.' and '-' are allowed, not 'M'`},
		{`{"bucket":"-bucket"}`, `invalid export request: /output/bucket: "-bucket" is not a valid S3 bucket name: must begin and end with a letter or digit`},
		{`{"bucket":"192.168.5.4"}`, `invalid export request: /output/bucket: "192.168.5.4" is not a valid S3 bucket name: must not be formatted as an IP address`},
		{`{"bucket":"xn--bucket"}`, `invalid export request: /output/bucket: "xn--bucket" is not a valid S3 bucket name: must not start with "xn--"`},
	}
	for _, tt := range tests {
		_, err := ParseRequest([]byte(`{` + src + `,"output":` + tt.output + `}`))
		var ie *InvalidExportRequest
		if !errors.As(err, &ie) || err.Error() != tt.want {
			t.Errorf("output %s:\n got  %v\n want %s", tt.output, err, tt.want)
		}
	}
	for _, ok := range []string{`{"key":"exports/2026/q1 report.csv"}`, `{"bucket":"my.bucket-2","key":"a/b..c/d.csv"}`, `{"key":"..."}`} {
		if _, err := ParseRequest([]byte(`{` + src + `,"output":` + ok + `}`)); err != nil {
			t.Errorf("output %s: %v", ok, err)
		}
	}
}

// TestCheckOutputPlacement: an export must not replace its own source nor
// re-trigger itself, nor publish where cleanup deletes (issue 11.6).
func TestCheckOutputPlacement(t *testing.T) {
	sources := []SourceObject{{Bucket: "exp", Key: "uploads/orders.csv"}, {Bucket: "exp", Key: "uploads/x.csv.manifest.json"}}
	tests := []struct {
		request, bucket, key, want string
	}{
		{`{"source":{"bucket":"exp","key":"uploads/orders.csv"},"output":{"key":"uploads/orders.csv"}}`, "exp", "uploads/orders.csv",
			`invalid export request: /output/key: s3://exp/uploads/orders.csv is the export's own source; publishing would replace it (choose another key)`},
		{`{"source":{"bucket":"exp","key":"uploads/orders.csv"},"output":{"key":"uploads/x.csv"}}`, "exp", "uploads/x.csv",
			`invalid export request: /output/key: its manifest s3://exp/uploads/x.csv.manifest.json would replace a source object (choose another key)`},
		{`{"source":{"bucket":"exp","key":"uploads/orders.csv"},"output":{"key":"requests/out.json"}}`, "exp", "requests/out.json",
			`invalid export request: /output/key: s3://exp/requests/out.json is under "requests/": every object there starts an export, so the output and its manifest would start two more exports (publish under "exports/" or another prefix)`},
		{`{"source":{"bucket":"exp","key":"uploads/orders.csv"},"output":{"key":"work/e/merged.csv"}}`, "exp", "work/e/merged.csv",
			`invalid export request: /output/key: s3://exp/work/e/merged.csv is under "work/": that prefix holds per-execution scratch files, which cleanup deletes and lifecycle rules expire (publish under "exports/" or another prefix)`},
		{`{"source":{"bucket":"exp","key":"uploads/orders.csv"},"output":{"key":"approvals/pending/x.json"}}`, "exp", "approvals/pending/x.json",
			`invalid export request: /output/key: s3://exp/approvals/pending/x.json is under "approvals/": that prefix holds approval records, which cleanup deletes and the runner reads (publish under "exports/" or another prefix)`},
		{`{"source":{"bucket":"data","prefix":"daily/"},"output":{"bucket":"data","key":"daily/all.csv"}}`, "data", "daily/all.csv",
			`invalid export request: /output/key: s3://data/daily/all.csv is under the source prefix "daily/" (/source/prefix): the next export of that prefix would read this output as data (publish outside the prefix)`},
		{`{"source":{"bucket":"data","prefix":"exports/"},"output":{"bucket":"data"}}`, "data", "exports/e/export.csv",
			`invalid export request: /output/key: s3://data/exports/e/export.csv (the default key) is under the source prefix "exports/" (/source/prefix): the next export of that prefix would read this output as data (publish outside the prefix)`},
		// Fine: another bucket's requests/ prefix starts nothing; the default key.
		{`{"source":{"bucket":"exp","key":"uploads/orders.csv"},"output":{"bucket":"other","key":"requests/out.json"}}`, "other", "requests/out.json", ""},
		{`{"source":{"bucket":"exp","key":"uploads/orders.csv"}}`, "exp", "exports/e/export.csv", ""},
		{`{"source":{"bucket":"exp","key":"uploads/orders.csv"},"output":{"key":"uploads/orders-de.csv"}}`, "exp", "uploads/orders-de.csv", ""},
	}
	for _, tt := range tests {
		r, err := ParseRequest([]byte(tt.request))
		if err != nil {
			t.Fatal(err)
		}
		err = r.CheckOutputPlacement(tt.bucket, tt.key, "exp", DefaultPrefixes, sources)
		got := ""
		if err != nil {
			got = err.Error()
			var ie *InvalidExportRequest
			if !errors.As(err, &ie) {
				t.Errorf("%T is not an *InvalidExportRequest", err)
			}
		}
		if got != tt.want {
			t.Errorf("%s:\n got  %s\n want %s", tt.request, got, tt.want)
		}
	}
}
