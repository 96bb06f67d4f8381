package reportsteps_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/steps/report"
	"github.com/stepwise-dev/stepwise/steps/reportsteps"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// trickySource is CSV whose note column holds quoted line ends ("\n",
// "\r\n"), commas, "" escapes and, once, a long quoted field of many lines
// of valid-looking CSV; records end in "\n" or "\r\n" with empty lines.
func trickySource(rows int, longNote int) []byte {
	rng := rand.New(rand.NewPCG(11, 12))
	regions := []string{"Zürich", "東京", `"a ""q""` + "\n" + `region"`, "", `"x,y"`}
	notes := []string{"", "plain", `"two` + "\n" + `lines"`, `"crlf` + "\r\n" + `inside"`, `"say ""hi"", ok"`}
	var b bytes.Buffer
	b.WriteString("region,amount,user,note\n")
	for i := range rows {
		fmt.Fprintf(&b, "%s,%d.%d,u%d,", regions[rng.IntN(len(regions))], rng.IntN(200)-100, rng.IntN(10), rng.IntN(30))
		if i == rows/2 && longNote > 0 {
			b.WriteByte('"')
			for b.Len() < longNote+i*20 {
				fmt.Fprintf(&b, "%d,u%d,x,y\n", rng.IntN(9), rng.IntN(9))
			}
			b.WriteByte('"')
		} else {
			b.WriteString(notes[rng.IntN(len(notes))])
		}
		b.WriteString([]string{"\n", "\r\n", "\n\n"}[rng.IntN(3)])
	}
	return b.Bytes()
}

// refCounts counts rows per region with encoding/csv.
func refCounts(t *testing.T, data []byte) (map[string]int, int) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, r := range recs[1:] {
		m[r[0]]++
	}
	return m, len(recs) - 1
}

func tinyRequest(key string, partSize int) string {
	return `{"source":{"key":"` + key + `"},"group_by":["region"],"aggregates":[{"op":"count"},{"op":"sum","column":"amount"},{"op":"min","column":"amount"},{"op":"count_distinct","column":"user"}],"part_size":` + itoa(partSize) + `}`
}

// TestTinyParts cuts sources with quoted line ends into parts of a few
// bytes, so that many parts start inside quoted fields and some hold no
// record start at all, and into parts much smaller than one quoted field
// of many lines that spans several whole parts: every report equals the
// one-part report, and its counts equal encoding/csv's.
func TestTinyParts(t *testing.T) {
	e := setup(t)
	for _, src := range []struct {
		name string
		data []byte
	}{{"mixed", trickySource(120, 0)}, {"spanning", trickySource(30, 1500)}} {
		key := "uploads/" + src.name + ".csv"
		e.st.PutBytes(bucket, key, src.data)
		want, rows := refCounts(t, src.data)
		one, err := run(t, e, src.name+"-one", tinyRequest(key, 1<<20))
		if err != nil {
			t.Fatal(err)
		}
		wantCSV, _ := e.st.Object(bucket, one.CSV)
		for _, size := range []int{16, 29, 100, 257, 1000} {
			out, err := run(t, e, fmt.Sprintf("%s-%d", src.name, size), tinyRequest(key, size))
			if err != nil {
				t.Fatalf("%s, part size %d: %v", src.name, size, err)
			}
			got, _ := e.st.Object(bucket, out.CSV)
			if !bytes.Equal(got, wantCSV) {
				t.Fatalf("%s, part size %d: report differs from the one-part report:\n%s\nwant\n%s", src.name, size, got, wantCSV)
			}
			recs, _ := csv.NewReader(bytes.NewReader(got)).ReadAll()
			for _, r := range recs[1:] {
				if itoa(want[r[0]]) != r[1] {
					t.Fatalf("%s, part size %d: %q counts %s, encoding/csv %d", src.name, size, r[0], r[1], want[r[0]])
				}
			}
			var man reportsteps.Manifest
			if err := stepkit.ReadJSON(context.Background(), e.st, bucket, out.Manifest, &man); err != nil || man.RowsRead != int64(rows) {
				t.Fatalf("%s, part size %d: manifest rowsRead %d, want %d (%v)", src.name, size, man.RowsRead, rows, err)
			}
		}
	}
}

