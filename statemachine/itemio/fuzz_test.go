package itemio_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine/itemio"
)

// FuzzReadItems feeds arbitrary object contents to every getObject input
// type: reading must never panic and every failure must be an *Error.
// Run: go test -fuzz=FuzzReadItems -fuzztime=60s ./statemachine/itemio
func FuzzReadItems(f *testing.F) {
	for _, k := range []string{"b/items.json", "b/items.jsonl", "b/rows.csv", "b/ragged.csv", "b/quote.csv", "b/inv/manifest", "b/bad.json"} {
		for _, typ := range []uint8{0, 1, 2, 3} {
			f.Add([]byte(objects[k]), typ)
		}
	}
	types := []string{"JSON", "JSONL", "CSV", "MANIFEST"}
	f.Fuzz(func(t *testing.T, body []byte, typ uint8) {
		store := newMemStore(map[string]string{"b/k": string(body), "inv/data/1.csv.gz": objects["inv/data/1.csv.gz"], "inv/data/2.csv": objects["inv/data/2.csv"]})
		spec := itemio.ReaderSpec{Resource: itemio.ResourceGetObject, Bucket: "b", Key: "k", InputType: types[int(typ)%len(types)]}
		err := itemio.ReadItems(context.Background(), store, spec, func(any) error { return nil })
		var ie *itemio.Error
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("error %v is not an *itemio.Error", err)
		}
	})
}
