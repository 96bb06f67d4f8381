package itemio_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine/itemio"
)

func TestBatch(t *testing.T) {
	items := []any{"a", "b", "c", "d", "e"}
	for _, tc := range []struct {
		name, batcher string
		items         []any
		want          string
	}{
		{"by count", `{"MaxItemsPerBatch":2}`, items, `[{"Items":["a","b"]},{"Items":["c","d"]},{"Items":["e"]}]`},
		{"with BatchInput", `{"MaxItemsPerBatch":3,"BatchInput":{"run":"r1"}}`, items,
			`[{"BatchInput":{"run":"r1"},"Items":["a","b","c"]},{"BatchInput":{"run":"r1"},"Items":["d","e"]}]`},
		// {"Items":["a","b"]} is 20 bytes; a third item would make it 24.
		{"by bytes", `{"MaxInputBytesPerBatch":20}`, items, `[{"Items":["a","b"]},{"Items":["c","d"]},{"Items":["e"]}]`},
		{"bytes and count", `{"MaxInputBytesPerBatch":1000,"MaxItemsPerBatch":4}`, items, `[{"Items":["a","b","c","d"]},{"Items":["e"]}]`},
		{"no items", `{"MaxItemsPerBatch":2}`, nil, `[]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b any
			json.Unmarshal([]byte(tc.batcher), &b)
			spec, err := itemio.ParseBatcher(b)
			if err != nil {
				t.Fatal(err)
			}
			batches, err := itemio.Batch(tc.items, spec)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(batches)
			if string(got) != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
			for _, batch := range batches {
				size, _ := json.Marshal(batch)
				if spec.MaxInputBytesPerBatch > 0 && len(size) > spec.MaxInputBytesPerBatch {
					t.Errorf("batch %s is %d bytes, over %d", size, len(size), spec.MaxInputBytesPerBatch)
				}
			}
		})
	}
}

func TestBatchErrors(t *testing.T) {
	_, err := itemio.Batch([]any{"a", strings.Repeat("x", 50)}, itemio.BatcherSpec{MaxInputBytesPerBatch: 40})
	var ie *itemio.Error
	if !errors.As(err, &ie) || ie.Cause != "item 1 is 52 bytes, which with the batch envelope exceeds MaxInputBytesPerBatch (40)" {
		t.Errorf("oversized item: %v", err)
	}
	for _, tc := range []struct{ batcher, want string }{
		{`{}`, `ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch`},
		{`{"MaxItemsPerBatch":0}`, `ItemBatcher.MaxItemsPerBatch must be an integer from 1 to 100000000, got number (0)`},
		{`{"MaxItemsPerBatch":"2"}`, `ItemBatcher.MaxItemsPerBatch must be an integer from 1 to 100000000, got string ("2")`},
		{`{"MaxInputBytesPerBatch":262145}`, `ItemBatcher.MaxInputBytesPerBatch must be an integer from 1 to 262144, got number (262145)`},
		{`[]`, `ItemBatcher must be an object, got array ([])`},
	} {
		var b any
		json.Unmarshal([]byte(tc.batcher), &b)
		_, err := itemio.ParseBatcher(b)
		if !errors.As(err, &ie) || ie.Cause != tc.want {
			t.Errorf("ParseBatcher(%s): %v, want %s", tc.batcher, err, tc.want)
		}
	}
}
