package csvsplit

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// parseAll parses data with encoding/csv the way exportpart does.
func parseAll(data []byte, delim rune) ([][]string, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = delim
	r.FieldsPerRecord = -1
	return r.ReadAll()
}

// checkSplit splits data and checks the ranges against a sequential parse:
// the ranges are contiguous, and their records, parsed range by range, are
// exactly the sequential records, none lost, duplicated or split.
func checkSplit(t *testing.T, data []byte, opts Options) {
	t.Helper()
	delim := ','
	if opts.Delimiter != "" {
		delim = []rune(opts.Delimiter)[0]
	}
	want, err := parseAll(data, delim)
	if err != nil {
		t.Skipf("not valid CSV for encoding/csv: %v", err)
	}
	res, err := Split(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("Split: %v", err)
	}
	if res.Size != int64(len(data)) {
		t.Fatalf("Size = %d, want %d", res.Size, len(data))
	}
	var got [][]string
	if opts.Header {
		if len(want) == 0 {
			if len(res.Header) != 0 {
				t.Fatalf("header %q in a file without records", res.Header)
			}
		} else {
			h, err := parseAll(res.Header, delim)
			if err != nil || len(h) != 1 || !reflect.DeepEqual(h[0], want[0]) {
				t.Fatalf("header %q parses to %q (%v), want %q", res.Header, h, err, want[0])
			}
			want = want[1:]
		}
	}
	if len(res.Ranges) == 0 {
		t.Fatal("no ranges")
	}
	prevEnd := res.Ranges[0].Start
	var nrec int64
	for i, rg := range res.Ranges {
		if rg.Start != prevEnd || rg.End < rg.Start {
			t.Fatalf("range %d = [%d,%d) does not follow %d", i, rg.Start, rg.End, prevEnd)
		}
		prevEnd = rg.End
		if rg.FirstRecord != nrec+1 {
			t.Fatalf("range %d FirstRecord = %d, want %d", i, rg.FirstRecord, nrec+1)
		}
		if wantLine := int64(bytes.Count(data[:rg.Start], []byte{'\n'})) + 1; rg.FirstLine != wantLine {
			t.Fatalf("range %d FirstLine = %d, want %d", i, rg.FirstLine, wantLine)
		}
		recs, err := parseAll(data[rg.Start:rg.End], delim)
		if err != nil {
			t.Fatalf("range %d [%d,%d) %q does not parse on its own: %v", i, rg.Start, rg.End, data[rg.Start:rg.End], err)
		}
		if int64(len(recs)) != rg.Records {
			t.Fatalf("range %d: Records = %d, but it parses into %d", i, rg.Records, len(recs))
		}
		nrec += rg.Records
		got = append(got, recs...)
	}
	if prevEnd != int64(len(data)) {
		t.Fatalf("ranges end at %d, data at %d", prevEnd, len(data))
	}
	if nrec != res.Records || int(nrec) != len(want) {
		t.Fatalf("Records = %d, ranges hold %d, sequential parse %d", res.Records, nrec, len(want))
	}
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("records differ:\n got %q\nwant %q", got, want)
	}
}

var alphabet = []string{"a", "b", "Z", "0", "9", " ", ",", ";", "\"", "\"\"", "\n", "\r\n", "\r", "ä", "日本", "🙂", "|", "\t", ""}

