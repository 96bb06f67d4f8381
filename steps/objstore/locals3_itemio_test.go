package objstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/statemachine/itemio"
	"github.com/stepwise-dev/stepwise/steps/objstore"
)

// TestDistributedMapOnLocalS3 exports 10,000 CSV items through ItemReader
// -> ItemBatcher -> ResultWriter against the real local S3.
func TestDistributedMapOnLocalS3(t *testing.T) {
	ctx := context.Background()
	_, c := start(t, locals3.Options{DisableEvents: true})
	createBucket(t, c, "data")
	store := objstore.NewSDK(c)

	const n = 10000
	var csv bytes.Buffer
	csv.WriteString("id,amount,region\n")
	for i := range n {
		fmt.Fprintf(&csv, "%d,%d.%02d,\"r, %d\"\n", i, i%97, i%100, i%7)
	}
	put(t, c, "data", "in/orders.csv", csv.String())

	spec, err := itemio.ParseReader(itemio.ResourceGetObject,
		map[string]any{"Bucket": "data", "Key": "in/orders.csv"},
		map[string]any{"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})
	if err != nil {
		t.Fatal(err)
	}
	var items []any
	if err := itemio.ReadItems(ctx, store, spec, func(it any) error { items = append(items, it); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(items) != n {
		t.Fatalf("read %d items, want %d", len(items), n)
	}
	if last := items[n-1].(map[string]any); last["id"] != "9999" || last["region"] != "r, 3" {
		t.Errorf("last item %v", last)
	}

	bspec, err := itemio.ParseBatcher(map[string]any{"MaxItemsPerBatch": 250.0, "BatchInput": map[string]any{"export": "e1"}})
	if err != nil {
		t.Fatal(err)
	}
	batches, err := itemio.Batch(items, bspec)
	if err != nil {
		t.Fatal(err)
	}
	if len(batches) != n/250 {
		t.Fatalf("%d batches, want %d", len(batches), n/250)
	}

	// Each batch stands for one child execution that counts its items.
	mapRun := "arn:aws:states:us-east-1:123456789012:mapRun:export/Parts:0b5a6c1e-1111-2222-3333-444455556666"
	var results []itemio.Result
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, b := range batches {
		in, _ := json.Marshal(b)
		count := len(b.(map[string]any)["Items"].([]any))
		results = append(results, itemio.Result{
			ExecutionArn: "arn:aws:states:us-east-1:123456789012:execution:export/Parts:" + strconv.Itoa(i),
			Name:         strconv.Itoa(i), StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:export/Parts",
			Status: "SUCCEEDED", Input: string(in), Output: fmt.Sprintf(`{"count":%d}`, count), StartDate: now, StopDate: now,
		})
	}
	wspec, err := itemio.ParseWriter(itemio.ResourcePutObject, map[string]any{"Bucket": "data", "Prefix": "results"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := itemio.WriteResults(ctx, store, wspec, mapRun, results)
	if err != nil {
		t.Fatal(err)
	}
	key := out.(map[string]any)["ResultWriterDetails"].(map[string]any)["Key"].(string)
	if key != "results/0b5a6c1e-1111-2222-3333-444455556666/manifest.json" {
		t.Errorf("manifest key %s", key)
	}
	var m struct {
		ResultFiles map[string][]struct{ Key string }
	}
	if err := json.Unmarshal([]byte(get(t, c, "data", key, "")), &m); err != nil {
		t.Fatal(err)
	}
	var entries []struct{ Output, Input string }
	if err := json.Unmarshal([]byte(get(t, c, "data", m.ResultFiles["SUCCEEDED"][0].Key, "")), &entries); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, e := range entries {
		var o struct{ Count int }
		json.Unmarshal([]byte(e.Output), &o)
		total += o.Count
	}
	if len(entries) != len(batches) || total != n {
		t.Errorf("results hold %d executions covering %d items, want %d covering %d", len(entries), total, len(batches), n)
	}
}

// TestListObjectsItemReaderPaginates lists objects over many
// ListObjectsV2 pages.
func TestListObjectsItemReaderPaginates(t *testing.T) {
	ctx := context.Background()
	_, c := start(t, locals3.Options{DisableEvents: true})
	createBucket(t, c, "data")
	const n = 100
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("data"), Key: aws.String(fmt.Sprintf("parts/%05d", i)), Body: bytes.NewReader([]byte("x"))})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	put(t, c, "data", "other", "y")
	st := objstore.NewSDK(c)
	st.MaxKeys = 7
	store := st
	var keys []string
	spec := itemio.ReaderSpec{Resource: itemio.ResourceListObjectsV2, Bucket: "data", Prefix: "parts/"}
	if err := itemio.ReadItems(ctx, store, spec, func(it any) error {
		o := it.(map[string]any)
		if o["Size"] != 1.0 || o["StorageClass"] != "STANDARD" {
			return fmt.Errorf("item %v", o)
		}
		keys = append(keys, o["Key"].(string))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(keys) != n || keys[0] != "parts/00000" || keys[n-1] != fmt.Sprintf("parts/%05d", n-1) {
		t.Errorf("listed %d keys (%v ... %v), want %d", len(keys), keys[0], keys[len(keys)-1], n)
	}
}

// start runs a local S3 server on a fresh directory and returns it with a
// client.
func start(t *testing.T, opts locals3.Options) (*locals3.Server, *awss3.Client) {
	t.Helper()
	opts.Dir = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := locals3.Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := srv.NewClient(ctx)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return srv, c
}

func createBucket(t *testing.T, c *awss3.Client, name string) {
	t.Helper()
	if _, err := c.CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
}

func put(t *testing.T, c *awss3.Client, bucket, key, body string) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
}

func get(t *testing.T, c *awss3.Client, bucket, key, _ string) string {
	t.Helper()
	out, err := c.GetObject(context.Background(), &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
