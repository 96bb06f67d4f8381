package requestapproval

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDoesNotImportMerge keeps the approval step independent of the merge
// step: the ranged reader it needs for Parquet samples is objstore's.
func TestDoesNotImportMerge(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range af.Imports {
			if p, _ := strconv.Unquote(im.Path.Value); strings.HasSuffix(p, "/steps/merge") {
				t.Errorf("%s imports %s; use objstore.NewReaderAt for ranged reads", f, p)
			}
		}
	}
}