func randomField(r *rand.Rand) string {
	var b strings.Builder
	n := r.IntN(8)
	for range n {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// randomCSV writes random records with encoding/csv, so the text is valid
// CSV full of quoted delimiters, quotes, newlines and empty fields.
func randomCSV(r *rand.Rand, delim rune) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Comma = delim
	w.UseCRLF = r.IntN(3) == 0
	nrec := r.IntN(60)
	nf := 1 + r.IntN(5)
	for range nrec {
		rec := make([]string, nf)
		for i := range rec {
			rec[i] = randomField(r)
		}
		if nf == 1 && rec[0] == "" {
			rec[0] = "x" // a lone empty field is written as an empty line, which csv skips
		}
		_ = w.Write(rec)
		if r.IntN(10) == 0 {
			w.Flush()
			buf.WriteString("\n") // an empty line between records
		}
	}
	w.Flush()
	b := buf.Bytes()
	if len(b) > 0 && r.IntN(4) == 0 {
		b = bytes.TrimRight(b, "\r\n") // no line end after the last record
	}
	return b
}

func TestSplitProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		delim := []rune{',', ';', '\t', '|', '§'}[r.IntN(5)]
		data := randomCSV(r, delim)
		opts := Options{
			PartSize:   1 + r.Int64N(int64(len(data))+2),
			Quote:      '"',
			Delimiter:  string(delim),
			Header:     r.IntN(2) == 0,
			BufferSize: 1 + r.IntN(64),
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkSplit(t, data, opts) })
	}
}

func TestSplitCases(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		opts   Options
		ranges [][2]int64
		header string
	}{
		{"quoted newline not a cut", "h\n\"a\nb\"\nc\n", Options{PartSize: 1, Header: true}, [][2]int64{{2, 8}, {8, 10}}, "h\n"},
		{"escaped quotes", "\"a\"\"\n\"\nb\n", Options{PartSize: 1}, [][2]int64{{0, 7}, {7, 9}}, ""},
		{"bare quote mid-field is literal", "a\"b\nc\n", Options{PartSize: 1}, [][2]int64{{0, 4}, {4, 6}}, ""},
		{"empty lines before header", "\n\r\nh\nx\n", Options{PartSize: 100, Header: true}, [][2]int64{{5, 7}}, "h\n"},
		{"header only, no newline", "h1,h2", Options{PartSize: 1, Header: true}, [][2]int64{{5, 5}}, "h1,h2"},
		{"empty input", "", Options{PartSize: 1, Header: true}, [][2]int64{{0, 0}}, ""},
		{"lone CR at the end is an empty line, not a header", "\r", Options{PartSize: 1, Header: true}, [][2]int64{{1, 1}}, ""},
		{"lone CR after the header", "h\n\r", Options{PartSize: 1, Header: true}, [][2]int64{{2, 3}}, "h\n"},
		{"trailing empty lines join last range", "a\nb\n\n\n", Options{PartSize: 2}, [][2]int64{{0, 2}, {2, 6}}, ""},
		{"jsonl ignores quotes", "{\"a\":\"x\n{\"b\":1}\n", Options{PartSize: 1}, [][2]int64{{0, 8}, {8, 16}}, ""},
		{"multibyte delimiter before quote", "a§\"x\ny\"\n", Options{PartSize: 1, Delimiter: "§"}, [][2]int64{{0, 9}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name != "jsonl ignores quotes" {
				tt.opts.Quote = '"'
			}
			for _, bs := range []int{1, 2, 3, 1 << 20} {
				tt.opts.BufferSize = bs
				res, err := Split(strings.NewReader(tt.data), tt.opts)
				if err != nil {
					t.Fatal(err)
				}
				var got [][2]int64
				for _, rg := range res.Ranges {
					got = append(got, [2]int64{rg.Start, rg.End})
				}
				if !reflect.DeepEqual(got, tt.ranges) || string(res.Header) != tt.header {
					t.Fatalf("buffer %d: ranges %v header %q, want %v %q", bs, got, res.Header, tt.ranges, tt.header)
				}
			}
		})
	}
}

func FuzzSplit(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		f.Add(randomCSV(r, ','), int64(1+r.IntN(50)), uint8(r.IntN(8)), true)
	}
	f.Add([]byte("a,\"b\nc\",d\n\"\"\"\"\n"), int64(3), uint8(1), false)
	f.Fuzz(func(t *testing.T, data []byte, partSize int64, bufSize uint8, header bool) {
		if partSize <= 0 {
			partSize = 1 - partSize%1000
		}
		checkSplit(t, data, Options{PartSize: partSize, Quote: '"', Header: header, BufferSize: 1 + int(bufSize)})
	})
}
