package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/stepwise-dev/stepwise/steps/csvsplit"
)

// TestCSVRowReaderKeepsBytes is issue 10's bug at the reader: "\r\n" and a
// lone "\r" inside quotes, spaces, byte order marks and bytes that are not
// UTF-8 come out exactly as the source holds them.
func TestCSVRowReaderKeepsBytes(t *testing.T) {
	src := "1,\"line one\r\nline two\",x\r\n2,\"a\rb\", sp \r\n3,\ufeffz,\xff\xfe\n"
	req := &Request{Source: Source{Format: FormatCSV, CSV: &CSVOptions{Delimiter: ","}}}
	rr := NewRowReader(strings.NewReader(src), req, []string{"id", "note", "x"}, 1, 2)
	want := [][]string{{"1", "line one\r\nline two", "x"}, {"2", "a\rb", " sp "}, {"3", "\ufeffz", "\xff\xfe"}}
	wantLines := []int64{2, 4, 6} // a lone CR inside quotes ends a line too, as for Python's line_num
	for i, w := range want {
		got, row, err := rr.Next()
		if err != nil || row != int64(i+1) || !reflect.DeepEqual(got, w) || rr.Line() != wantLines[i] {
			t.Fatalf("row %d = %q (row %d, line %d, %v), want %q on line %d", i+1, got, row, rr.Line(), err, w, wantLines[i])
		}
	}
	if _, _, err := rr.Next(); err != io.EOF {
		t.Fatalf("after the last row: %v", err)
	}
}

// TestJSONLRowReader: values are the texts the JSON encodes, numbers and
// nested values verbatim (no reformatting, no HTML escaping, no key
// sorting); bytes that are not UTF-8 are carried; what cannot be carried
// or is not one JSON object per line is a row error, never a guess.
func TestJSONLRowReader(t *testing.T) {
	src := strings.Join([]string{
		`{"a":"x\r\ny","n":1e6,"p":0.10,"o":{"z":1, "b":"<&>"},"e":null,"s":"\ud83d\ude42\u00e9\/","t":true}`,
		"",
		" \t\r",
		"{\"a\":\"raw \xff\xfe\",\"s\":\"\ufeff\u2028\"}\r",
		`{"a":"\udc00"}`,
		`{"a":"x"} {"a":"y"}`,
		`null`,
		`[1]`,
		`{"a":"last"}`,
	}, "\n")
	req := &Request{Source: Source{Format: FormatJSONL}}
	header := []string{"a", "n", "p", "o", "e", "s", "t"}
	rr := NewRowReader(strings.NewReader(src), req, header, 1, 1)
	type result struct {
		row, line int64
		values    []string
		err       string
	}
	want := []result{
		{1, 1, []string{"x\r\ny", "1e6", "0.10", `{"z":1, "b":"<&>"}`, "", "🙂é/", "true"}, ""},
		{2, 4, []string{"raw \xff\xfe", "", "", "", "", "\ufeff\u2028", ""}, ""},
		{3, 5, nil, `row 3 (line 5): key "a": unpaired surrogate \udc00 at byte 1 of the string: no UTF-8 text can hold it`},
		{4, 6, nil, "row 4 (line 6): not a JSON object: invalid character '{' after top-level value"},
		{5, 7, nil, "row 5 (line 7): not a JSON object"},
		{6, 8, nil, "row 6 (line 8): not a JSON object"},
		{7, 9, []string{"last", "", "", "", "", "", ""}, ""},
	}
	for _, w := range want {
		values, row, err := rr.Next()
		var got result
		got.row, got.line = row, rr.Line()
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("row %d: %v is not a *RowError", w.row, err)
			}
			got.err = err.Error()
		} else {
			got.values = append([]string(nil), values...)
		}
		if !reflect.DeepEqual(got, w) {
			t.Fatalf("got  %d %d %q %s\nwant %d %d %q %s", got.row, got.line, got.values, got.err, w.row, w.line, w.values, w.err)
		}
	}
	if _, _, err := rr.Next(); err != io.EOF {
		t.Fatalf("after the last row: %v", err)
	}
}

