package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRootHoldsGoMod(t *testing.T) {
	if _, err := os.Stat(filepath.Join(Root(), "go.mod")); err != nil {
		t.Fatalf("Root() = %s: %v", Root(), err)
	}
}

func TestPath(t *testing.T) {
	t.Setenv("STEPWISE_TESTENV_X", "")
	if got := Path("STEPWISE_TESTENV_X"); got != "" {
		t.Errorf("unset: %q", got)
	}
	t.Setenv("STEPWISE_TESTENV_X", "/abs/dir")
	if got := Path("STEPWISE_TESTENV_X"); got != "/abs/dir" {
		t.Errorf("absolute: %q", got)
	}
	t.Setenv("STEPWISE_TESTENV_X", "../shared/conformance")
	if got, want := Path("STEPWISE_TESTENV_X"), filepath.Join(Root(), "..", "shared", "conformance"); got != want {
		t.Errorf("relative: %q, want %q", got, want)
	}
}
