package validate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzDefinition(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(corpusDir(), "cases", "*", "*.json"))
	for i, file := range files {
		if i%4 != 0 { // a quarter of the corpus is plenty of seeds
			continue
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		// Seed with the whole case file too: it is JSON, just not ASL.
		f.Add(string(raw))
		start := strings.Index(string(raw), `"definition": {`)
		if start >= 0 {
			f.Add(string(raw[start+len(`"definition": `):]))
		}
	}
	f.Add(`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`)
	f.Add(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},"End":true}}}`)
	f.Fuzz(func(t *testing.T, def string) {
		for _, typ := range []string{"STANDARD", "EXPRESS"} {
			ds := Definition([]byte(def), Options{Type: typ})
			for _, d := range ds {
				if d.Code == "" || d.Message == "" || (d.Severity != SeverityError && d.Severity != SeverityWarning) {
					t.Fatalf("malformed diagnostic %+v for %q", d, def)
				}
			}
			if msg := InvalidDefinitionMessage(ds); HasErrors(ds) != (msg != "") {
				t.Fatalf("InvalidDefinitionMessage disagrees with HasErrors for %q", def)
			}
			rs := Report([]byte(def), Options{Type: typ})
			if HasErrors(rs) != HasErrors(ds) {
				t.Fatalf("Report %v and Definition %v disagree for %q", rs, ds, def)
			}
			for _, d := range rs {
				if d.Code == "" || d.Message == "" || (d.Location != "" && d.Line == 0) {
					t.Fatalf("malformed report diagnostic %+v for %q", d, def)
				}
			}
		}
	})
}
