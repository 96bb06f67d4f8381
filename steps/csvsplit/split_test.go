package csvsplit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// record is one record as a reader returns it.
type record struct {
	Fields []string
	Bad    bool  // returned with a *ParseError
	Line   int64 // 1-based line it starts on
}

func (r record) String() string { return fmt.Sprintf("{%q bad=%v line=%d}", r.Fields, r.Bad, r.Line) }

// readAll reads data with [Reader].
func readAll(t testing.TB, data []byte, delim string) []record {
	t.Helper()
	r := NewReader(bytes.NewReader(data), delim)
	var out []record
	for {
		f, err := r.Read()
		if err == io.EOF {
			return out
		}
		var pe *ParseError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("Read: %v", err)
		}
		out = append(out, record{slices.Clone(f), err != nil, r.Line()})
	}
}

// refParse is an independent, byte-at-a-time transcription of the state
// machine of Python's csv reader (Modules/_csv.c, excel dialect,
// strict=False), fed lines split the way io.StringIO(newline="") splits
// them, with the two rules the package adds: empty records are skipped and
// RFC 4180 faults mark a record bad. It is the oracle of the fuzz tests,
// which cannot run Python.
func refParse(data []byte, delim string) []record {
	const (
		startRecord = iota
		startField
		inField
		inQuotedField
		quoteInQuotedField
		eatCRNL
	)
	var (
		out    []record
		fields []string
		field  []byte
		bad    bool
		state  = startRecord
		line   int64 // lines read so far
		start  int64
	)
	save := func() { fields = append(fields, string(field)); field = field[:0] }
	emit := func() {
		if len(fields) > 0 {
			out = append(out, record{fields, bad, start})
		}
		fields, bad = nil, false
	}
	d := []byte(delim)
	for len(data) > 0 {
		// The next line: through "\n", "\r\n" or a lone "\r".
		n := 0
		for n < len(data) && data[n] != '\n' && data[n] != '\r' {
			n++
		}
		if n < len(data) {
			if data[n] == '\r' && n+1 < len(data) && data[n+1] == '\n' {
				n++
			}
			n++
		}
		ln := data[:n]
		data = data[n:]
		line++
		for i := 0; i < len(ln); i++ {
			c := ln[i]
			isDelim := bytes.HasPrefix(ln[i:], d)
			switch state {
			case startRecord, startField:
				if state == startRecord {
					if c == '\n' || c == '\r' {
						state = eatCRNL
						continue
					}
					start = line
				}
				switch {
				case c == '"':
					state = inQuotedField
				case c == '\n' || c == '\r':
					save()
					state = eatCRNL
				case isDelim:
					save()
					i += len(d) - 1
					state = startField
				default:
					field = append(field, c)
					state = inField
				}
			case inField:
				switch {
				case c == '\n' || c == '\r':
					save()
					state = eatCRNL
				case isDelim:
					save()
					i += len(d) - 1
					state = startField
				default:
					if c == '"' {
						bad = true
					}
					field = append(field, c)
				}
			case inQuotedField:
				if c == '"' {
					state = quoteInQuotedField
				} else {
					field = append(field, c)
				}
			case quoteInQuotedField:
				switch {
				case c == '"':
					field = append(field, c)
					state = inQuotedField
				case isDelim:
					save()
					i += len(d) - 1
					state = startField
				case c == '\n' || c == '\r':
					save()
					state = eatCRNL
				default:
					bad = true
					field = append(field, c)
					state = inField
				}
			case eatCRNL:
				// only "\n" after "\r" can be left on a line
			}
		}
		// End of line.
		switch state {
		case eatCRNL:
			emit()
			state = startRecord
		case startField, inField, quoteInQuotedField:
			if len(data) == 0 {
				save()
				emit()
				state = startRecord
			}
		case inQuotedField:
			if len(data) == 0 {
				bad = true
				save()
				emit()
			}
		}
	}
	return out
}

// lines counts the line ends in b: "\n", "\r\n" and a lone "\r".
func lines(b []byte) int64 {
	return int64(bytes.Count(b, nl) + bytes.Count(b, cr) - bytes.Count(b, crlf))
}

