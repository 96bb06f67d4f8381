package steps_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/exportpart"
	"github.com/stepwise-dev/stepwise/steps/merge"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/plan"
	"github.com/stepwise-dev/stepwise/steps/publish"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// oracleScript is the independent reader of the differential test:
// Python's csv module (excel dialect, as Python reads CSV by default) and
// its json module. Fields travel as hex so that no byte is reinterpreted
// on the way: CSV is decoded as latin-1, which maps every byte to one
// character, so the csv module sees the bytes and its field values encode
// back to exactly the bytes it read.
//
//	oracle.py sources DIR: for each DIR/src-*.csv, write src-*.rows.json
//	  (the records, a leading byte order mark dropped as utf-8-sig does,
//	  empty lines skipped) and, when the fields are UTF-8, src-*.jsonl: a
//	  JSON Lines copy written by json.dumps (ASCII-escaped or not).
//	oracle.py outputs DIR: for each DIR/out-*.csv and out-*.jsonl, write
//	  out-*.json: the CSV records, or per JSON line the object's keys and
//	  its values as text (strictly decoded UTF-8; null as "").
//	oracle.py all DIR: both.
const oracleScript = `
import csv, glob, io, json, os, random, sys

def read_csv(b):
    if b.startswith(b'\xef\xbb\xbf'):
        b = b[3:]
    rows = csv.reader(io.StringIO(b.decode('latin-1'), newline=''))
    return [[f.encode('latin-1').hex() for f in r] for r in rows if r]

def text(v):
    if v is None:
        return ''
    if isinstance(v, str):
        return v
    return json.dumps(v)

mode, d = sys.argv[1], sys.argv[2]
if mode in ('sources', 'all'):
    for p in sorted(glob.glob(os.path.join(d, 'src-*.csv'))):
        rows = read_csv(open(p, 'rb').read())
        json.dump(rows, open(p[:-4] + '.rows.json', 'w'))
        try:
            texts = [[bytes.fromhex(f).decode('utf-8') for f in r] for r in rows]
        except UnicodeDecodeError:
            continue
        rnd = random.Random(p)
        with open(p[:-4] + '.jsonl', 'w', encoding='utf-8', newline='') as out:
            for r in texts[1:]:
                obj = {h: (int(v) if h == 'n' else v) for h, v in zip(texts[0], r)}
                out.write(json.dumps(obj, ensure_ascii=rnd.random() < 0.5) + '\n')
if mode in ('outputs', 'all'):
    for p in sorted(glob.glob(os.path.join(d, 'out-*'))):
        if p.endswith('.json'):
            continue
        b = open(p, 'rb').read()
        if p.endswith('.csv'):
            rows = read_csv(b)
        else:
            rows = []
            for line in b.decode('utf-8', 'strict').split('\n'):
                if line:
                    obj = json.loads(line)
                    rows.append([list(obj.keys())] + [[text(v).encode('utf-8', 'surrogatepass').hex() for v in obj.values()]])
        json.dump(rows, open(p + '.json', 'w'))
`

// bom is the UTF-8 byte order mark.
const bom = "\ufeff"

// fidelityTokens are the pieces field values are made of: every line end
// (CR, LF, CRLF, LF CR), quotes, the delimiter, byte order marks, spaces
// at either end, HTML-special characters, numbers JSON could reformat,
// non-ASCII text and U+2028.
var fidelityTokens = []string{"x", "y", " ", ",", `"`, `""`, "\r", "\n", "\r\n", "\n\r", bom, "é", "日本", "🙂", "<a&b>", "\t", "0.10", "1e6", "-0", "\u2028", `\`, "'", "\x00"}

// invalidUTF8 are byte strings that are not UTF-8.
var invalidUTF8 = []string{"\xff", "\xc3", "\xed\xa0\x80", "\x80abc"}

type genFile struct {
	data   []byte
	rows   [][]string // the header, then the records, as generated
	broken bool       // some fields are not UTF-8
}

// genCSV writes a random, valid RFC 4180 file with columns n (the row
// number), a, b and c, and returns the values it wrote.
func genCSV(r *rand.Rand, broken bool) genFile {
	var b bytes.Buffer
	if r.IntN(3) == 0 {
		b.WriteString(bom)
	}
	ends := []string{"\n", "\r\n", "\r"}
	end := ends[r.IntN(3)]
	mixed := r.IntN(3) == 0
	f := genFile{broken: broken, rows: [][]string{{"n", "a", "b", "c"}}}
	n := 150 + r.IntN(150)
	for i := 1; i <= n; i++ {
		row := []string{strconv.Itoa(i)}
		for range 3 {
			var v strings.Builder
			for range r.IntN(6) {
				v.WriteString(fidelityTokens[r.IntN(len(fidelityTokens))])
			}
			if broken && r.IntN(10) == 0 {
				v.WriteString(invalidUTF8[r.IntN(len(invalidUTF8))])
			}
			row = append(row, v.String())
		}
		f.rows = append(f.rows, row)
	}
	for i, row := range f.rows {
		for j, v := range row {
			if j > 0 {
				b.WriteByte(',')
			}
			if strings.ContainsAny(v, "\"\r\n,") || r.IntN(5) == 0 {
				b.WriteString(`"` + strings.ReplaceAll(v, `"`, `""`) + `"`)
			} else {
				b.WriteString(v)
			}
		}
		if mixed {
			end = ends[r.IntN(3)]
		}
		if i < len(f.rows)-1 || r.IntN(3) > 0 {
			b.WriteString(end)
		}
		if r.IntN(15) == 0 && i < len(f.rows)-1 {
			b.WriteString("\n") // an empty line (or, after a lone CR, the rest of a CRLF)
		}
	}
	f.data = b.Bytes()
	return f
}

