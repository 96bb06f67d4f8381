package jsonata

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine/internal/testenv"
)

// jsBench evaluates each benchmark expression n times with jsonata-js
// 2.0.6 (compile once, evaluate many, as BenchmarkEval does) and returns
// nanoseconds per evaluation by expression name.
const jsBench = `
const jsonata = require(process.argv[1]);
const {exprs, vars, n} = JSON.parse(require('fs').readFileSync(0, 'utf8'));
(async () => {
  const out = {};
  for (const {name, expr} of exprs) {
    const e = jsonata(expr);
    for (let i = 0; i < 2000; i++) await e.evaluate(undefined, vars);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await e.evaluate(undefined, vars);
    out[name] = Number(process.hrtime.bigint() - t0) / n;
  }
  console.log(JSON.stringify(out));
})();
`

// BenchmarkVersusJSONataJS reports, for each expression of BenchmarkEval,
// jsonata-js's ns/op measured in the same run and the speed ratio
// (js-ns/op ÷ go-ns/op; above 1 means this package is faster). It needs
// node and the oracle's node_modules (see TestDifferential).
func BenchmarkVersusJSONataJS(b *testing.B) {
	dir := testenv.Path("STEPWISE_JSONATA_ORACLE")
	if dir == "" {
		dir = testenv.Shared("jsonata", "oracle")
	}
	mod := filepath.Join(dir, "node_modules", "jsonata")
	if _, err := os.Stat(mod); err != nil {
		b.Skipf("SKIPPED: needs the jsonata-js oracle: run `npm ci` in %s or set STEPWISE_JSONATA_ORACLE", dir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		b.Skip("SKIPPED: needs node on PATH")
	}
	vars := benchInput()
	type named struct {
		Name string `json:"name"`
		Expr string `json:"expr"`
	}
	var exprs []named
	for _, bx := range benchExprs {
		exprs = append(exprs, named{bx.name, bx.expr})
	}
	in, _ := json.Marshal(map[string]any{"exprs": exprs, "vars": vars, "n": 20000})
	cmd := exec.Command(node, "-e", jsBench, mod)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("node: %v", err)
	}
	var jsNs map[string]float64
	if err := json.Unmarshal(out, &jsNs); err != nil {
		b.Fatalf("node output %q: %v", out, err)
	}
	for _, bx := range benchExprs {
		e, err := Compile(bx.expr)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bx.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Eval(nil, vars); err != nil {
					b.Fatal(err)
				}
			}
			goNs := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(jsNs[bx.name], "js-ns/op")
			b.ReportMetric(jsNs[bx.name]/goNs, "speedup")
		})
	}
}
