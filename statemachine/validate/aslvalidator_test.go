package validate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine/internal/testenv"
)

// aslValidatorScript reads one JSON definition per line and prints one
// {"isValid":..,"errors":[..]} line per definition, using the npm package
// asl-validator.
const aslValidatorScript = `
const v = require("asl-validator");
const f = v.default || v;
const rl = require("readline").createInterface({input: process.stdin});
rl.on("line", (line) => {
  let out;
  try { out = f(JSON.parse(line), {checkPaths: true, checkArn: false}); }
  catch (e) { out = {isValid: false, errors: [{"Error code": "EXCEPTION", "Message": String(e)}]}; }
  process.stdout.write(JSON.stringify(out) + "\n");
});
`

// TestCompareASLValidator runs the npm tool asl-validator@4.0.0 over the
// definitions AWS accepted and the ones it rejected, and reports where it
// and this package disagree. It is a comparison, not a pass/fail oracle:
// asl-validator is stricter in some places (ARNs, path syntax) and laxer in
// others, so the test logs disagreements and fails only if the tool cannot
// run. Install it outside the repository and point the test at it:
//
//	npm install --prefix /some/dir asl-validator@4.0.0
//	STEPWISE_ASL_VALIDATOR_DIR=/some/dir go test -run TestCompareASLValidator -v -timeout 30m ./statemachine/validate/
func TestCompareASLValidator(t *testing.T) {
	dir := testenv.Path("STEPWISE_ASL_VALIDATOR_DIR")
	if dir == "" {
		t.Skip("SKIPPED: set STEPWISE_ASL_VALIDATOR_DIR to a directory holding node_modules/asl-validator (npm install --prefix DIR asl-validator@4.0.0) to compare with asl-validator")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "asl-validator")); err != nil {
		t.Skipf("SKIPPED: %s has no node_modules/asl-validator: %v", dir, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SKIPPED: node is not installed; it is needed to run asl-validator")
	}

	type def struct {
		name     string
		raw      json.RawMessage
		typ      string
		accepted bool // by AWS
	}
	// asl-validator compiles its schemas on every call (about a second per
	// definition), so it sees every validation case and every tenth of the
	// others unless STEPWISE_ASL_VALIDATOR_ALL is set.
	all := os.Getenv("STEPWISE_ASL_VALIDATOR_ALL") != ""
	var defs []def
	for i, c := range loadCases(t, "*/*.json") {
		if c.DefinitionIsString || (!all && c.Category != "validation" && i%10 != 0) {
			continue
		}
		typ := c.StateMachineType
		if typ == "" {
			typ = "STANDARD"
			if strings.HasPrefix(c.ExecutionType, "EXPRESS") {
				typ = "EXPRESS"
			}
		}
		defs = append(defs, def{c.Name, c.Definition, typ, c.Category != "validation"})
	}
	var in bytes.Buffer
	for _, d := range defs {
		var compact bytes.Buffer
		if err := json.Compact(&compact, d.raw); err != nil {
			t.Fatal(err)
		}
		in.Write(compact.Bytes())
		in.WriteByte('\n')
	}
	cmd := exec.Command(node, "-e", aslValidatorScript)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("asl-validator: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var theirs []bool
	var theirErrs []string
	for sc.Scan() {
		var r struct {
			IsValid bool             `json:"isValid"`
			Errors  []map[string]any `json:"errors"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("asl-validator output: %v", err)
		}
		theirs = append(theirs, r.IsValid)
		b, _ := json.Marshal(r.Errors)
		theirErrs = append(theirErrs, string(b))
	}
	if len(theirs) != len(defs) {
		t.Fatalf("asl-validator answered %d of %d definitions", len(theirs), len(defs))
	}
	var agree, theyReject, weReject int
	for i, d := range defs {
		ours := !HasErrors(Definition(d.raw, Options{Type: d.typ}))
		switch {
		case ours == theirs[i]:
			agree++
		case ours:
			theyReject++
			t.Logf("asl-validator rejects what we accept (AWS accepted: %v): %s: %s", d.accepted, d.name, theirErrs[i])
		default:
			weReject++
			t.Logf("we reject what asl-validator accepts (AWS accepted: %v): %s: %v", d.accepted, d.name, Definition(d.raw, Options{Type: d.typ}))
		}
	}
	t.Logf("asl-validator comparison over %d definitions: agree %d, only asl-validator rejects %d, only we reject %d", len(defs), agree, theyReject, weReject)
}
