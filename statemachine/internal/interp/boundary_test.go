package interp

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// leafPackages are the packages of the module the interpreter may import:
// the expression languages, ASL validation, item I/O and the shared names
// (ARNs, States.* errors, event types, the object store). The control
// plane (package statemachine) is not among them, and neither is anything
// that speaks HTTP or AWS.
var leafPackages = map[string]bool{
	"arn": true, "eventtype": true, "states": true, "objects": true, "intrinsic": true, "jsonpath": true,
	"jsonata": true, "itemio": true, "validate": true, "internal/jsonvalue": true,
}

const module = "github.com/stepwise-dev/stepwise/statemachine"

// TestInterpreterImportsNoControlPlane pins the split: the interpreter's
// files import only the standard library and leaf packages, so it cannot
// reach the control plane's registries, API types or store schema.
func TestInterpreterImportsNoControlPlane(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(p, "/")
			if !strings.Contains(first, ".") {
				continue // standard library
			}
			if rest, ok := strings.CutPrefix(p, module+"/"); ok && leafPackages[rest] {
				continue
			}
			t.Errorf("%s imports %s: the interpreter may import only the standard library and %s/{%s}", name, p, module, leafList())
		}
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Log("go tool not found: transitive check skipped")
		return
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == module {
			t.Errorf("the interpreter depends on the control plane (%s) through its imports", module)
		}
	}
}

func leafList() string {
	var l []string
	for k := range leafPackages {
		l = append(l, k)
	}
	sort.Strings(l)
	return strings.Join(l, ",")
}
