package objstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/itemio"
	"github.com/stepwise-dev/stepwise/steps/objstore"
)

// TestMemoryServesItemReader runs the engine's listObjectsV2 ItemReader on
// the in-memory store: the one Store interface serves the engine and the
// steps, and List reports what Step Functions passes to iterations.
func TestMemoryServesItemReader(t *testing.T) {
	m := objstore.NewMemory()
	m.Now = func() time.Time { return time.Unix(1668699881, 500) }
	m.PutBytes("b", "in/x", []byte("xy"))
	m.PutBytes("b", "out/y", []byte("z"))
	var got []map[string]any
	spec := itemio.ReaderSpec{Resource: itemio.ResourceListObjectsV2, Bucket: "b", Prefix: "in/"}
	if err := itemio.ReadItems(context.Background(), m, spec, func(it any) error {
		got = append(got, it.(map[string]any))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("items %v, want one", got)
	}
	o := got[0]
	if o["Key"] != "in/x" || o["Size"] != 2.0 || o["LastModified"] != 1668699881.0 || o["StorageClass"] != "STANDARD" || !strings.HasPrefix(o["Etag"].(string), `"`) {
		t.Errorf("item %v", o)
	}
	spec = itemio.ReaderSpec{Resource: itemio.ResourceGetObject, Bucket: "b", Key: "in/x", InputType: itemio.InputJSON}
	m.PutBytes("b", "in/x", []byte(`[1,2]`))
	n := 0
	if err := itemio.ReadItems(context.Background(), m, spec, func(any) error { n++; return nil }); err != nil || n != 2 {
		t.Errorf("getObject items %d, %v; want 2", n, err)
	}
}