// TestUnquoteJSONMatchesEncodingJSON: on UTF-8 strings without lone
// surrogates the JSON string decoder agrees with encoding/json.
func TestUnquoteJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	pieces := []string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u0041`, `\u00e9`, `\u2028`, `\ud83d\ude42`, `\uFEFF`, "é", "日", "a", " ", "<", "&"}
	for range 2000 {
		var b strings.Builder
		b.WriteByte('"')
		for range r.IntN(10) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		b.WriteByte('"')
		lit := b.String()
		var want string
		if err := json.Unmarshal([]byte(lit), &want); err != nil {
			t.Fatal(err)
		}
		got, err := unquoteJSON([]byte(lit))
		if err != nil || got != want {
			t.Fatalf("%s: got %q (%v), want %q", lit, got, err, want)
		}
	}
}

func TestJSONNumbers(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+1.50", "1.50"}, {"007", "7"}, {"-007", "-7"}, {".5", "0.5"}, {"-.5", "-0.5"},
		{"5.", "5"}, {"1e6", "1e6"}, {"0.10", "0.10"}, {"+0", "0"}, {"-0", "-0"},
		{"1E+05", "1E+05"}, {"00.5e-3", "0.5e-3"}, {"5.e2", "5e2"},
		{"123456789012345678901234567890", "123456789012345678901234567890"},
	}
	for _, tt := range tests {
		if _, err := ParseValue(tt.in, TypeNumber); err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		got := string(appendJSONNumber(nil, tt.in))
		if got != tt.want || !json.Valid([]byte(got)) {
			t.Errorf("%s → %s, want %s", tt.in, got, tt.want)
		}
		a, _, _ := big.ParseFloat(strings.TrimPrefix(tt.in, "+"), 10, 1000, big.ToNearestEven)
		b, _, _ := big.ParseFloat(got, 10, 1000, big.ToNearestEven)
		if a.Cmp(b) != 0 {
			t.Errorf("%s → %s changes the value", tt.in, got)
		}
	}
}

// TestJSONLWriterNoHTMLEscaping: <, > and & stay as they are (encoding/json
// would write \u003c, \u003e, \u0026), and so do U+2028 and a BOM.
func TestJSONLWriterNoHTMLEscaping(t *testing.T) {
	req := &Request{Output: Output{Format: FormatJSONL}}
	var buf bytes.Buffer
	w, _ := NewRowWriter(&buf, req, []Column{{Name: "s"}}, []string{TypeString}, false)
	if err := w.Write([]string{"<a href=\"x\">&amp;</a>\u2028\ufeff"}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if want := "{\"s\":\"<a href=\\\"x\\\">&amp;</a>\u2028\ufeff\"}\n"; buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
}

// TestInvalidUTF8 (issue 11.9): JSON Lines and Parquet outputs hold only
// UTF-8; a value that is not is an *InvalidUTF8 naming the column and the
// byte, and nothing of the row is written. CSV carries the bytes.
func TestInvalidUTF8(t *testing.T) {
	for _, format := range []string{FormatJSONL, FormatParquet, FormatCSV} {
		t.Run(format, func(t *testing.T) {
			req := &Request{Output: Output{Format: format}}
			var buf bytes.Buffer
			w, err := NewRowWriter(&buf, req, []Column{{Name: "id"}, {Name: "note"}}, []string{TypeInteger, TypeString}, false)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write([]string{"1", "fine"}); err != nil {
				t.Fatal(err)
			}
			err = w.Write([]string{"2", "ab\xffc"})
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if format == FormatCSV {
				if err != nil || buf.String() != "1,fine\n2,ab\xffc\n" {
					t.Fatalf("csv: %q, %v", buf.String(), err)
				}
				return
			}
			var bad *InvalidUTF8
			if !errors.As(err, &bad) || *bad != (InvalidUTF8{Column: "note", Offset: 2, Byte: 0xff, Format: format}) {
				t.Fatalf("err = %v, want an InvalidUTF8 at byte 2 of note", err)
			}
			if !strings.Contains(err.Error(), `column "note": invalid UTF-8 (byte 0xff at byte 2 of the value)`) {
				t.Fatalf("message %q", err)
			}
			if format == FormatJSONL && buf.String() != "{\"id\":1,\"note\":\"fine\"}\n" {
				t.Fatalf("jsonl output %q", buf.String())
			}
			if format == FormatParquet {
				f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
				if err != nil || f.NumRows() != 1 {
					t.Fatalf("parquet: %v, %d rows", err, f.NumRows())
				}
			}
		})
	}
}

// TestCSVRecordRoundTrip: whatever the fields, AppendCSVRecord writes text
// that reads back into exactly those fields.
func TestCSVRecordRoundTrip(t *testing.T) {
	cases := [][]string{{""}, {"", ""}, {"\ufeffx", "y"}, {" lead", "trail "}, {"a\r\nb", "c\rd", "e\nf"}, {`say "hi"`, ","}, {"\xff\xfe"}}
	r := rand.New(rand.NewPCG(9, 9))
	tokens := []string{"a", " ", "\t", ",", `"`, "\r", "\n", "\r\n", "\ufeff", "é", "\xff", ""}
	for range 2000 {
		rec := make([]string, 1+r.IntN(4))
		for i := range rec {
			for range r.IntN(5) {
				rec[i] += tokens[r.IntN(len(tokens))]
			}
		}
		cases = append(cases, rec)
	}
	for _, rec := range cases {
		checkCSVRoundTrip(t, rec)
	}
	if got := string(AppendCSVRecord(nil, []string{""})); got != "\"\"\n" {
		t.Fatalf("a lone empty field is written %q: an empty line, which readers skip", got)
	}
}

