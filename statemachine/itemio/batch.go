package itemio

import (
	"encoding/json"
	"math"
)

// MaxInputBytesLimit is the largest MaxInputBytesPerBatch Step Functions
// accepts (256 KiB, the payload limit of an execution input).
const MaxInputBytesLimit = 256 * 1024

// BatcherSpec is a resolved ItemBatcher.
type BatcherSpec struct {
	// MaxItemsPerBatch caps the items per batch; 0 means no cap.
	MaxItemsPerBatch int
	// MaxInputBytesPerBatch caps the size of a batch's JSON (BatchInput
	// and Items together); 0 means MaxInputBytesLimit.
	MaxInputBytesPerBatch int
	// BatchInput is the evaluated BatchInput, added to every batch when
	// HasBatchInput is set.
	BatchInput    any
	HasBatchInput bool
}

// ParseBatcher builds a BatcherSpec from an ItemBatcher whose
// MaxItemsPerBatchPath/MaxInputBytesPerBatchPath are resolved into the
// numeric fields and whose BatchInput is evaluated. At least one of the
// two limits must be set, as Step Functions requires.
func ParseBatcher(batcher any) (BatcherSpec, error) {
	var spec BatcherSpec
	obj, ok := asObject(batcher)
	if !ok {
		return spec, readerErr("ItemBatcher must be an object, got %s", describe(batcher))
	}
	var err error
	if spec.MaxItemsPerBatch, err = intField(obj, "MaxItemsPerBatch", MaxItemsLimit); err != nil {
		return spec, err
	}
	if spec.MaxInputBytesPerBatch, err = intField(obj, "MaxInputBytesPerBatch", MaxInputBytesLimit); err != nil {
		return spec, err
	}
	if spec.MaxItemsPerBatch == 0 && spec.MaxInputBytesPerBatch == 0 {
		return spec, readerErr("ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch")
	}
	spec.BatchInput, spec.HasBatchInput = obj["BatchInput"]
	return spec, nil
}

func intField(obj map[string]any, name string, max int) (int, error) {
	v, ok := obj[name]
	if !ok || v == nil {
		return 0, nil
	}
	f, ok := v.(float64)
	if n, isNum := v.(json.Number); isNum {
		f, _ = n.Float64()
		ok = true
	}
	if !ok || f != math.Trunc(f) || f < 1 || f > float64(max) {
		return 0, readerErr("ItemBatcher.%s must be an integer from 1 to %d, got %s", name, max, describe(v))
	}
	return int(f), nil
}

// Batch groups items into batches, each {"Items": [...]} or, with a
// BatchInput, {"BatchInput": ..., "Items": [...]}, filling each batch up
// to MaxItemsPerBatch items and MaxInputBytesPerBatch bytes of JSON. An
// item that alone exceeds the byte limit fails with
// States.ItemReaderFailed.
func Batch(items []any, spec BatcherSpec) ([]any, error) {
	maxBytes := spec.MaxInputBytesPerBatch
	if maxBytes <= 0 {
		maxBytes = MaxInputBytesLimit
	}
	// {"BatchInput":<bi>,"Items":[]} is the fixed part of every batch.
	fixed := len(`{"Items":[]}`)
	if spec.HasBatchInput {
		b, err := json.Marshal(spec.BatchInput)
		if err != nil {
			return nil, readerErr("ItemBatcher.BatchInput cannot be encoded as JSON: %v", err)
		}
		fixed += len(`"BatchInput":,`) + len(b)
	}
	var batches []any
	var cur []any
	size := fixed
	flush := func() {
		if len(cur) == 0 {
			return
		}
		batch := map[string]any{"Items": cur}
		if spec.HasBatchInput {
			batch["BatchInput"] = spec.BatchInput
		}
		batches = append(batches, batch)
		cur, size = nil, fixed
	}
	for i, item := range items {
		b, err := json.Marshal(item)
		if err != nil {
			return nil, readerErr("item %d cannot be encoded as JSON: %v", i, err)
		}
		n := len(b)
		if len(cur) > 0 {
			n++ // the comma
		}
		if fixed+len(b) > maxBytes {
			return nil, readerErr("item %d is %d bytes, which with the batch envelope exceeds MaxInputBytesPerBatch (%d)", i, len(b), maxBytes)
		}
		if len(cur) > 0 && (size+n > maxBytes || (spec.MaxItemsPerBatch > 0 && len(cur) >= spec.MaxItemsPerBatch)) {
			flush()
			n = len(b)
		}
		cur = append(cur, item)
		size += n
	}
	flush()
	if batches == nil {
		batches = []any{}
	}
	return batches, nil
}
