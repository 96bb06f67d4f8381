package steps_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	lambdalocal "github.com/stepwise-dev/stepwise/local/lambda"
	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/steps"
	"github.com/stepwise-dev/stepwise/steps/objstore"
)

// reportMachine runs statemachine/report.asl.json on the engine with the
// real steps in-process behind the local Lambda runtime, over st, as the
// local stack does.
type reportMachine struct {
	engine *statemachine.Engine
	st     objstore.Store
	smArn  string
}

func newReportMachine(t *testing.T, st objstore.Store) *reportMachine {
	t.Helper()
	settings, err := lambdalocal.ParseSteps("steps.json", steps.SettingsJSON)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := lambdalocal.New(lambdalocal.Options{Functions: settings.Functions("stepwise"), Handlers: steps.New(newEnv(st))})
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"BucketName": bucket}
	for name, s := range settings.Steps {
		vars[s.ArnPlaceholder] = lambdalocal.FunctionArn("us-east-1", "123456789012", "stepwise-"+name)
	}
	raw, err := os.ReadFile(filepath.Join("..", "statemachine", "report.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	def, err := statemachine.Render(raw, vars)
	if err != nil {
		t.Fatal(err)
	}
	clock := statemachine.NewVirtualClock(time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC))
	eng, err := statemachine.New(statemachine.Options{Lambda: rt, Objects: st, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	sm, err := eng.CreateStateMachine(context.Background(), statemachine.CreateStateMachineInput{Name: "stepwise-report", Definition: string(def), RoleArn: "arn:aws:iam::123456789012:role/stepwise"})
	if err != nil {
		t.Fatal(err)
	}
	return &reportMachine{engine: eng, st: st, smArn: sm.Arn}
}

// run starts one execution with input and waits for its end.
func (m *reportMachine) run(t *testing.T, name, input string) *statemachine.Execution {
	t.Helper()
	ex, err := m.engine.StartExecution(context.Background(), statemachine.StartExecutionInput{StateMachineArn: m.smArn, Name: name, Input: input, InputSet: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	end, err := m.engine.WaitExecution(ctx, ex.ExecutionArn)
	if err != nil {
		t.Fatal(err)
	}
	return end
}

func (m *reportMachine) object(t *testing.T, key string) []byte {
	t.Helper()
	rc, _, err := m.st.Get(context.Background(), bucket, key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type reportOut struct {
	Bucket, CSV, HTML, JSON, Manifest string
	Groups                            int
	Rows                              int64
}

// succeeded checks the execution succeeded and returns its output.
func succeeded(t *testing.T, ex *statemachine.Execution) reportOut {
	t.Helper()
	if ex.Status != "SUCCEEDED" {
		t.Fatalf("status %s: %s: %s", ex.Status, deref(ex.Error), deref(ex.Cause))
	}
	var out reportOut
	if err := json.Unmarshal([]byte(*ex.Output), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// salesRequest is testdata/report/sales-by-region.json's request, whose
// filter refKeep transcribes.
func salesRequest(t *testing.T, key string, partSize int) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "report", "sales-by-region.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(raw), `"samples/sales.csv"`, strconv.Quote(key), 1)
	return strings.Replace(s, `"part_size": 2048`, fmt.Sprintf(`"part_size": %d`, partSize), 1)
}

var salesGroupBy = []string{"region", "channel"}

var salesAggs = [][2]string{{"count", ""}, {"count", "amount"}, {"sum", "amount"}, {"avg", "amount"}, {"min", "amount"}, {"max", "amount"}, {"count_distinct", "user"}}

func refKeep(row map[string]string) bool {
	if row["region"] == "x,y" {
		return false
	}
	if row["amount"] == "" {
		return true
	}
	v, ok := new(big.Rat).SetString(row["amount"])
	return ok && v.Cmp(big.NewRat(-900, 1)) > 0
}

// TestReportWorkflowOnLocalS3 runs report.asl.json end to end — plan, the
// Distributed Map over the parts, reduce — with the real steps against
// the real local S3 (aws-sdk-go-v2 over HTTPS), on the sample source of
// testdata/report with several part sizes; the published CSV equals the
// independent sequential reference byte for byte, and the HTML and the
// manifest are published beside it.
func TestReportWorkflowOnLocalS3(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips starting the local S3 server")
	}
	st, _ := startLocalS3(t)
	data, err := os.ReadFile(filepath.Join("..", "testdata", "report", "sales.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(context.Background(), bucket, "samples/sales.csv", bytes.NewReader(data), "text/csv"); err != nil {
		t.Fatal(err)
	}
	m := newReportMachine(t, st)
	want := refReport(t, data, refKeep, salesGroupBy, salesAggs)
	for _, size := range []int{100, 1024, 2048, 1 << 20} {
		out := succeeded(t, m.run(t, fmt.Sprintf("sales-%d", size), salesRequest(t, "samples/sales.csv", size)))
		if got := m.object(t, out.CSV); !bytes.Equal(got, want) {
			t.Fatalf("part size %d: report.csv differs from the reference:\n%s\nwant:\n%s", size, got, want)
		}
		if out.CSV != fmt.Sprintf("reports/sales-%d/report.csv", size) {
			t.Errorf("csv key %s", out.CSV)
		}
		page := string(m.object(t, out.HTML))
		if !strings.Contains(page, "<svg") || !strings.Contains(page, "Sales by region and channel") || !strings.Contains(page, "Straße") {
			t.Errorf("html page lacks the chart, title or a key")
		}
		var man struct {
			Rows   int64
			Groups int
			Files  map[string]string
		}
		if err := json.Unmarshal(m.object(t, out.Manifest), &man); err != nil || man.Rows != out.Rows || man.Files["csv"] != out.CSV {
			t.Errorf("manifest %+v: %v", man, err)
		}
	}
}

// TestReportWorkflowMillionRows is the same against the reference on a
// generated 1,000,000-row source with quoted newlines, empty values and
// non-ASCII keys, in 16 parts.
func TestReportWorkflowMillionRows(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 1,000,000 rows through the local S3")
	}
	st, _ := startLocalS3(t)
	t0 := time.Now()
	data := genSales(1_000_000)
	if _, err := st.Put(context.Background(), bucket, "samples/big.csv", bytes.NewReader(data), "text/csv"); err != nil {
		t.Fatal(err)
	}
	m := newReportMachine(t, st)
	t1 := time.Now()
	want := refReport(t, data, refKeep, salesGroupBy, salesAggs)
	t2 := time.Now()
	out := succeeded(t, m.run(t, "million", salesRequest(t, "samples/big.csv", len(data)/16+1)))
	t.Logf("%d bytes: generate+upload %v, reference %v, workflow %v", len(data), t1.Sub(t0), t2.Sub(t1), time.Since(t2))
	if got := m.object(t, out.CSV); !bytes.Equal(got, want) {
		t.Fatalf("report.csv differs from the reference:\n%s\nwant:\n%s", got, want)
	}
}

// TestReportWorkflowFailures checks the Catch path: too many groups fails
// with TooManyGroups naming the limit, a bad request with
// InvalidReportRequest naming the field, and cleanup leaves no work files.
func TestReportWorkflowFailures(t *testing.T) {
	st := objstore.NewMemory()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "report", "sales.csv"))
	if err != nil {
		t.Fatal(err)
	}
	st.PutBytes(bucket, "samples/sales.csv", data)
	// The last row's amount broken: found by a late part, reported by the
	// reduce with the source line.
	late := bytes.Replace(data, []byte("Zürich,shop,125.66,u1"), []byte("Zürich,shop,12x5.66,u1"), 1)
	st.PutBytes(bucket, "samples/late.csv", late)
	lastLine := strings.Count(strings.TrimRight(string(late), "\n"), "\n") + 1
	m := newReportMachine(t, st)
	for _, c := range []struct{ name, input, errName, cause string }{
		{"groups", strings.Replace(salesRequest(t, "samples/sales.csv", 1024), `"max_groups": 1000`, `"max_groups": 5`, 1), "TooManyGroups", "more than max_groups=5 distinct groups"},
		{"row", `{"request":{"source":{"key":"samples/sales.csv"},"aggregates":[{"op":"sum","column":"user"}],"part_size":1024}}`, "InvalidSourceRow", `s3://stepwise-test/samples/sales.csv: line 2: column "user" (sum): "u26" is not a plain decimal number`},
		{"late", `{"request":{"source":{"key":"samples/late.csv"},"aggregates":[{"op":"sum","column":"amount"}],"part_size":1024}}`, "InvalidSourceRow", fmt.Sprintf(`s3://stepwise-test/samples/late.csv: line %d: column "amount" (sum): "12x5.66"`, lastLine)},
		{"column", `{"request":{"source":{"key":"samples/sales.csv"},"group_by":["regio"],"aggregates":[{"op":"count"}]}}`, "InvalidReportRequest", `/group_by/0: no column "regio"`},
		{"noinput", `{}`, "InvalidReportRequest", `no "request"`},
	} {
		ex := m.run(t, "fail-"+c.name, c.input)
		cause := deref(ex.Cause)
		var lambdaErr struct{ ErrorMessage string }
		if json.Unmarshal([]byte(cause), &lambdaErr) == nil && lambdaErr.ErrorMessage != "" {
			cause = lambdaErr.ErrorMessage
		}
		if ex.Status != "FAILED" || deref(ex.Error) != c.errName || !strings.Contains(cause, c.cause) {
			t.Errorf("%s: status %s error %s cause %s; want %s ...%s...", c.name, ex.Status, deref(ex.Error), deref(ex.Cause), c.errName, c.cause)
		}
		if left := st.Keys(bucket, "work/fail-"+c.name+"/"); len(left) != 0 {
			t.Errorf("%s: work files left: %v", c.name, left)
		}
		if left := st.Keys(bucket, "reports/fail-"+c.name+"/"); len(left) != 0 {
			t.Errorf("%s: published although failed: %v", c.name, left)
		}
	}
}

// genSales generates n rows of region,channel,amount,user with quoted
// newlines and commas, empty values, non-ASCII keys and mixed scales.
func genSales(n int) []byte {
	regions := []string{"Zürich", "東京", "São Paulo", "a \"quoted\"\nregion", "", "x,y", "Kraków", "Ελλάδα"}
	channels := []string{"web", "shop", "Straße", ""}
	rng := rand.New(rand.NewPCG(13, 5))
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"region", "channel", "amount", "user"})
	for range n {
		amount := ""
		switch r := rng.IntN(100); {
		case r < 10:
		case r < 30:
			amount = strconv.Itoa(rng.IntN(1000) - 50)
		case r < 32:
			amount = fmt.Sprintf("%d.%03d", rng.IntN(100), rng.IntN(1000))
		default:
			amount = fmt.Sprintf("%d.%02d", rng.IntN(3000)-1000, rng.IntN(100))
		}
		if strings.HasPrefix(amount, "-0.") {
			amount = amount[1:]
		}
		user := ""
		if rng.IntN(10) != 0 {
			user = "u" + strconv.Itoa(rng.IntN(5000))
		}
		_ = w.Write([]string{regions[rng.IntN(len(regions))], channels[rng.IntN(len(channels))], amount, user})
	}
	w.Flush()
	return b.Bytes()
}

// refGroup is the reference's accumulator of one aggregate of one group.
type refGroup struct {
	keys  []string
	count int64
	n     []int64
	sum   []*big.Rat
	scale []int
	min   []string
	max   []string
	minR  []*big.Rat
	maxR  []*big.Rat
	seen  []map[string]bool
}

// refReport is the independent reference: one sequential pass with
// encoding/csv and big.Rat (no code shared with the steps), rendered as
// the report's CSV: groups sorted by keys, sums at the largest scale seen,
// avg rounded half away from zero to that scale + 4, min and max as
// written in the source (the first of equal values).
func refReport(t *testing.T, data []byte, keep func(map[string]string) bool, groupBy []string, aggs [][2]string) []byte {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]*refGroup{}
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		if !keep(row) {
			continue
		}
		var keys []string
		for _, g := range groupBy {
			keys = append(keys, row[g])
		}
		var id strings.Builder
		for _, k := range keys {
			id.WriteString(strconv.Itoa(len(k)) + ":" + k)
		}
		g := groups[id.String()]
		if g == nil {
			g = &refGroup{keys: keys, n: make([]int64, len(aggs)), sum: make([]*big.Rat, len(aggs)), scale: make([]int, len(aggs)),
				min: make([]string, len(aggs)), max: make([]string, len(aggs)), minR: make([]*big.Rat, len(aggs)), maxR: make([]*big.Rat, len(aggs)),
				seen: make([]map[string]bool, len(aggs))}
			for i := range aggs {
				g.sum[i], g.seen[i] = new(big.Rat), map[string]bool{}
			}
			groups[id.String()] = g
		}
		g.count++
		parsed := map[string]*big.Rat{}
		for i, a := range aggs {
			v := row[a[1]]
			if a[1] == "" || v == "" {
				continue
			}
			g.n[i]++
			switch a[0] {
			case "count":
				continue
			case "count_distinct":
				g.seen[i][v] = true
				continue
			}
			r := parsed[v]
			if r == nil {
				var ok bool
				if r, ok = new(big.Rat).SetString(v); !ok {
					t.Fatalf("reference: %q is not a number", v)
				}
				parsed[v] = r
			}
			if _, frac, ok := strings.Cut(v, "."); ok {
				g.scale[i] = max(g.scale[i], len(frac))
			}
			switch a[0] {
			case "sum", "avg":
				g.sum[i].Add(g.sum[i], r)
			case "min":
				if g.minR[i] == nil || r.Cmp(g.minR[i]) < 0 {
					g.min[i], g.minR[i] = v, r
				}
			case "max":
				if g.maxR[i] == nil || r.Cmp(g.maxR[i]) > 0 {
					g.max[i], g.maxR[i] = v, r
				}
			}
		}
	}
	var sorted []*refGroup
	for _, g := range groups {
		sorted = append(sorted, g)
	}
	slices.SortFunc(sorted, func(a, b *refGroup) int { return slices.Compare(a.keys, b.keys) })
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	header := slices.Clone(groupBy)
	for _, a := range aggs {
		if a[1] == "" {
			header = append(header, a[0])
		} else {
			header = append(header, a[0]+"("+a[1]+")")
		}
	}
	_ = w.Write(header)
	for _, g := range sorted {
		row := slices.Clone(g.keys)
		for i, a := range aggs {
			row = append(row, refValue(g, i, a))
		}
		_ = w.Write(row)
	}
	w.Flush()
	return out.Bytes()
}

func refValue(g *refGroup, i int, a [2]string) string {
	switch {
	case a[0] == "count" && a[1] == "":
		return strconv.FormatInt(g.count, 10)
	case a[0] == "count":
		return strconv.FormatInt(g.n[i], 10)
	case a[0] == "count_distinct":
		return strconv.Itoa(len(g.seen[i]))
	case g.n[i] == 0:
		return ""
	case a[0] == "sum":
		return g.sum[i].FloatString(g.scale[i])
	case a[0] == "avg":
		return new(big.Rat).Quo(g.sum[i], big.NewRat(g.n[i], 1)).FloatString(g.scale[i] + 4)
	case a[0] == "min":
		return plain(g.min[i])
	default:
		return plain(g.max[i])
	}
}

func rat(s string) *big.Rat { r, _ := new(big.Rat).SetString(s); return r }

// plain renders a source number with its own number of fraction digits,
// as a decimal (no sign for zero, no leading "+").
func plain(s string) string {
	scale := 0
	if _, frac, ok := strings.Cut(s, "."); ok {
		scale = len(frac)
	}
	return rat(s).FloatString(scale)
}