func runOracle(t *testing.T, python, dir, mode string) {
	t.Helper()
	script := filepath.Join(dir, "oracle.py")
	if err := os.WriteFile(script, []byte(oracleScript), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, script, mode, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 oracle.py %s: %v\n%s", mode, err, out)
	}
}

func readHexRows(t *testing.T, file string) [][]string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var hexRows [][]string
	if err := json.Unmarshal(data, &hexRows); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return unhex(t, hexRows)
}

func unhex(t *testing.T, hexRows [][]string) [][]string {
	t.Helper()
	rows := make([][]string, len(hexRows))
	for i, hr := range hexRows {
		for _, h := range hr {
			b, err := hex.DecodeString(h)
			if err != nil {
				t.Fatal(err)
			}
			rows[i] = append(rows[i], string(b))
		}
	}
	return rows
}

// TestFidelityAgainstPython is the field-level differential test of issue
// 10: every field of every exported row must be, byte for byte, what
// Python's csv module reads from the source, for generated files full of
// CR, LF, CRLF, lone CR, quotes and byte order marks inside and outside
// fields, through csv, jsonl and parquet outputs, from CSV sources and
// from JSON Lines copies of them written by Python's json module. Rows
// whose values are not UTF-8 must come out unchanged in CSV and be
// rejected, counted, in JSON Lines and Parquet.
func TestFidelityAgainstPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: the differential test of exported field values against Python's csv module is skipped")
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(10, 11))
	const files = 16
	gen := make([]genFile, files)
	for i := range gen {
		gen[i] = genCSV(r, i%4 == 3)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("src-%02d.csv", i)), gen[i].data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runOracle(t, python, dir, "sources")

	type run struct {
		name     string
		format   string     // output format
		want     [][]string // expected output rows (no header)
		rejected int64
	}
	var runs []run
	outCols := []string{"n", "a", "b2", "c"}
	for i, g := range gen {
		src := filepath.Join(dir, fmt.Sprintf("src-%02d", i))
		py := readHexRows(t, src+".rows.json")
		// The generator and Python must agree on the source, or the test
		// compares against the wrong thing.
		if !slices.EqualFunc(py, g.rows, slices.Equal) {
			t.Fatalf("src-%02d: Python reads %d records, the generator wrote %d: %q", i, len(py), len(g.rows), firstDiff(py, g.rows))
		}
		sources := map[string][]byte{"csv": g.data}
		if jl, err := os.ReadFile(src + ".jsonl"); err == nil {
			sources["jsonl"] = jl
		} else if !g.broken {
			t.Fatalf("src-%02d: Python wrote no JSON Lines copy", i)
		}
		for _, srcFormat := range []string{"csv", "jsonl"} {
			data, ok := sources[srcFormat]
			if !ok {
				continue
			}
			for _, format := range []string{"csv", "jsonl", "parquet"} {
				var want [][]string
				var rejected int64
				for _, row := range py[1:] {
					n, _ := strconv.Atoi(row[0])
					if n%3 == 0 {
						continue
					}
					if format != "csv" && !(utf8.ValidString(row[1]) && utf8.ValidString(row[2]) && utf8.ValidString(row[3])) {
						rejected++
						continue
					}
					want = append(want, row)
				}
				st := objstore.NewMemory()
				key := "uploads/src." + srcFormat
				st.PutBytes(bucket, key, data)
				env := newEnv(st)
				name := fmt.Sprintf("out-%02d-%s-%s", i, srcFormat, format)
				req := fmt.Sprintf(`{"source":{"bucket":%q,"key":%q,"format":%q},
					"columns":["n","a",{"name":"b","as":"b2"},"c"],"types":{"n":"integer"},
					"where":"n %% 3 != 0","output":{"format":%q},"partSize":%d,"maxRejectedRows":100000}`,
					bucket, key, srcFormat, format, 1024+r.IntN(1024))
				po, mo := runPipeline(t, env, name, req)
				if po.Parts < 2 {
					t.Fatalf("%s: only %d part(s); the test wants records cut across parts", name, po.Parts)
				}
				if mo.Rejected != rejected || mo.Rows != int64(len(want)) {
					t.Fatalf("%s: %d rows, %d rejected; want %d rows, %d rejected", name, mo.Rows, mo.Rejected, len(want), rejected)
				}
				got, _ := st.Object(bucket, mo.Key)
				if format == "parquet" {
					compareRows(t, name, readParquet(t, got), want)
					continue
				}
				if err := os.WriteFile(filepath.Join(dir, name+"."+format), got, 0o644); err != nil {
					t.Fatal(err)
				}
				runs = append(runs, run{name: name, format: format, want: want, rejected: rejected})
			}
		}
	}
	runOracle(t, python, dir, "outputs")
	for _, rn := range runs {
		file := filepath.Join(dir, rn.name+"."+rn.format+".json")
		if rn.format == "csv" {
			rows := readHexRows(t, file)
			if len(rows) == 0 || !slices.Equal(rows[0], outCols) {
				t.Fatalf("%s: header %q, want %q", rn.name, rows[:min(1, len(rows))], outCols)
			}
			compareRows(t, rn.name, rows[1:], rn.want)
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var raw [][]json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatal(err)
		}
		var rows [][]string
		for _, o := range raw {
			var keys, vals []string
			json.Unmarshal(o[0], &keys)
			json.Unmarshal(o[1], &vals)
			if !slices.Equal(keys, outCols) {
				t.Fatalf("%s: keys %q, want %q", rn.name, keys, outCols)
			}
			rows = append(rows, vals)
		}
		compareRows(t, rn.name, unhex(t, rows), rn.want)
	}
}

