package report

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// genTricky returns CSV text with quoted fields holding "\n", "\r\n", lone
// "\r", commas and "" escapes, empty lines and all three line ends.
func genTricky(rng *rand.Rand, rows int) []byte {
	fields := []string{"a", "", `"x,y"`, `"multi` + "\n" + `line"`, `"cr` + "\r\n" + `lf"`, `"lone` + "\r" + `cr"`, `"q""uote"`, `""`, "Zürich", `"` + "\n\n\n" + `"`}
	ends := []string{"\n", "\r\n", "\r", "\n\n", "\r\n\r\n"}
	var b bytes.Buffer
	b.WriteString("h1,h2,h3\r\n")
	for range rows {
		for j := range 3 {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(fields[rng.IntN(len(fields))])
		}
		b.WriteString(ends[rng.IntN(len(ends))])
	}
	return b.Bytes()
}

// lineEndsBefore counts line ends ("\n", "\r\n", lone "\r", each once)
// in data[:x], the way an editor numbers lines.
func lineEndsBefore(data []byte, x int64) int64 {
	var n int64
	for i := int64(0); i < x; i++ {
		if data[i] == '\n' || data[i] == '\r' && (i+1 == int64(len(data)) || data[i+1] != '\n') {
			n++
		}
	}
	return n
}

// TestRangeReaderTilesTheSource cuts generated CSV at every size from 1
// byte up: with the true parity, the parts' ranges are the source's data
// exactly once, in order, each starting on a record boundary, and the
// counts (quotes, lines, lines before the first boundary) are exact under
// either parity.
func TestRangeReaderTilesTheSource(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for _, rows := range []int{0, 1, 3, 40} {
		data := genTricky(rng, rows)
		d0 := int64(bytes.Index(data, []byte("\r\n")) + 2)
		size := int64(len(data))
		for _, partSize := range []int64{1, 2, 3, 5, 7, 16, 64, 1000} {
			var got bytes.Buffer
			quotes, lines := 0, lineEndsBefore(data, d0)
			for start := d0; start < size || start == d0; start += partSize {
				cut := Cut{Start: start, End: min(start+partSize, size), DataStart: d0}
				from := start
				if start > d0 {
					from = start - 1
				}
				var stats [2]RangeStats
				var out [2][]byte
				for parity := range 2 {
					rr := NewRangeReader(bytes.NewReader(data[from:]), from, cut, parity)
					rr.buf = make([]byte, 4) // exercise refills and moves
					b, err := io.ReadAll(rr)
					if err != nil {
						t.Fatal(err)
					}
					stats[parity], out[parity] = rr.Stats(), b
				}
				name := fmt.Sprintf("rows %d part size %d cut %d-%d", rows, partSize, cut.Start, cut.End)
				st := stats[0]
				if st.Quotes != stats[1].Quotes || st.Lines != stats[1].Lines {
					t.Fatalf("%s: counts depend on the assumed parity: %+v %+v", name, stats[0], stats[1])
				}
				if wantQ := bytes.Count(data[cut.Start:cut.End], []byte{'"'}) & 1; st.Quotes != wantQ {
					t.Fatalf("%s: quotes %d, want %d", name, st.Quotes, wantQ)
				}
				if wantL := lineEndsBefore(data, cut.End) - lineEndsBefore(data, cut.Start); st.Lines != wantL {
					t.Fatalf("%s: lines %d, want %d", name, st.Lines, wantL)
				}
				truth := bytes.Count(data[d0:cut.Start], []byte{'"'}) & 1
				if st.NoLineEnd && !bytes.Equal(out[0], out[1]) {
					t.Fatalf("%s: no line end, yet the parities read different records", name)
				}
				b := out[truth]
				if len(b) > 0 {
					at := int64(got.Len()) + d0
					if lines+stats[truth].LinesBefore != lineEndsBefore(data, at) {
						t.Fatalf("%s: line base %d+%d, want %d", name, lines, stats[truth].LinesBefore, lineEndsBefore(data, at))
					}
				}
				got.Write(b)
				quotes ^= st.Quotes
				lines += st.Lines
				if cut.End == size {
					break
				}
			}
			if !bytes.Equal(got.Bytes(), data[d0:]) {
				t.Fatalf("rows %d part size %d: the ranges do not tile the data:\n%q\nwant\n%q", rows, partSize, got.Bytes(), data[d0:])
			}
		}
	}
}

// TestChooseParity: on records whose quoted fields hold line ends, the
// probe finds the true parity at most cut points.
func TestChooseParity(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	data := genTricky(rng, 2000)
	d0 := int64(bytes.Index(data, []byte("\r\n")) + 2)
	right, total := 0, 0
	for start := d0 + 1; start < int64(len(data)); start += 97 {
		cut := Cut{Start: start, End: start + 1000, DataStart: d0}
		truth := bytes.Count(data[d0:start], []byte{'"'}) & 1
		if ChooseParity(data[start-1:min(int64(len(data)), start-1+ProbeWindow)], cut, 3, ",") == truth {
			right++
		}
		total++
	}
	if right < total*95/100 {
		t.Fatalf("the probe guessed %d of %d cut points right", right, total)
	}
	t.Logf("probe right at %d of %d cut points", right, total)
}
