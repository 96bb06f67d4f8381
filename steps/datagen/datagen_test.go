package datagen

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/orders.csv")

// TestSampleIsRegenerated checks that the committed sample is exactly what
// the generator writes; run with -update after changing the generator.
func TestSampleIsRegenerated(t *testing.T) {
	var buf bytes.Buffer
	if _, err := Write(&buf, SampleOptions); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "testdata", "orders.csv")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Fatalf("%s differs from the generator's output; run go test ./steps/datagen -update", path)
	}
}

func TestSampleIsHostile(t *testing.T) {
	var buf bytes.Buffer
	n, err := Write(&buf, SampleOptions)
	if err != nil || n != 1000 {
		t.Fatalf("rows %d, err %v", n, err)
	}
	recs, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1001 {
		t.Fatalf("%d records, want 1001", len(recs))
	}
	var comma, quote, newline, crlf, empty, nonASCII bool
	for _, r := range recs[1:] {
		for _, f := range r {
			comma = comma || strings.Contains(f, ",")
			quote = quote || strings.Contains(f, `"`)
			newline = newline || strings.Contains(f, "\n")
			crlf = crlf || strings.Contains(f, "\r")
			empty = empty || f == ""
			nonASCII = nonASCII || strings.ContainsFunc(f, func(r rune) bool { return r > 127 })
		}
	}
	if !(comma && quote && newline && empty && nonASCII) {
		t.Fatalf("sample lacks hostile content: comma %v quote %v newline %v empty %v non-ASCII %v", comma, quote, newline, empty, nonASCII)
	}
	_ = crlf // encoding/csv turns CRLF inside quotes into LF on read
}

func TestBytesTarget(t *testing.T) {
	var a, b bytes.Buffer
	if _, err := Write(&a, Options{Bytes: 100000, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(&b, Options{Bytes: 100000, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if a.Len() < 100000 || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("size %d, deterministic %v", a.Len(), bytes.Equal(a.Bytes(), b.Bytes()))
	}
	var j bytes.Buffer
	if _, err := Write(&j, Options{Rows: 10, Seed: 7, Format: "jsonl"}); err != nil {
		t.Fatal(err)
	}
	if strings.Count(j.String(), "\n") != 10 {
		t.Fatalf("jsonl has %d lines", strings.Count(j.String(), "\n"))
	}
}
