// Package testenv resolves the paths given in the environment variables
// that switch on the heavier test suites (STEPWISE_CONFORMANCE_DIR,
// STEPWISE_JSONATA_SUITE, report files, …).
//
// go test runs each package's tests in that package's directory, so a
// relative path such as ../shared/conformance, written from the repository
// root where the README's commands run, would otherwise point elsewhere in
// every package. Path takes relative paths from the repository root.
package testenv

import (
	"os"
	"path/filepath"
	"runtime"
)

// Root returns the repository root (the directory holding go.mod).
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Path returns the value of the environment variable name, made absolute
// against [Root] when it is relative; "" when the variable is unset or
// empty.
func Path(name string) string {
	p := os.Getenv(name)
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(Root(), p)
}

// Shared returns the path of elem inside the shared/ directory that sits
// next to the repository.
func Shared(elem ...string) string {
	return filepath.Join(append([]string{Root(), "..", "shared"}, elem...)...)
}
