package objstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/steps/objstore"
)

// lambdaFunc is a [statemachine.LambdaInvoker] fake made of a Func field.
type lambdaFunc struct {
	InvokeFunc func(ctx context.Context, function string, payload []byte) (statemachine.LambdaResult, error)
}

func (l lambdaFunc) Invoke(ctx context.Context, function string, payload []byte) (statemachine.LambdaResult, error) {
	return l.InvokeFunc(ctx, function, payload)
}

// TestDistributedMapExecutionOnLocalS3 runs a STANDARD execution whose
// Distributed Map reads a 10,000-row CSV from the local S3 (ItemReader),
// hands it to a Lambda task in batches of 100 (ItemBatcher) and exports
// the child results to the local S3 (ResultWriter).
func TestDistributedMapExecutionOnLocalS3(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, c := start(t, locals3.Options{DisableEvents: true})
	createBucket(t, c, "data")

	const (
		rows     = 10000
		perBatch = 100
		batches  = rows / perBatch
		fn       = "arn:aws:lambda:us-east-1:123456789012:function:sum-batch"
	)
	var csv bytes.Buffer
	csv.WriteString("id,cents,region\n")
	wantSum := 0
	for i := range rows {
		cents := (i*7919)%10000 + 1
		wantSum += cents
		fmt.Fprintf(&csv, "%d,%d,\"r, %d\"\n", i, cents, i%7)
	}
	put(t, c, "data", "in/orders.csv", csv.String())

	var (
		mu      sync.Mutex
		calls   int
		seen    = map[string]int{}
		badCall error
	)
	lambda := lambdaFunc{InvokeFunc: func(ctx context.Context, function string, payload []byte) (statemachine.LambdaResult, error) {
		var in struct {
			Items []map[string]string
		}
		err := json.Unmarshal(payload, &in)
		sum := 0
		for _, it := range in.Items {
			n, perr := strconv.Atoi(it["cents"])
			if perr != nil && err == nil {
				err = fmt.Errorf("item %v: %v", it, perr)
			}
			sum += n
		}
		mu.Lock()
		calls++
		for _, it := range in.Items {
			seen[it["id"]]++
		}
		if function != fn && badCall == nil {
			badCall = fmt.Errorf("invoked %q, want %q", function, fn)
		}
		if err != nil && badCall == nil {
			badCall = fmt.Errorf("payload %.200s: %v", payload, err)
		}
		mu.Unlock()
		out, _ := json.Marshal(map[string]int{"count": len(in.Items), "sum": sum})
		return statemachine.LambdaResult{Payload: out, ExecutedVersion: "$LATEST"}, nil
	}}

	e, err := statemachine.New(statemachine.Options{Objects: objstore.NewSDK(c), Lambda: lambda})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	def := `{"StartAt":"Export","States":{"Export":{"Type":"Map","Label":"Parts","MaxConcurrency":8,
	  "ItemReader":{"Resource":"arn:aws:states:::s3:getObject",
	                "ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"},
	                "Parameters":{"Bucket.$":"$.bucket","Key":"in/orders.csv"}},
	  "ItemBatcher":{"MaxItemsPerBatch":` + strconv.Itoa(perBatch) + `},
	  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
	     "StartAt":"Sum","States":{"Sum":{"Type":"Task","Resource":"` + fn + `","End":true}}},
	  "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"data","Prefix":"results"}},
	  "End":true}}}`
	sm, err := e.CreateStateMachine(ctx, statemachine.CreateStateMachineInput{
		Name: "export", Definition: def, Type: "STANDARD",
		RoleArn: "arn:aws:iam::123456789012:role/export",
	})
	if err != nil {
		t.Fatal(err)
	}
	x, err := e.StartExecution(ctx, statemachine.StartExecutionInput{
		StateMachineArn: sm.Arn, Name: "dm", Input: `{"bucket":"data"}`, InputSet: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.WaitExecution(ctx, x.ExecutionArn)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != statemachine.StatusSucceeded {
		t.Fatalf("execution %s: error %s cause %s", got.Status, deref(got.Error), deref(got.Cause))
	}

	mu.Lock()
	if badCall != nil {
		t.Error(badCall)
	}
	if calls != batches {
		t.Errorf("Lambda invoked %d times, want %d", calls, batches)
	}
	if len(seen) != rows {
		t.Errorf("Lambda saw %d distinct ids, want %d", len(seen), rows)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("id %s reached Lambda %d times", id, n)
		}
	}
	mu.Unlock()

	// The Map output points at the exported manifest.
	var out struct {
		MapRunArn           string
		ResultWriterDetails struct{ Bucket, Key string }
	}
	if err := json.Unmarshal([]byte(deref(got.Output)), &out); err != nil {
		t.Fatalf("output %s: %v", deref(got.Output), err)
	}
	if !strings.Contains(out.MapRunArn, ":mapRun:export/Parts:") {
		t.Fatalf("MapRunArn %q", out.MapRunArn)
	}
	runID := out.MapRunArn[strings.LastIndexByte(out.MapRunArn, ':')+1:]
	if want := "results/" + runID + "/manifest.json"; out.ResultWriterDetails.Bucket != "data" || out.ResultWriterDetails.Key != want {
		t.Errorf("ResultWriterDetails %+v, want data %s", out.ResultWriterDetails, want)
	}

	var m struct {
		DestinationBucket string
		MapRunArn         string
		ResultFiles       map[string][]struct {
			Key  string
			Size int
		}
	}
	if err := json.Unmarshal([]byte(get(t, c, "data", out.ResultWriterDetails.Key, "")), &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if m.DestinationBucket != "data" || m.MapRunArn != out.MapRunArn || len(m.ResultFiles["FAILED"]) != 0 || len(m.ResultFiles["PENDING"]) != 0 {
		t.Errorf("manifest %+v", m)
	}
	files := m.ResultFiles["SUCCEEDED"]
	if len(files) != 1 || files[0].Key != "results/"+runID+"/SUCCEEDED_0.json" {
		t.Fatalf("SUCCEEDED files %+v", files)
	}
	body := get(t, c, "data", files[0].Key, "")
	if len(body) != files[0].Size {
		t.Errorf("%s is %d bytes, manifest says %d", files[0].Key, len(body), files[0].Size)
	}
	var entries []struct {
		Status, Input, Output, ExecutionArn string
	}
	if err := json.Unmarshal([]byte(body), &entries); err != nil {
		t.Fatalf("%s: %v", files[0].Key, err)
	}
	count, sum := 0, 0
	for i, en := range entries {
		var o struct{ Count, Sum int }
		if err := json.Unmarshal([]byte(en.Output), &o); err != nil {
			t.Fatalf("entry %d output %q: %v", i, en.Output, err)
		}
		var in struct{ Items []any }
		if err := json.Unmarshal([]byte(en.Input), &in); err != nil || len(in.Items) != o.Count {
			t.Errorf("entry %d: input has %d items (%v), output counts %d", i, len(in.Items), err, o.Count)
		}
		if en.Status != statemachine.StatusSucceeded || o.Count != perBatch {
			t.Errorf("entry %d: status %s count %d", i, en.Status, o.Count)
		}
		count += o.Count
		sum += o.Sum
	}
	if len(entries) != batches || count != rows || sum != wantSum {
		t.Errorf("results: %d batches, %d items, sum %d; want %d, %d, %d", len(entries), count, sum, batches, rows, wantSum)
	}

	mr, err := e.DescribeMapRun(ctx, out.MapRunArn)
	if err != nil {
		t.Fatal(err)
	}
	// Each batch is one child execution. ItemCounts is not asserted: AWS
	// documents it as items processed in child executions, which for a
	// batched run could mean rows rather than batches.
	if mr.Status != statemachine.StatusSucceeded || mr.MaxConcurrency != 8 ||
		mr.ExecutionCounts.Succeeded != batches || mr.ExecutionCounts.Total != batches {
		t.Errorf("map run %s, MaxConcurrency %d, ExecutionCounts %+v; want SUCCEEDED, 8, %d succeeded of %d",
			mr.Status, mr.MaxConcurrency, mr.ExecutionCounts, batches, batches)
	}
	t.Logf("map run ItemCounts %+v ExecutionCounts %+v", mr.ItemCounts, mr.ExecutionCounts)
	children, err := e.ListExecutions(ctx, statemachine.ListExecutionsInput{MapRunArn: out.MapRunArn})
	if err != nil || len(children) != batches {
		t.Errorf("ListExecutions(MapRunArn): %d children, %v; want %d", len(children), err, batches)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