// TestWrongGuessIsReadAgain: a quoted field longer than the probe window
// holding lines of valid CSV fools the guess of the parts that start
// inside it; the reduce finds out from the chain of quote parities, reads
// those parts again, and the report is still exact.
func TestWrongGuessIsReadAgain(t *testing.T) {
	e := setup(t)
	data := trickySource(40, 3*report.ProbeWindow)
	e.st.PutBytes(bucket, "uploads/fool.csv", data)
	one, err := run(t, e, "fool-one", tinyRequest("uploads/fool.csv", 1<<30))
	if err != nil {
		t.Fatal(err)
	}
	out, err := run(t, e, "fool-parts", tinyRequest("uploads/fool.csv", 4096))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := e.st.Object(bucket, one.CSV)
	b, _ := e.st.Object(bucket, out.CSV)
	if !bytes.Equal(a, b) {
		t.Fatalf("report differs from the one-part report:\n%s\nwant\n%s", b, a)
	}
	// Some part did guess wrong, or the test tests nothing.
	d0 := int64(bytes.IndexByte(data, '\n') + 1)
	var specs []reportsteps.PartSpec
	if err := stepkit.ReadJSON(context.Background(), e.st, bucket, "work/fool-parts/parts.json", &specs); err != nil {
		t.Fatal(err)
	}
	wrong := 0
	for _, k := range e.st.Keys(bucket, "work/fool-parts/partials/") {
		raw, _ := e.st.Object(bucket, k)
		mj, err := report.ReadPartialMeta(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			t.Fatal(err)
		}
		var m reportsteps.PartMeta
		_ = json.Unmarshal(mj, &m)
		start := specs[m.Part].Start
		if truth := bytes.Count(data[d0:start], []byte{'"'}) & 1; m.Parity != truth && !m.NoLineEnd {
			wrong++
		}
	}
	if wrong == 0 {
		t.Fatal("no part guessed wrong: the source does not exercise the re-read")
	}
	t.Logf("%d parts guessed wrong and were read again", wrong)
}

// TestLateBadRow: a bad row far into the source, found by a part that
// only guessed its parity, fails the report from the reduce with the
// row's source line.
func TestLateBadRow(t *testing.T) {
	e := setup(t)
	data := trickySource(200, 0)
	// Break the amount of the 150th record or the next with an unquoted region.
	recs := 0
	at := -1
	inQ := false
	for i, c := range data {
		if c == '"' {
			inQ = !inQ
		}
		if c == '\n' && !inQ && i+1 < len(data) && data[i+1] != '\n' && data[i+1] != '\r' {
			recs++
			if recs >= 150 && data[i+1] != '"' {
				at = i + 1
				break
			}
		}
	}
	j := at + bytes.IndexByte(data[at:], ',') + 1
	bad := append(append(append([]byte{}, data[:j]...), 'X'), data[j:]...)
	line := 1 + strings.Count(strings.ReplaceAll(string(bad[:at]), "\r\n", "\n"), "\n")
	e.st.PutBytes(bucket, "uploads/bad.csv", bad)
	for _, size := range []int{16, 333, 1 << 20} {
		_, err := run(t, e, fmt.Sprintf("bad-%d", size), tinyRequest("uploads/bad.csv", size))
		want := fmt.Sprintf("uploads/bad.csv: line %d: column \"amount\"", line)
		if typeName(err) != "*reportsteps.InvalidSourceRow" || !strings.Contains(err.Error(), want) {
			t.Fatalf("part size %d: err = %s %v, want ...%s...", size, typeName(err), err, want)
		}
	}
}

// TestTinyPartsPrefixAndDialects: several objects under a prefix (each a
// chain of its own), a source without a header, a multi-byte delimiter and
// a byte order mark, cut into tiny parts, report what one part per object
// reports, and every row is read.
func TestTinyPartsPrefixAndDialects(t *testing.T) {
	e := setup(t)
	a := trickySource(50, 0)
	b := append([]byte("\ufeff"), trickySource(70, 700)...)
	e.st.PutBytes(bucket, "multi/a.csv", a)
	e.st.PutBytes(bucket, "multi/b.csv", b)
	_, ra := refCounts(t, a)
	_, rb := refCounts(t, bytes.TrimPrefix(b, []byte("\ufeff")))
	noHeader := bytes.ReplaceAll(a[bytes.IndexByte(a, '\n')+1:], []byte(","), []byte("→"))
	e.st.PutBytes(bucket, "dialect/x.csv", noHeader)
	for _, c := range []struct {
		name, source string
		rows         int
	}{
		{"prefix", `{"prefix":"multi/"}`, ra + rb},
		{"dialect", `{"key":"dialect/x.csv","csv":{"header":false,"columns":["region","amount","user","note"],"delimiter":"→"}}`, ra},
	} {
		req := func(size int) string {
			return `{"source":` + c.source + `,"group_by":["region"],"aggregates":[{"op":"count"},{"op":"sum","column":"amount"},{"op":"count_distinct","column":"user"}],"part_size":` + itoa(size) + `}`
		}
		one, err := run(t, e, c.name+"-one", req(1<<20))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := e.st.Object(bucket, one.CSV)
		for _, size := range []int{16, 50, 333} {
			out, err := run(t, e, fmt.Sprintf("%s-%d", c.name, size), req(size))
			if err != nil {
				t.Fatalf("%s, part size %d: %v", c.name, size, err)
			}
			got, _ := e.st.Object(bucket, out.CSV)
			var man reportsteps.Manifest
			_ = stepkit.ReadJSON(context.Background(), e.st, bucket, out.Manifest, &man)
			if !bytes.Equal(got, want) || man.RowsRead != int64(c.rows) {
				t.Fatalf("%s, part size %d: rows read %d (want %d), report:\n%s\nwant\n%s", c.name, size, man.RowsRead, c.rows, got, want)
			}
		}
	}
}