// checkSplit splits data and checks the ranges against a sequential read:
// the ranges are contiguous, and their records, read range by range, are
// exactly the sequential records, none lost, duplicated, split or read
// differently, with the same line numbers; the sequential read is the
// reference state machine's.
func checkSplit(t *testing.T, data []byte, opts Options) {
	t.Helper()
	delim := opts.Delimiter
	if delim == "" {
		delim = ","
	}
	body := bytes.TrimPrefix(data, []byte(BOM))
	bomLen := int64(len(data) - len(body))
	want := readAll(t, body, delim)
	if ref := refParse(body, delim); !reflect.DeepEqual(want, ref) && !(len(want) == 0 && len(ref) == 0) {
		t.Fatalf("Reader and the reference disagree on %v:\n got %v\nwant %v", body, want, ref)
	}
	res, err := Split(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("Split: %v", err)
	}
	if res.Size != int64(len(data)) {
		t.Fatalf("Size = %d, want %d", res.Size, len(data))
	}
	var got []record
	if opts.Header {
		if len(want) == 0 {
			if len(res.Header) != 0 {
				t.Fatalf("header %q in a file without records", res.Header)
			}
		} else {
			h := readAll(t, res.Header, delim)
			if len(h) != 1 || !reflect.DeepEqual(h[0].Fields, want[0].Fields) {
				t.Fatalf("header %q reads as %v, want %v", res.Header, h, want[0])
			}
			want = want[1:]
		}
	}
	if len(res.Ranges) == 0 {
		t.Fatal("no ranges")
	}
	prevEnd := res.Ranges[0].Start
	if prevEnd < bomLen {
		t.Fatalf("the first range starts at %d, inside the byte order mark", prevEnd)
	}
	var nrec int64
	for i, rg := range res.Ranges {
		if rg.Start != prevEnd || rg.End < rg.Start {
			t.Fatalf("range %d = [%d,%d) does not follow %d", i, rg.Start, rg.End, prevEnd)
		}
		prevEnd = rg.End
		if rg.FirstRecord != nrec+1 {
			t.Fatalf("range %d FirstRecord = %d, want %d", i, rg.FirstRecord, nrec+1)
		}
		if wantLine := lines(data[:rg.Start]) + 1; rg.FirstLine != wantLine {
			t.Fatalf("range %d FirstLine = %d, want %d", i, rg.FirstLine, wantLine)
		}
		recs := readAll(t, data[rg.Start:rg.End], delim)
		if int64(len(recs)) != rg.Records {
			t.Fatalf("range %d [%d,%d) %q: Records = %d, but it reads into %d", i, rg.Start, rg.End, data[rg.Start:rg.End], rg.Records, len(recs))
		}
		for j := range recs {
			recs[j].Line += rg.FirstLine - 1
		}
		nrec += rg.Records
		got = append(got, recs...)
	}
	if prevEnd != int64(len(data)) {
		t.Fatalf("ranges end at %d, data at %d", prevEnd, len(data))
	}
	if nrec != res.Records || int(nrec) != len(want) {
		t.Fatalf("Records = %d, ranges hold %d, sequential read %d", res.Records, nrec, len(want))
	}
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("records differ:\n got %v\nwant %v", got, want)
	}
}

var alphabet = []string{"a", "b", "Z", "0", "9", " ", ",", ";", "\"", "\"\"", "\n", "\r\n", "\r", "ä", "日本", "🙂", "|", "\t", "", BOM, "\xff", "§"}

