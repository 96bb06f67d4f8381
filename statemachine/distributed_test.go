package statemachine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// memObjects is an in-memory ObjectStore: it implements the calls a
// Distributed Map makes (Get, List, Put); the others are not used and panic.
type memObjects struct {
	ObjectStore
	mu   sync.Mutex
	objs map[string][]byte
}

func (m *memObjects) Get(ctx context.Context, bucket, key string, start, end int64) (io.ReadCloser, ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[bucket+"/"+key]
	if !ok {
		return nil, ObjectInfo{}, fmt.Errorf("no such key: s3://%s/%s", bucket, key)
	}
	return io.NopCloser(bytes.NewReader(b)), ObjectInfo{Bucket: bucket, Key: key, Size: int64(len(b))}, nil
}

func (m *memObjects) List(ctx context.Context, bucket, prefix string) ([]ObjectInfo, error) {
	return nil, nil
}

func (m *memObjects) Put(ctx context.Context, bucket, key string, r io.Reader, contentType string) (ObjectInfo, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return ObjectInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[bucket+"/"+key] = body
	return ObjectInfo{Bucket: bucket, Key: key, Size: int64(len(body))}, nil
}

func TestDistributedMapReaderBatcherWriter(t *testing.T) {
	objs := &memObjects{objs: map[string][]byte{"b/items.json": []byte(`[{"n":1},{"n":2},{"n":3}]`)}}
	def := `{"StartAt":"M","States":{"M":{"Type":"Map",
	  "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},
	                "Parameters":{"Bucket.$":"$.bucket","Key":"items.json"}},
	  "ItemBatcher":{"MaxItemsPerBatch":2},
	  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
	     "StartAt":"Count","States":{"Count":{"Type":"Pass","Parameters":{"count.$":"States.ArrayLength($.Items)"},"End":true}}},
	  "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b","Prefix":"out"}},
	  "Label":"Counter","End":true}}}`
	store := newMemStore()
	h := newHarness(t, def, Options{Objects: objs, Store: store})
	x := h.start("dm", `{"bucket":"b"}`)
	got := h.wait(x.ExecutionArn)
	if got.Status != StatusSucceeded {
		t.Fatalf("status %s %s %s", got.Status, strOrNil(got.Error), strOrNil(got.Cause))
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(*got.Output), &out); err != nil {
		t.Fatal(err)
	}
	runArn, _ := out["MapRunArn"].(string)
	if !strings.Contains(runArn, ":mapRun:m/Counter:") {
		t.Fatalf("MapRunArn %q", runArn)
	}
	mr, err := h.e.DescribeMapRun(context.Background(), runArn)
	if err != nil {
		t.Fatal(err)
	}
	if mr.Status != StatusSucceeded || mr.ExecutionCounts.Succeeded != 2 || mr.ExecutionCounts.Total != 2 {
		t.Fatalf("map run %+v", mr)
	}
	children, err := h.e.ListExecutions(context.Background(), ListExecutionsInput{MapRunArn: runArn})
	if err != nil || len(children) != 2 {
		t.Fatalf("children %d %v", len(children), err)
	}
	var outputs []string
	for k, v := range objs.objs {
		if strings.HasPrefix(k, "b/out/") && strings.HasSuffix(k, "SUCCEEDED_0.json") {
			var rs []map[string]any
			if err := json.Unmarshal(v, &rs); err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				outputs = append(outputs, r["Output"].(string))
			}
		}
	}
	if want := []string{`{"count":2}`, `{"count":1}`}; !reflect.DeepEqual(outputs, want) {
		t.Fatalf("written outputs %v, want %v", outputs, want)
	}
	ty := strings.Join(h.types(x.ExecutionArn), " ")
	if !strings.Contains(ty, "MapStateStarted MapRunStarted MapRunSucceeded MapStateSucceeded MapStateExited") {
		t.Fatalf("history %s", ty)
	}
	// The stored executions, children included, load again.
	h.e.Close()
	h2 := newHarness(t, "", Options{Objects: objs, Store: store})
	if d := mustDescribe(t, h2.e, x.ExecutionArn); d.Status != StatusSucceeded {
		t.Fatalf("after reload: %s", d.Status)
	}
	if d := mustDescribe(t, h2.e, children[0].ExecutionArn); d.Status != StatusSucceeded || d.MapRunArn != runArn {
		t.Fatalf("child after reload: %s %s", d.Status, d.MapRunArn)
	}
	if mr2, err := h2.e.DescribeMapRun(context.Background(), runArn); err != nil || mr2.ExecutionCounts.Succeeded != 2 {
		t.Fatalf("DescribeMapRun after reload: %+v %v", mr2, err)
	}
}

func TestDistributedMapResumeKeepsSucceededChildren(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,
	  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
	     "StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","End":true}}},
	  "End":true}}}`
	var mu sync.Mutex
	calls := map[float64]int{}
	blocked := make(chan struct{}, 1)
	block := true
	svc := serviceFunc{InvokeServiceFunc: func(ctx context.Context, req ServiceRequest) (any, error) {
		n := req.Input.(float64)
		mu.Lock()
		calls[n]++
		b := block && n == 2
		mu.Unlock()
		if b {
			blocked <- struct{}{}
			<-ctx.Done() // the process "dies" while item 2 is in flight
			return nil, ctx.Err()
		}
		return map[string]any{"n": n}, nil
	}}
	store := newMemStore()
	h := newHarness(t, def, Options{Store: store, Services: svc})
	x := h.start("dm", `[0,1,2,3]`)
	<-blocked
	h.e.Close()
	mu.Lock()
	block = false
	mu.Unlock()

	h2 := newHarness(t, "", Options{Store: store, Services: svc})
	got := h2.wait(x.ExecutionArn)
	if got.Status != StatusSucceeded || strOrNil(got.Output) != `[{"n":0},{"n":1},{"n":2},{"n":3}]` {
		t.Fatalf("got %s %s %s", got.Status, strOrNil(got.Output), strOrNil(got.Cause))
	}
	if want := map[float64]int{0: 1, 1: 1, 2: 2, 3: 1}; !reflect.DeepEqual(calls, want) {
		t.Fatalf("invocations per item %v, want %v", calls, want)
	}
	ty := strings.Join(h2.types(x.ExecutionArn), " ")
	if strings.Count(ty, "MapRunStarted") != 1 || strings.Count(ty, "MapStateStarted") != 1 {
		t.Fatalf("history %s", ty)
	}
}
