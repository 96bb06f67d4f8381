package jsonata

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDifferential generates Step Functions-style expressions and inputs
// and compares this evaluator with the reference jsonata-js 2.0.6 (the
// oracle in ../shared/jsonata/oracle). It needs node and the oracle's
// node_modules: set STEPWISE_JSONATA_ORACLE to the oracle directory after
// `npm ci` there. STEPWISE_JSONATA_DIFF_N sets the number of cases (default
// 400) and STEPWISE_JSONATA_DIFF_SEED the seed (default 1).
func TestDifferential(t *testing.T) {
	dir := os.Getenv("STEPWISE_JSONATA_ORACLE")
	if dir == "" {
		dir = filepath.Join(repoRoot(t), "..", "shared", "jsonata", "oracle")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "jsonata")); err != nil {
		t.Skipf("SKIPPED: differential test needs the jsonata-js oracle: run `npm ci` in %s (or set STEPWISE_JSONATA_ORACLE to an oracle directory with node_modules)", dir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SKIPPED: differential test needs node on PATH")
	}
	n := envInt("STEPWISE_JSONATA_DIFF_N", 400)
	seed := uint64(envInt("STEPWISE_JSONATA_DIFF_SEED", 1))
	g := &exprGen{r: rand.New(rand.NewPCG(seed, 7))}
	type req struct {
		Expr     string         `json:"expr"`
		Bindings map[string]any `json:"bindings"`
	}
	var reqs []req
	var in bytes.Buffer
	for i := 0; i < n; i++ {
		r := req{Expr: g.expr(3), Bindings: map[string]any{"states": map[string]any{"input": g.doc()}, "v": g.r.IntN(5)}}
		reqs = append(reqs, r)
		b, _ := json.Marshal(r)
		in.Write(b)
		in.WriteByte('\n')
	}
	cmd := exec.Command(node, filepath.Join(dir, "oracle.js"), "--jsonl")
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	i, agree, skipped, bothErr := 0, 0, 0, 0
	for sc.Scan() {
		if i >= len(reqs) {
			break
		}
		r := reqs[i]
		i++
		var resp struct {
			Result    json.RawMessage `json:"result"`
			Undefined bool            `json:"undefined"`
			Functions bool            `json:"functions"`
			Error     *struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &resp); err != nil {
			t.Fatalf("oracle line %d: %v", i, err)
		}
		// Round-trip the bindings through JSON as the oracle saw them.
		var vars map[string]any
		b, _ := json.Marshal(r.Bindings)
		_ = json.Unmarshal(b, &vars)
		var got any
		e, gerr := Compile(r.Expr)
		if gerr == nil {
			got, gerr = e.Eval(Undefined, vars)
		}
		var why string
		switch {
		case resp.Functions:
			skipped++
			continue
		case resp.Error != nil:
			var je *Error
			if resp.Error.Code == "" {
				skipped++ // a 2.0.6 crash without a code
				continue
			}
			if !errors.As(gerr, &je) {
				why = fmt.Sprintf("oracle error %s, got %s", resp.Error.Code, show(got, gerr))
			} else if je.Code != resp.Error.Code {
				// jsonata-js 2.0.6 evaluates array items, object values
				// and arguments as concurrent promises, so when two
				// siblings fail, which error surfaces depends on
				// microtask timing. Both failing is agreement enough.
				bothErr++
				continue
			}
		case resp.Undefined:
			if !errors.Is(gerr, ErrUndefined) {
				why = "oracle undefined, got " + show(got, gerr)
			}
		default:
			var want any
			_ = json.Unmarshal(resp.Result, &want)
			if gerr != nil || !jsonEqual(got, want, false) {
				why = fmt.Sprintf("oracle %s, got %s", resp.Result, show(got, gerr))
			}
		}
		if why != "" {
			in, _ := json.Marshal(r.Bindings)
			t.Errorf("case %d: %s\n  input: %s\n  %s", i, r.Expr, in, why)
			continue
		}
		agree++
	}
	t.Logf("differential: %d agree, %d both fail with different codes, %d skipped (oracle functions or uncoded crashes), %d cases", agree, bothErr, skipped, len(reqs))
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// exprGen generates expressions in the style of Step Functions state
// definitions: everything is reached through $states.input.
type exprGen struct{ r *rand.Rand }

func (g *exprGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *exprGen) doc() map[string]any {
	items := make([]any, g.r.IntN(4))
	for i := range items {
		items[i] = map[string]any{"id": float64(i + 1), "price": float64(g.r.IntN(2000)) / 100, "qty": float64(g.r.IntN(5)), "sku": g.pick("a-1", "b-2", "c 3", "Ä")}
	}
	d := map[string]any{
		"a":      float64(g.r.IntN(20) - 5),
		"b":      float64(g.r.IntN(1000)) / 7,
		"items":  items,
		"name":   g.pick("Ada", "grace hopper", "", "  x  y ", "a,b,c"),
		"nested": map[string]any{"flag": g.r.IntN(2) == 0, "x": g.pick("1", "2.5", "abc"), "z": nil},
		"tags":   []any{g.pick("p", "q"), g.pick("q", "r", "s")},
	}
	if g.r.IntN(4) == 0 {
		delete(d, "a")
	}
	return d
}

func (g *exprGen) leaf() string {
	switch g.r.IntN(10) {
	case 0:
		return g.pick("1", "2.5", "0", "-3", "100", "0.1", "1e3")
	case 1:
		return g.pick(`"x"`, `"Ada"`, `""`, `"a,b"`)
	case 2:
		return g.pick("true", "false", "null", "$v")
	case 3:
		return "$states.input.items." + g.pick("price", "qty", "sku", "id")
	case 4:
		return "$states.input.items[" + g.pick("0", "-1", "price > 5", "qty = 0", "sku = 'a-1'") + "]" + g.pick("", ".price", ".sku")
	case 5:
		return "$states.input.nested." + g.pick("flag", "x", "z", "missing")
	case 6:
		return "$states.input." + g.pick("tags", "tags[0]", "items", "nested")
	}
	return "$states.input." + g.pick("a", "b", "name", "missing")
}

func (g *exprGen) expr(depth int) string {
	if depth <= 0 || g.r.IntN(4) == 0 {
		return g.leaf()
	}
	d := depth - 1
	switch g.r.IntN(9) {
	case 0, 1:
		return "(" + g.expr(d) + " " + g.pick("+", "-", "*", "/", "%", "=", "!=", "<", "<=", ">", ">=", "and", "or", "&", "in") + " " + g.expr(d) + ")"
	case 2:
		return g.expr(d) + " ? " + g.expr(d) + " : " + g.expr(d)
	case 3:
		return fmt.Sprintf(`{"k": %s, "m": %s}`, g.expr(d), g.expr(d))
	case 4:
		return "[" + g.expr(d) + ", " + g.expr(d) + "]"
	case 5:
		return "($x := " + g.expr(d) + "; " + strings.ReplaceAll(g.expr(d), "$v", "$x") + ")"
	case 6:
		return g.pick("$map", "$filter") + "(" + g.expr(d) + ", function($e){" + strings.ReplaceAll(g.expr(d), "$v", "$e") + "})"
	}
	one := []string{"$count", "$sum", "$string", "$exists", "$keys", "$uppercase", "$lowercase", "$length", "$type", "$number",
		"$boolean", "$not", "$max", "$min", "$average", "$distinct", "$reverse", "$sort", "$abs", "$floor", "$ceil", "$trim",
		"$spread", "$lookup", "$join", "$split", "$contains", "$round", "$substring", "$append", "$merge", "$pad", "$replace",
		"$formatNumber", "$formatBase", "$substringBefore", "$substringAfter", "$zip", "$reduce", "$each", "$sift", "$match"}
	f := one[g.r.IntN(len(one))]
	a := g.expr(d)
	switch f {
	case "$lookup":
		return f + "(" + a + `, "price")`
	case "$join", "$split":
		return f + "(" + a + `, ",")`
	case "$contains", "$substringBefore", "$substringAfter":
		return f + "(" + a + `, "a")`
	case "$round":
		return f + "(" + a + ", " + g.pick("0", "1", "2") + ")"
	case "$substring":
		return f + "(" + a + ", " + g.pick("0", "1", "-2") + ", " + g.pick("2", "10") + ")"
	case "$append", "$zip":
		return f + "(" + a + ", " + g.expr(d) + ")"
	case "$merge":
		return f + "([" + a + ", " + g.expr(d) + "])"
	case "$pad":
		return f + "(" + a + ", " + g.pick("5", "-5") + `, "*")`
	case "$replace":
		return f + "(" + a + `, "a", "b")`
	case "$formatNumber":
		return f + "(" + a + `, "` + g.pick("#,##0.00", "0.0", "#") + `")`
	case "$formatBase":
		return f + "(" + a + ", " + g.pick("2", "16") + ")"
	case "$reduce":
		return f + "(" + a + ", function($p, $c){$p + $c})"
	case "$each":
		return f + "(" + a + ", function($val, $key){$key})"
	case "$sift":
		return f + "(" + a + ", function($val){$val})"
	case "$match":
		return f + "(" + a + ", /a./)"
	}
	if g.r.IntN(5) == 0 {
		return a + " ~> " + f + "()"
	}
	return f + "(" + a + ")"
}
