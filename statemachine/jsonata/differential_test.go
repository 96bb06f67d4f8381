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

	"github.com/stepwise-dev/stepwise/statemachine/internal/testenv"
)

// TestDifferential generates Step Functions-style expressions and inputs
// and compares this evaluator with the reference jsonata-js 2.0.6 (the
// oracle in ../shared/jsonata/oracle). It needs node and the oracle's
// node_modules: set STEPWISE_JSONATA_ORACLE to the oracle directory after
// `npm ci` there. STEPWISE_JSONATA_DIFF_N sets the number of cases (default
// 400) and STEPWISE_JSONATA_DIFF_SEED the seed (default 1).
func TestDifferential(t *testing.T) {
	dir := testenv.Path("STEPWISE_JSONATA_ORACLE")
	if dir == "" {
		dir = testenv.Shared("jsonata", "oracle")
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
		r := req{Expr: g.expr(3), Bindings: map[string]any{"states": map[string]any{"input": g.doc(),
			"context": map[string]any{"Execution": map[string]any{"Id": "arn:aws:states:x:1:execution:m:e1", "Name": "e1", "StartTime": "2024-01-02T03:04:05.678Z"}}}, "v": g.r.IntN(5)}}
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
				if os.Getenv("STEPWISE_JSONATA_DIFF_VERBOSE") != "" {
					t.Logf("case %d: %s: oracle %s, got %s", i, r.Expr, resp.Error.Code, je.Code)
				}
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
	// At least one item: jsonata-js 2.0.6 mutates an empty input array
	// when grouping over it (it pushes undefined), which later
	// expressions then see; that bug is not worth copying.
	items := make([]any, 1+g.r.IntN(3))
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
	switch g.r.IntN(11) {
	case 9, 10:
		return g.template(d)
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

// template returns one of the shapes seen in real state machines, with
// random sub-expressions.
func (g *exprGen) template(d int) string {
	e := func() string { return g.expr(d) }
	ts := []func() string{
		func() string {
			return "$states.input.items^(" + g.pick(">price", "<qty", "sku", ">id, price") + ")." + g.pick("sku", "id", "price")
		},
		func() string { return "$states.input.items{sku: $sum(price)}" },
		func() string { return "$states.input.items{sku: " + g.pick("qty", "$count($)", "price[]") + "}" },
		func() string { return "$states.input.**." + g.pick("x", "price", "flag") },
		func() string { return "$states.input." + g.pick("items[]", "items.price[]", "tags[]", "items[0][]") },
		func() string { return "$sort($states.input.items, function($l, $r){$l.price > $r.price}).id" },
		func() string { return "$states.context.Execution." + g.pick("Name", "Id", "StartTime") },
		func() string {
			return "$string(" + g.pick("0.1 + 0.2", "1/3", "100000000000000000000000", "123456789.123456789", "-0.0000001234", "1e21", "2/3*3") + ")"
		},
		func() string { return "$states.input.items#$i[$i < " + g.pick("1", "2") + "]." + g.pick("sku", "id") },
		func() string { return "$states.input.items@$it.$it." + g.pick("sku", "price") },
		func() string { return "function($x){$x * 2}(" + e() + ")" },
		// Partially applied built-ins skip signature checks in jsonata-js
		// and coerce like JavaScript; only well-typed calls compare.
		func() string {
			return "($f := $substring(?, 1); $f($states.input." + g.pick("name", "nested.x", "missing") + "))"
		},
		func() string { return e() + " ~> $map(function($v){$v})" },
		func() string { return `"id-" & ` + e() + ` & "-" & ` + e() },
		func() string {
			return "$formatNumber($states.input.b, " + g.pick(`"#,##0.000"`, `"0.00"`, `"#.#e0"`, `"000"`) + ")"
		},
		func() string { return "$round($states.input.b, " + g.pick("2", "-1", "0") + ")" },
		func() string {
			return "$fromMillis(" + g.pick("0", "1700000000000", "$states.input.a * 86400000") + g.pick("", `, "[Y0001]-[M01]-[D01]"`, `, "[H01]:[m01]", "+0530"`) + ")"
		},
		func() string {
			return `$toMillis("` + g.pick("2024-02-29T12:00:00Z", "2024-02-29", "2024-02-29T12:00:00.123+01:00") + `")`
		},
		func() string {
			return "$replace($states.input.name, /(\\w+)/, " + g.pick(`"<$1>"`, `"$$"`, `"$0$0"`) + ")"
		},
		func() string { return "$split($states.input.name, /,\\s*/)" },
		func() string { return "$match($states.input.name, /[a-z]+/)" + g.pick("", ".match", ".index") },
		func() string { return "$number($states.input.nested.x)" },
		func() string { return "[1.." + g.pick("$states.input.a", "3", "0") + "]" },
		func() string { return e() + " in $states.input.tags" },
		func() string { return "$distinct($states.input.items.sku)" },
		func() string {
			return "$count($states.input.items[price > " + g.pick("5", "10", "$states.input.a") + "])"
		},
		func() string { return "$states.input.missing ? " + e() },
		func() string { return "$keys($states.input" + g.pick("", ".nested", ".items") + ")" },
		func() string { return "$lookup($states.input, " + g.pick(`"a"`, `"name"`, `"nope"`) + ")" },
		func() string { return "$each($states.input.nested, function($v, $k){$k & '=' & $string($v)})" },
		func() string { return "$zip($states.input.tags, $states.input.items.id)" },
		func() string {
			return "$reduce($states.input.items, function($acc, $it){$acc + $it.price * $it.qty}, 0)"
		},
		func() string {
			return "$states.input.items[" + g.pick("-1", "[0,1]", "sku ~> $contains('a')", "$exists(qty)") + "]"
		},
		func() string { return "$merge($states.input.items)" },
		func() string { return "$sift($states.input.nested, function($v){$exists($v)})" },
		func() string { return "$states.input ~> |items|{'total': price * qty}|" },
		func() string { return "$type(" + e() + ")" },
		func() string { return "$append($states.input.tags, " + e() + ")" },
	}
	return ts[g.r.IntN(len(ts))]()
}
