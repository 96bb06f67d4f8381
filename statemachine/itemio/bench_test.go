package itemio_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine/itemio"
)

func BenchmarkReadCSV(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("id,amount,region\n")
	for i := range 10000 {
		fmt.Fprintf(&sb, "%d,%d.%02d,r%d\n", i, i%97, i%100, i%7)
	}
	store := newMemStore(map[string]string{"b/k.csv": sb.String()})
	spec := itemio.ReaderSpec{Resource: itemio.ResourceGetObject, Bucket: "b", Key: "k.csv", InputType: "CSV"}
	b.SetBytes(int64(sb.Len()))
	for b.Loop() {
		if err := itemio.ReadItems(context.Background(), store, spec, func(any) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBatch(b *testing.B) {
	items := make([]any, 10000)
	for i := range items {
		items[i] = map[string]any{"id": fmt.Sprint(i), "amount": "12.34"}
	}
	spec := itemio.BatcherSpec{MaxItemsPerBatch: 100, MaxInputBytesPerBatch: 64 << 10}
	for b.Loop() {
		if _, err := itemio.Batch(items, spec); err != nil {
			b.Fatal(err)
		}
	}
}
