package statemachine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"
)

// interpreterFiles are the files of the ASL interpreter, as opposed to the
// control plane (engine.go, exec.go, store.go, versions.go, registry.go …).
var interpreterFiles = []string{
	"interp.go", "dataflow.go", "retry.go", "wait.go", "choice.go", "task.go", "tokens.go",
	"parallel.go", "map.go", "maprun.go", "distributed.go", "nested.go", "jsonata.go",
}

// TestInterpreterStaysOffControlPlaneState pins the boundary: the
// interpreter reaches the control plane's registries only through the
// methods in registry.go, never by taking the engine's lock or editing its
// maps directly.
func TestInterpreterStaysOffControlPlaneState(t *testing.T) {
	private := map[string]bool{"mu": true, "execs": true, "execList": true, "tokens": true, "mapRuns": true, "timedOut": true}
	fset := token.NewFileSet()
	for _, name := range interpreterFiles {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok || !private[sel.Sel.Name] {
				return true
			}
			// r.e.<field>: the runner's engine.
			if inner, ok := sel.X.(*ast.SelectorExpr); ok && inner.Sel.Name == "e" {
				t.Errorf("%s: the interpreter uses the engine's %s directly; go through a method in registry.go", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}