func compareRows(t *testing.T, name string, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", name, len(got), len(want))
	}
	for i := range got {
		for j := range want[i] {
			if j >= len(got[i]) || got[i][j] != want[i][j] {
				t.Fatalf("%s: row %d (n=%s) field %d = %q, Python reads %q", name, i+1, want[i][0], j+1, got[i], want[i])
			}
		}
		if len(got[i]) != len(want[i]) {
			t.Fatalf("%s: row %d has %d fields, want %d", name, i+1, len(got[i]), len(want[i]))
		}
	}
}

func firstDiff(a, b [][]string) [2][]string {
	for i := range min(len(a), len(b)) {
		if !slices.Equal(a[i], b[i]) {
			return [2][]string{a[i], b[i]}
		}
	}
	return [2][]string{}
}

// readParquet reads every row of a Parquet export back with the Parquet
// library, as field texts (integers in decimal, strings as their bytes).
func readParquet(t *testing.T, data []byte) [][]string {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, rg := range f.RowGroups() {
		rows := rg.Rows()
		buf := make([]parquet.Row, 64)
		for {
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				vals := make([]string, len(row))
				for i, v := range row {
					switch v.Kind() {
					case parquet.Int64:
						vals[i] = strconv.FormatInt(v.Int64(), 10)
					case parquet.ByteArray:
						vals[i] = string(v.ByteArray())
					default:
						t.Fatalf("unexpected %v value %v", v.Kind(), v)
					}
				}
				out = append(out, vals)
			}
			if err != nil {
				break
			}
		}
		rows.Close()
	}
	return out
}

