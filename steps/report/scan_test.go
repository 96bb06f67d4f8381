package report

import (
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
