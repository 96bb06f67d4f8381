package export

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParseRequest checks that any document either fails with an
// InvalidExportRequest or parses into a request that survives a JSON round
// trip unchanged (normalization is idempotent).
func FuzzParseRequest(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "export", "request-*.json"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"source":{"bucket":"b","key":"k"},"columns":["a",{"name":"b","as":"c"}],"types":{"a":"number"},"where":"a > 1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRequest(data)
		if err != nil {
			var ie *InvalidExportRequest
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is %T, not *InvalidExportRequest", err, err)
			}
			return
		}
		again, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := ParseRequest(again)
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip: %v\n%s", err, again)
		}
	})
}