// TestOrdersExportMatchesPython is the README's example (issue 10:
// `runner export testdata/orders.csv --where 'total > 100'`): the 953
// exported rows must be the source's rows as Python's csv module reads
// them, field for field. Before the fix 71 of them differed: every "\r\n"
// inside a quoted field came out as "\n".
func TestOrdersExportMatchesPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: the comparison of the README's export with Python's csv module is skipped")
	}
	data := sampleData(t)
	st := objstore.NewMemory()
	st.PutBytes(bucket, "uploads/orders.csv", data)
	env := newEnv(st)
	_, mo := runPipeline(t, env, "exec-readme", `{"source":{"bucket":"stepwise-test","key":"uploads/orders.csv"},
		"types":{"total":"number"},"where":"total > 100","partSize":4096}`)
	got, _ := st.Object(bucket, mo.Key)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "src-orders.csv"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "out-orders.csv"), got, 0o644); err != nil {
		t.Fatal(err)
	}
	runOracle(t, python, dir, "all")
	src := readHexRows(t, filepath.Join(dir, "src-orders.rows.json"))
	out := readHexRows(t, filepath.Join(dir, "out-orders.csv.json"))
	var want [][]string
	ti := slices.Index(src[0], "total")
	for _, row := range src[1:] {
		if x, err := strconv.ParseFloat(row[ti], 64); err == nil && x > 100 {
			want = append(want, row)
		}
	}
	if len(want) != 953 || !slices.Equal(out[0], src[0]) {
		t.Fatalf("Python keeps %d rows (the README says 953); output header %q", len(want), out[0])
	}
	differ := 0
	for i := range min(len(want), len(out)-1) {
		if !slices.Equal(out[i+1], want[i]) {
			differ++
		}
	}
	if differ > 0 || len(out)-1 != len(want) {
		t.Fatalf("%d of %d exported rows differ from what Python's csv module reads from the source (%d rows exported)", differ, len(want), len(out)-1)
	}
}

// tryPipeline runs plan → exportpart → merge and returns the first error
// instead of failing the test.
func tryPipeline(env *stepkit.Env, execution, request string) (export.MergeResult, error) {
	ctx := context.Background()
	var in plan.Input
	in.Execution = execution
	in.Input.Request = json.RawMessage(request)
	po, err := plan.Run(ctx, env, in)
	if err != nil {
		return export.MergeResult{}, err
	}
	var parts []export.PartSpec
	if err := stepkit.ReadJSON(ctx, env.Store, po.Manifest.Bucket, po.Manifest.Key, &parts); err != nil {
		return export.MergeResult{}, err
	}
	for _, p := range parts {
		if _, err := exportpart.New(env)(ctx, exportpart.Input{Job: po.Job, Part: p}); err != nil {
			return export.MergeResult{}, err
		}
	}
	return merge.Run(ctx, env, merge.Input{Job: po.Job})
}

// TestFilterComputedColumnNameExports (issue 11.4): `$env["to"+"tal"] >
// 100` exported 0 rows (the filter saw total as 0); it must export what
// `total > 100` exports.
func TestFilterComputedColumnNameExports(t *testing.T) {
	for _, where := range []string{`total > 100`, `$env[\"to\"+\"tal\"] > 100`, `get($env, \"tot\" + \"al\") > 100`} {
		st := objstore.NewMemory()
		st.PutBytes(bucket, "uploads/orders.csv", sampleData(t))
		mo, err := tryPipeline(newEnv(st), "exec-env", `{"source":{"bucket":"stepwise-test","key":"uploads/orders.csv"},"types":{"total":"number"},"where":"`+where+`","partSize":8192}`)
		if err != nil || mo.Rows != 953 {
			t.Errorf("where %s: %d rows (%v), want 953", where, mo.Rows, err)
		}
	}
}

// TestInvalidUTF8Exports (issue 11.9): bytes that are not UTF-8 go to a
// CSV output unchanged; a JSON Lines or Parquet export rejects the row,
// and the failure names its row, line and byte, instead of writing U+FFFD.
func TestInvalidUTF8Exports(t *testing.T) {
	src := "id,note\n1,ok\n2,\"a\xffb\"\n3,c\n"
	for _, tc := range []struct {
		format string
		limit  int
	}{{"csv", 0}, {"jsonl", 0}, {"parquet", 0}, {"jsonl", 1}} {
		st := objstore.NewMemory()
		st.PutBytes(bucket, "uploads/bad.csv", []byte(src))
		mo, err := tryPipeline(newEnv(st), "exec-utf8", fmt.Sprintf(`{"source":{"bucket":"stepwise-test","key":"uploads/bad.csv"},"output":{"format":%q},"maxRejectedRows":%d}`, tc.format, tc.limit))
		switch {
		case tc.format == "csv":
			got, _ := st.Object(bucket, mo.Key)
			if err != nil || string(got) != "id,note\n1,ok\n2,a\xffb\n3,c\n" {
				t.Fatalf("csv: %q (%v)", got, err)
			}
		case tc.limit == 0:
			var tm *export.TooManyRejectedRows
			if !errors.As(err, &tm) || !strings.Contains(err.Error(), `row 2 (line 3): column "note": invalid UTF-8 (byte 0xff at byte 1 of the value)`) {
				t.Fatalf("%s: err %v, want TooManyRejectedRows naming row 2, line 3 and byte 1", tc.format, err)
			}
		default:
			got, _ := st.Object(bucket, mo.Key)
			if err != nil || mo.Rows != 2 || mo.Rejected != 1 || string(got) != "{\"id\":\"1\",\"note\":\"ok\"}\n{\"id\":\"3\",\"note\":\"c\"}\n" {
				t.Fatalf("%s with one rejected row allowed: %q, %d rows, %d rejected (%v)", tc.format, got, mo.Rows, mo.Rejected, err)
			}
		}
	}
}