func checkCSVRoundTrip(t *testing.T, rec []string) {
	t.Helper()
	// Twice, so that the second record does not start the file: a reader
	// treats a byte order mark there differently.
	text := AppendCSVRecord(AppendCSVRecord([]byte(csvsplit.BOM), rec), rec)
	res, err := csvsplit.Split(bytes.NewReader(text), csvsplit.Options{PartSize: 1, Quote: '"', BufferSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	rd := csvsplit.NewReader(bytes.NewReader(text[res.Ranges[0].Start:]), ",")
	for i := range 2 {
		got, err := rd.Read()
		if err != nil || !reflect.DeepEqual(got, rec) {
			t.Fatalf("%q written as %q reads back as %q (%v) in record %d", rec, text, got, err, i+1)
		}
	}
}

func FuzzCSVRecordRoundTrip(f *testing.F) {
	f.Add("a\r\nb", "", "\ufeff")
	f.Add("", "\r", `""`)
	f.Add(" x ", "\xff", "\n\r")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		checkCSVRoundTrip(t, []string{a})
		checkCSVRoundTrip(t, []string{a, b, c})
	})
}

func FuzzUnquoteJSON(f *testing.F) {
	f.Add(`"a\r\n\u00e9\ud83d\ude42"`)
	f.Add(`"\udc00"`)
	f.Add("\"\xff\"")
	f.Fuzz(func(t *testing.T, lit string) {
		// encoding/json hands a json.RawMessage over without the
		// whitespace around the value.
		lit = strings.Trim(lit, " \t\r\n")
		if !json.Valid([]byte(lit)) || !strings.HasPrefix(lit, `"`) {
			return
		}
		got, err := unquoteJSON([]byte(lit))
		var want string
		_ = json.Unmarshal([]byte(lit), &want)
		if err != nil {
			if !strings.Contains(err.Error(), "unpaired surrogate") || !strings.Contains(want, "\ufffd") {
				t.Fatalf("%s: %v (encoding/json reads %q)", lit, err, want)
			}
			return
		}
		if utf8.ValidString(lit) && got != want {
			t.Fatalf("%s: got %q, encoding/json reads %q", lit, got, want)
		}
	})
}

func TestReadHeader(t *testing.T) {
	tests := []struct {
		name, data, delim string
		want              []string
		err               string
	}{
		{"byte order mark", "\ufeffid,total\n1,2\n", ",", []string{"id", "total"}, ""},
		{"byte order mark before a quote", "\ufeff\"id\";\"a b\"\r\n", ";", []string{"id", "a b"}, ""},
		{"empty lines first", "\r\n\n\rid\r", ",", []string{"id"}, ""},
		{"empty", "", ",", nil, "no header row (the file is empty)"},
		{"repeated", "a,b,a\n", ",", nil, `header column 3 is empty or repeated ("a")`},
		{"empty name", "a,,b\n", ",", nil, `header column 2 is empty or repeated ("")`},
		{"bare quote", "a\"b,c\n", ",", nil, `header row: line 1, field 1: bare " in non-quoted-field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadHeader(strings.NewReader(tt.data), tt.delim)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

// TestFilterComputedColumnName (issue 11.4): a filter that builds a column
// name reads that column; it used to see only the columns named literally
// and compared zero values, exporting nothing without a word.
func TestFilterComputedColumnName(t *testing.T) {
	header := []string{"id", "total", "country"}
	types := map[string]string{"total": TypeNumber, "id": TypeInteger}
	rows := [][]string{{"1", "150", "DE"}, {"2", "50", "FR"}, {"3", "", "DE"}}
	for _, where := range []string{
		`total > 100`,
		`$env["to"+"tal"] > 100`,
		`$env["\u0074otal"] > 100`,
		`$env.total > 100`,
		`get($env, "tot" + "al") > 100`,
		`let k = "total"; $env[k] > 100`,
		`$env[lower("TOTAL")] > 100`,
	} {
		f, err := CompileFilter(where, header, types)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		var kept []string
		for _, r := range rows {
			keep, err := f.Keep(r)
			if err != nil {
				t.Fatalf("%s on %q: %v", where, r, err)
			}
			if keep {
				kept = append(kept, r[0])
			}
		}
		if !reflect.DeepEqual(kept, []string{"1"}) {
			t.Errorf("%s keeps rows %q, want [1]", where, kept)
		}
	}
}
