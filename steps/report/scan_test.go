package report

import (
	"encoding/csv"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stepwise-dev/stepwise/steps/csvsplit"
)

// TestScannerMatchesCSVSplit compares the scanner with csvsplit's reader,
// the grammar it implements, on random inputs made of the bytes that
// matter (quotes, delimiters, every line end, empty lines, non-ASCII),
// read one byte at a time and whole: the same records with the same line
// numbers, and an error exactly where csvsplit reports a fault.
func TestScannerMatchesCSVSplit(t *testing.T) {
	pieces := []string{"a", "ü", "東", "1.5", ",", ",", "\"", "\"\"", "\n", "\r\n", "\r", "\n\n", " ", "x,\"y\nz\",w"}
	rng := rand.New(rand.NewPCG(7, 8))
	rounds := 20000
	if testing.Short() {
		rounds = 1000
	}
	for round := range rounds {
		var b strings.Builder
		for range rng.IntN(30) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		in := b.String()
		type rec struct {
			fields []string
			line   int64
		}
		var want []rec
		wantErr := false
		rd := csvsplit.NewReader(strings.NewReader(in), ",")
		for {
			r, err := rd.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				wantErr = true
				break
			}
			want = append(want, rec{slices.Clone(r), rd.Line()})
		}
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = strings.NewReader(in)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			sc := newScanner(r, ',')
			sc.buf = make([]byte, 4) // force refills and growth mid-record
			var got []rec
			gotErr := false
			for {
				fs, err := sc.next()
				if err == io.EOF {
					break
				}
				if err != nil {
					var re *RowError
					if !errors.As(err, &re) {
						t.Fatalf("%q: error %v is not a RowError", in, err)
					}
					gotErr = true
					break
				}
				var ss []string
				for _, f := range fs {
					ss = append(ss, string(f))
				}
				got = append(got, rec{ss, sc.recLine})
			}
			if gotErr != wantErr || !slices.EqualFunc(got, want, func(a, b rec) bool { return a.line == b.line && slices.Equal(a.fields, b.fields) }) {
				t.Fatalf("round %d, %q (one byte %v):\n got %v err %v\nwant %v err %v", round, in, oneByte, got, gotErr, want, wantErr)
			}
		}
	}
}

// genRecords returns CSV text built record by record, so that it stays in
// the grammar encoding/csv and the scanner share ("\n" or "\r\n" ends a
// record, never a lone "\r", and no "\r" inside quotes, which encoding/csv
// rewrites): unquoted and quoted fields of every length around the
// scanner's eight-byte words, quoted delimiters, line ends and "" escapes,
// empty fields, empty lines, non-ASCII text and, when fault is set, one
// fault (a bare quote, text after a closing quote, a quote left open).
func genRecords(rng *rand.Rand, fault bool) string {
	plain := []string{"a", "ü", "東京", "1.5", " ", "abcdefgh", "x", "-", "\t"}
	quoted := []string{"a", ",", "\"\"", "\n", "é", "abcdefg", " ", ",\n,"}
	ends := []string{"\n", "\r\n"}
	if fault { // a fault may leave a quote open over the next line ends
		ends = ends[:1]
	}
	var b strings.Builder
	records := rng.IntN(6)
	faultAt := -1
	if fault {
		faultAt = rng.IntN(records + 1)
	}
	for r := 0; r <= records; r++ {
		if rng.IntN(8) == 0 {
			b.WriteString(ends[rng.IntN(len(ends))]) // an empty line
		}
		fields := 1 + rng.IntN(5)
		for f := range fields {
			if f > 0 {
				b.WriteByte(',')
			}
			if rng.IntN(3) == 0 {
				b.WriteByte('"')
				for range rng.IntN(12) {
					b.WriteString(quoted[rng.IntN(len(quoted))])
				}
				b.WriteByte('"')
			} else {
				for range rng.IntN(12) {
					b.WriteString(plain[rng.IntN(len(plain))])
				}
			}
			if r == faultAt && f == fields-1 {
				b.WriteString([]string{"x\"y", "\"q\"z", "\"open"}[rng.IntN(3)])
			}
		}
		if r < records || rng.IntN(2) == 0 {
			b.WriteString(ends[rng.IntN(len(ends))])
		}
	}
	return b.String()
}

// TestScannerMatchesEncodingCSV compares the scanner with the standard
// library's encoding/csv, which shares no code with it, on random records
// (see genRecords) read whole, one byte at a time and through a buffer of
// four bytes that must grow: the same fields, the same start lines, and a
// RowError at the record where encoding/csv reports a ParseError.
func TestScannerMatchesEncodingCSV(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	rounds := 5000
	if testing.Short() {
		rounds = 500
	}
	for round := range rounds {
		in := genRecords(rng, round%4 == 0)
		type rec struct {
			fields []string
			line   int
		}
		var want []rec
		wantErrLine := 0
		cr := csv.NewReader(strings.NewReader(in))
		cr.FieldsPerRecord = -1
		for {
			r, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				var pe *csv.ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("%q: encoding/csv: %v", in, err)
				}
				wantErrLine = pe.StartLine
				break
			}
			line, _ := cr.FieldPos(0)
			want = append(want, rec{r, line})
		}
		for _, small := range []bool{false, true} {
			for _, oneByte := range []bool{false, true} {
				var r io.Reader = strings.NewReader(in)
				if oneByte {
					r = iotest.OneByteReader(r)
				}
				sc := newScanner(r, ',')
				if small {
					sc.buf = make([]byte, 4)
				}
				var got []rec
				gotErrLine := 0
				for {
					fs, err := sc.next()
					if err == io.EOF {
						break
					}
					if err != nil {
						var re *RowError
						if !errors.As(err, &re) {
							t.Fatalf("%q: error %v is not a RowError", in, err)
						}
						gotErrLine = int(re.Line)
						break
					}
					var ss []string
					for _, f := range fs {
						ss = append(ss, string(f))
					}
					got = append(got, rec{ss, int(sc.recLine)})
				}
				if gotErrLine != wantErrLine || !slices.EqualFunc(got, want, func(a, b rec) bool { return a.line == b.line && slices.Equal(a.fields, b.fields) }) {
					t.Fatalf("round %d, %q (one byte %v, small buffer %v):\n got %v error at line %d\nwant %v error at line %d", round, in, oneByte, small, got, gotErrLine, want, wantErrLine)
				}
			}
		}
	}
}

// TestScannerReadError checks that a failing reader's error comes out of
// the scanner as it is, not as a row error, also mid-record.
func TestScannerReadError(t *testing.T) {
	boom := errors.New("connection reset")
	for _, in := range []string{"", "a,b\n", "a,\"b\nc", "a,b\nc"} {
		sc := newScanner(io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom)), ',')
		var err error
		for err == nil {
			_, err = sc.next()
		}
		if err != boom {
			t.Errorf("%q: err = %v, want the reader's", in, err)
		}
	}
}