// TestJSONLSourceValuesVerbatim: values of a JSON Lines source reach a CSV
// output as the source writes them: numbers keep their digits, nested
// objects keep key order, spacing and <, & (json.Marshal sorted the keys
// and wrote \u003c), strings keep "\r\n".
func TestJSONLSourceValuesVerbatim(t *testing.T) {
	src := `{"id":1,"n":1e6,"p":0.10,"o":{"b":"<&>", "a":[1.50]},"s":"x\r\ny"}` + "\n"
	st := objstore.NewMemory()
	st.PutBytes(bucket, "uploads/src.jsonl", []byte(src))
	mo, err := tryPipeline(newEnv(st), "exec-jsonl", `{"source":{"bucket":"stepwise-test","key":"uploads/src.jsonl","format":"jsonl"},"columns":["id","n","p","o","s"]}`)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := st.Object(bucket, mo.Key)
	want := "id,n,p,o,s\n1,1e6,0.10,\"{\"\"b\"\":\"\"<&>\"\", \"\"a\"\":[1.50]}\",\"x\r\ny\"\n"
	if string(got) != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

// TestLoneEmptyFieldRowsKept: a one-column export of an empty value is
// written as "" — encoding/csv wrote an empty line, which every reader
// skips, so such rows vanished from the file while the manifest counted
// them.
func TestLoneEmptyFieldRowsKept(t *testing.T) {
	st := objstore.NewMemory()
	st.PutBytes(bucket, "uploads/e.csv", []byte("id,note\n1,\n2,x\n3,\n"))
	mo, err := tryPipeline(newEnv(st), "exec-empty", `{"source":{"bucket":"stepwise-test","key":"uploads/e.csv"},"columns":["note"]}`)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := st.Object(bucket, mo.Key)
	if recs := readCSV(t, got, false); len(recs) != 4 || mo.Rows != 3 {
		t.Fatalf("output %q reads as %d records; want the header and 3 rows", got, len(recs))
	}
}

// TestBOMQuotedHeader (issue 11.8): a byte order mark before a quoted
// first column name is no part of the name.
func TestBOMQuotedHeader(t *testing.T) {
	st := objstore.NewMemory()
	st.PutBytes(bucket, "uploads/bom.csv", []byte("\ufeff\"id\",\"total\"\r\n1,5\r\n2,7\r\n"))
	mo, err := tryPipeline(newEnv(st), "exec-bom", `{"source":{"bucket":"stepwise-test","key":"uploads/bom.csv"},"columns":["id"]}`)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Object(bucket, mo.Key); string(got) != "id\n1\n2\n" {
		t.Fatalf("got %q", got)
	}
}

// TestManifestKeepsFilterText: the published manifest shows the filter as
// typed (json.Marshal wrote `total \u003e 100`).
func TestManifestKeepsFilterText(t *testing.T) {
	ctx := context.Background()
	st := objstore.NewMemory()
	st.PutBytes(bucket, "uploads/orders.csv", sampleData(t))
	env := newEnv(st)
	po, _ := runPipeline(t, env, "exec-man", `{"source":{"bucket":"stepwise-test","key":"uploads/orders.csv"},"types":{"total":"number"},"where":"total > 100 && country != \"<none>\""}`)
	out, err := publish.Run(ctx, env, publish.Input{Job: po.Job, Approval: &export.Decision{Decision: "approve", Approver: "ann & bob"}})
	if err != nil {
		t.Fatal(err)
	}
	man, _ := st.Object(bucket, out.ManifestKey)
	if !bytes.Contains(man, []byte(`"where": "total > 100 && country != \"<none>\""`)) || !bytes.Contains(man, []byte(`"ann & bob"`)) {
		t.Fatalf("manifest:\n%s", man)
	}
}
