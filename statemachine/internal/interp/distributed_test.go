package interp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine/itemio"
)

// An ItemReader source without items gives the Map state an empty array,
// not nil (the fallback in execMap that meant to do this never ran).
func TestReadAllItemsEmptySourceIsEmptyArray(t *testing.T) {
	objs := oneObject{key: "b/empty.json", body: []byte(`[]`)}
	spec, err := itemio.ParseReader("arn:aws:states:::s3:getObject", map[string]any{"Bucket": "b", "Key": "empty.json"}, map[string]any{"InputType": "JSON"})
	if err != nil {
		t.Fatal(err)
	}
	items, err := readAllItems(context.Background(), objs, spec)
	if err != nil {
		t.Fatal(err)
	}
	if items == nil || len(items) != 0 {
		t.Fatalf("items = %#v, want an empty non-nil array", items)
	}
}

// oneObject is an object store holding one object; only Get is used.
type oneObject struct {
	ObjectStore
	key  string
	body []byte
}

func (o oneObject) Get(ctx context.Context, bucket, key string, start, end int64) (io.ReadCloser, ObjectInfo, error) {
	if bucket+"/"+key != o.key {
		return nil, ObjectInfo{}, fmt.Errorf("no such key: s3://%s/%s", bucket, key)
	}
	return io.NopCloser(bytes.NewReader(o.body)), ObjectInfo{Bucket: bucket, Key: key, Size: int64(len(o.body))}, nil
}
