package itemio_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/stepwise-dev/stepwise/statemachine/itemio"
)

// Example shows the three steps of a Distributed Map over S3: read the
// items, batch them, and export the children's results.
func Example() {
	ctx := context.Background()
	store := newMemStore(map[string]string{"data/in.csv": "id,name\n1,ann\n2,bob\n3,cy\n"})

	reader, _ := itemio.ParseReader(itemio.ResourceGetObject,
		map[string]any{"Bucket": "data", "Key": "in.csv"},
		map[string]any{"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})
	var items []any
	_ = itemio.ReadItems(ctx, store, reader, func(item any) error {
		items = append(items, item)
		return nil
	})

	batcher, _ := itemio.ParseBatcher(map[string]any{"MaxItemsPerBatch": 2.0})
	batches, _ := itemio.Batch(items, batcher)
	b, _ := json.Marshal(batches)
	fmt.Println(string(b))

	writer, _ := itemio.ParseWriter(itemio.ResourcePutObject, map[string]any{"Bucket": "data", "Prefix": "out"}, nil)
	out, _ := itemio.WriteResults(ctx, store, writer, "arn:aws:states:us-east-1:123456789012:mapRun:m/Map:run-1",
		[]itemio.Result{{Name: "c1", Status: "SUCCEEDED", Input: `{}`, Output: `"done"`}})
	b, _ = json.Marshal(out)
	fmt.Println(string(b))
	// Output:
	// [{"Items":[{"id":"1","name":"ann"},{"id":"2","name":"bob"}]},{"Items":[{"id":"3","name":"cy"}]}]
	// {"MapRunArn":"arn:aws:states:us-east-1:123456789012:mapRun:m/Map:run-1","ResultWriterDetails":{"Bucket":"data","Key":"out/run-1/manifest.json"}}
}
