package statemachine

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEngineImportsOnlyStdlib pins the engine's dependency rule: the
// statemachine packages import only the standard library and their own
// subpackages (HTTP, AWS SDKs and the local stack live at the edges).
func TestEngineImportsOnlyStdlib(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found: dependency check skipped")
	}
	const own = "github.com/stepwise-dev/stepwise/statemachine"
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps ./...: %v\n%s", err, out)
	}
	var bad []string
	for _, p := range strings.Fields(string(out)) {
		if p != own && !strings.HasPrefix(p, own+"/") {
			bad = append(bad, p)
		}
	}
	if len(bad) > 0 {
		t.Fatalf("the engine imports packages outside the standard library and %s/...: %s\nmove the code that needs them out of statemachine/", own, strings.Join(bad, ", "))
	}
}