func randomField(r *rand.Rand) string {
	var b strings.Builder
	n := r.IntN(8)
	for range n {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// writeField appends field to b as RFC 4180 text, quoted when it must be
// (or at random when it need not).
func writeField(b *bytes.Buffer, r *rand.Rand, field, delim string) {
	if strings.ContainsAny(field, "\"\r\n") || strings.Contains(field, delim) || r.IntN(8) == 0 {
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(field, `"`, `""`))
		b.WriteByte('"')
		return
	}
	b.WriteString(field)
}

// randomCSV writes random valid CSV full of quoted delimiters, quotes,
// line ends of every kind (inside and outside fields), byte order marks
// and empty fields; with broken set, some records break RFC 4180.
func randomCSV(r *rand.Rand, delim string, broken bool) []byte {
	var b bytes.Buffer
	if r.IntN(4) == 0 {
		b.WriteString(BOM)
	}
	ends := []string{"\n", "\r\n", "\r"}
	end := ends[r.IntN(3)]
	nrec := r.IntN(60)
	nf := 1 + r.IntN(5)
	for range nrec {
		if r.IntN(10) == 0 {
			end = ends[r.IntN(3)] // files that mix line ends
		}
		for i := range nf {
			if i > 0 {
				b.WriteString(delim)
			}
			f := randomField(r)
			switch {
			case nf == 1 && f == "":
				b.WriteString(`""`) // a lone empty field unquoted is an empty line
			case broken && r.IntN(15) == 0:
				b.WriteString(f) // raw: may hold a bare quote or a line end
			case broken && r.IntN(15) == 0:
				b.WriteString(`"` + f + `"x`) // text after the closing quote
			default:
				writeField(&b, r, f, delim)
			}
		}
		b.WriteString(end)
		if r.IntN(10) == 0 {
			b.WriteString(ends[r.IntN(3)]) // an empty line between records
		}
	}
	out := b.Bytes()
	if len(out) > 0 && r.IntN(4) == 0 {
		out = bytes.TrimRight(out, "\r\n") // no line end after the last record
	}
	if broken && r.IntN(10) == 0 {
		out = append(out, `,"open`...) // a quoted field still open at the end
	}
	return out
}

func TestSplitProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		delim := []string{",", ";", "\t", "|", "§"}[r.IntN(5)]
		data := randomCSV(r, delim, r.IntN(3) == 0)
		opts := Options{
			PartSize:   1 + r.Int64N(int64(len(data))+2),
			Quote:      '"',
			Delimiter:  delim,
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
		{"lone CR ends a record", "a\rb\rc", Options{PartSize: 1}, [][2]int64{{0, 2}, {2, 4}, {4, 5}}, ""},
		{"CRLF is one line end", "h\r\na\r\nb\r\n", Options{PartSize: 1, Header: true}, [][2]int64{{3, 6}, {6, 9}}, "h\r\n"},
		{"CR and CRLF inside quotes are data", "\"a\r\nb\rc\"\rd\n", Options{PartSize: 1}, [][2]int64{{0, 9}, {9, 11}}, ""},
		{"byte order mark belongs to no range", "\ufeff\"h\"\nx\n", Options{PartSize: 1, Header: true}, [][2]int64{{7, 9}}, "\"h\"\n"},
		{"byte order mark without header", "\ufeffx\ny\n", Options{PartSize: 1}, [][2]int64{{3, 5}, {5, 7}}, ""},
		{"jsonl: blank lines hold no record", "{}\n \t\r\n{}\n", Options{PartSize: 1}, [][2]int64{{0, 3}, {3, 10}}, ""},
		{"jsonl: CR is not a line end", "{\"a\":1}\r{}\n{}", Options{PartSize: 1}, [][2]int64{{0, 11}, {11, 13}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.HasPrefix(tt.name, "jsonl") {
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

// TestReaderCases pins field values byte for byte: nothing the grammar does
// not define is changed (issue 10: "\r\n" inside quotes came out as "\n").
func TestReaderCases(t *testing.T) {
	tests := []struct {
		name, data string
		want       []record
	}{
		{"CRLF inside quotes is kept", "\"a\r\nb\",c\r\n", []record{{[]string{"a\r\nb", "c"}, false, 1}}},
		{"lone CR inside quotes is kept", "\"a\rb\"\n", []record{{[]string{"a\rb"}, false, 1}}},
		{"lone CR outside quotes ends the record", "a\rb\n", []record{{[]string{"a"}, false, 1}, {[]string{"b"}, false, 2}}},
		{"spaces are data", " a , b \n", []record{{[]string{" a ", " b "}, false, 1}}},
		{"byte order mark inside a field is data", "x,\ufeffy\n", []record{{[]string{"x", "\ufeffy"}, false, 1}}},
		{"invalid UTF-8 is carried", "\xff\xfe,\"\xc3\"\n", []record{{[]string{"\xff\xfe", "\xc3"}, false, 1}}},
		{"escaped quotes", "\"say \"\"hi\"\"\"\n", []record{{[]string{`say "hi"`}, false, 1}}},
		{"empty quoted field", "\"\",\"\"\n", []record{{[]string{"", ""}, false, 1}}},
		{"empty lines skipped, counted", "\n\r\n\ra\n", []record{{[]string{"a"}, false, 4}}},
		{"quoted line ends count as lines", "\"a\r\n\r\nb\",c\nd\n", []record{{[]string{"a\r\n\r\nb", "c"}, false, 1}, {[]string{"d"}, false, 4}}},
		{"bare quote", "a\"b,c\n", []record{{[]string{"a\"b", "c"}, true, 1}}},
		{"text after closing quote", "\"a\"b,c\n", []record{{[]string{"ab", "c"}, true, 1}}},
		{"open quote at the end", "a,\"b\nc", []record{{[]string{"a", "b\nc"}, true, 1}}},
		{"no line end at the end", "a,b", []record{{[]string{"a", "b"}, false, 1}}},
		{"trailing delimiter", "a,\n", []record{{[]string{"a", ""}, false, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, []byte(tt.data), ",")
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %v\nwant %v", got, tt.want)
			}
			if ref := refParse([]byte(tt.data), ","); !reflect.DeepEqual(ref, tt.want) {
				t.Fatalf("the reference reads %v", ref)
			}
		})
	}
}

// TestReaderSmallReads feeds the reader one byte per Read call, so every
// look-ahead (a "\r\n" pair, a multi-byte delimiter, an escaped quote)
// straddles a refill.
func TestReaderSmallReads(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		delim := []string{",", "§", "\t"}[r.IntN(3)]
		data := randomCSV(r, delim, r.IntN(2) == 0)
		want := readAll(t, data, delim)
		rd := NewReader(&oneByte{data: data}, delim)
		for i := 0; ; i++ {
			f, err := rd.Read()
			if err == io.EOF {
				if i != len(want) {
					t.Fatalf("%q: %d records, want %d", data, i, len(want))
				}
				break
			}
			if i >= len(want) || !slices.Equal(f, want[i].Fields) || (err != nil) != want[i].Bad || rd.Line() != want[i].Line {
				t.Fatalf("%q: record %d = %q (%v, line %d), want %+v", data, i, f, err, rd.Line(), want[i])
			}
		}
	}
}

// TestReaderInputError: a record cut short by a failing input is not
// returned as if it were whole.
func TestReaderInputError(t *testing.T) {
	boom := errors.New("connection reset")
	rd := NewReader(io.MultiReader(strings.NewReader("a,b\nc,\"d"), iotestErr{boom}), ",")
	if f, err := rd.Read(); err != nil || !slices.Equal(f, []string{"a", "b"}) {
		t.Fatalf("first record %q, %v", f, err)
	}
	if f, err := rd.Read(); err != boom {
		t.Fatalf("second record %q, %v; want the input's error", f, err)
	}
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

type oneByte struct{ data []byte }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(o.data) == 0 {
		return 0, io.EOF
	}
	p[0] = o.data[0]
	o.data = o.data[1:]
	return 1, nil
}

func FuzzSplit(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		f.Add(randomCSV(r, ",", r.IntN(2) == 0), int64(1+r.IntN(50)), uint8(r.IntN(8)), true)
	}
	f.Add([]byte("a,\"b\nc\",d\n\"\"\"\"\n"), int64(3), uint8(1), false)
	f.Add([]byte("h\r\n\"a\r\nb\",\"c\rd\"\r\"\"\re\rf\r\n"), int64(2), uint8(0), true)
	f.Add([]byte("\ufeff\"id\",x\r\n1,\ufeff\n"), int64(1), uint8(2), true)
	f.Add([]byte("\ufeffa\"b,\"c\"d\r\"e"), int64(1), uint8(0), false)
	f.Fuzz(func(t *testing.T, data []byte, partSize int64, bufSize uint8, header bool) {
		if partSize <= 0 {
			partSize = 1 - partSize%1000
		}
		checkSplit(t, data, Options{PartSize: partSize, Quote: '"', Header: header, BufferSize: 1 + int(bufSize)})
	})
}
