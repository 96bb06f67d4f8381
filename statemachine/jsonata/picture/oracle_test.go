package picture

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine/internal/testenv"
)

// TestOracle compares this package with the reference JSONata 2.0.6 on
// the expressions in testdata/oracle_exprs.txt. It needs node and an
// installed oracle, so it runs only when STEPWISE_JSONATA_ORACLE names the
// oracle directory (the one holding oracle.js and node_modules/jsonata):
//
//	STEPWISE_JSONATA_ORACLE=../shared/jsonata/oracle go test ./statemachine/jsonata/picture -run TestOracle -v
//
// Known, deliberate differences are listed in testdata/oracle_deviations.txt
// (one expression a line) and are reported but do not fail the test.
func TestOracle(t *testing.T) {
	dir := testenv.Path("STEPWISE_JSONATA_ORACLE")
	if dir == "" {
		t.Skip("SKIPPED: set STEPWISE_JSONATA_ORACLE to the jsonata oracle directory (with node_modules installed by npm ci) to compare against jsonata-js 2.0.6")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("SKIPPED: node is not on PATH; the oracle comparison needs it")
	}
	exprs := readLines(t, filepath.Join("testdata", "oracle_exprs.txt"))
	deviations := map[string]bool{}
	for _, l := range readLines(t, filepath.Join("testdata", "oracle_deviations.txt")) {
		deviations[l] = true
	}
	var in bytes.Buffer
	for _, e := range exprs {
		b, _ := json.Marshal(map[string]string{"expr": e})
		in.Write(append(b, '\n'))
	}
	cmd := exec.Command("node", "oracle.js", "--jsonl")
	cmd.Dir = dir
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running the oracle in %s: %v", dir, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	agree, deviate, skipped := 0, 0, 0
	for i := 0; sc.Scan(); i++ {
		if i >= len(exprs) {
			t.Fatalf("oracle gave more answers than expressions")
		}
		e := exprs[i]
		var resp struct {
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &resp); err != nil {
			t.Fatalf("oracle answer %d: %v", i+1, err)
		}
		got, gerr := evalLiteralExpr(e)
		if errors.Is(gerr, errNotStandalone) {
			skipped++
			continue
		}
		same := false
		switch {
		case resp.Error != nil:
			var pe *Error
			same = errors.As(gerr, &pe) && pe.Code == resp.Error.Code
		case resp.Result == nil:
			same = gerr == nil && got == undefined
		default:
			var want any
			_ = json.Unmarshal(resp.Result, &want)
			if f, ok := got.(float64); ok && math.IsNaN(f) {
				got = nil // JSON shows NaN as null
			}
			same = gerr == nil && want == got
		}
		switch {
		case same:
			agree++
		case deviations[e]:
			deviate++
			t.Logf("known deviation: %s\n\toracle: %s\n\tours:   %#v %v", e, sc.Bytes(), got, gerr)
		default:
			t.Errorf("disagreement (testdata/oracle_exprs.txt:%d): %s\n\toracle: %s\n\tours:   %#v %v", i+1, e, sc.Bytes(), got, gerr)
		}
	}
	t.Logf("oracle comparison: %d agree, %d known deviations, %d not standalone, of %d", agree, deviate, skipped, len(exprs))
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return lines
}
