package validate

import (
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkDefinition(b *testing.B) {
	for _, name := range []string{"pass_chain_100", "map_1000", "jsonata_chain_100"} {
		raw, err := os.ReadFile(filepath.Join(corpusDir(), "..", "bench", "workloads", name+".asl.json"))
		if err != nil {
			b.Skipf("SKIPPED: workload %s not found: %v", name, err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if ds := Definition(raw, Options{}); HasErrors(ds) {
					b.Fatal(ds)
				}
			}
		})
	}
}
