package steps_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	s3local "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/publish"
	"github.com/stepwise-dev/stepwise/steps/requestapproval"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// startLocalS3 starts the real local S3 (over HTTPS, the production upload
// format) with the export bucket and returns a store over the real SDK
// client, built as the Lambdas build theirs.
func startLocalS3(t testing.TB) (*objstore.SDK, *s3local.Server) {
	t.Helper()
	ctx := context.Background()
	srv, err := s3local.Start(ctx, s3local.Options{Dir: t.TempDir(), TLS: true, DisableEvents: true, Log: io.Discard})
	if err != nil {
		t.Fatalf("start local S3: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	client, err := srv.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: ptr(bucket)}); err != nil {
		t.Fatal(err)
	}
	return objstore.NewSDK(client), srv
}

func ptr[T any](v T) *T { return &v }

// TestPipelineOnLocalS3 runs the same pipeline as TestPipelineMatchesReference
// against the real local S3 through aws-sdk-go-v2, then approves and
// publishes, and downloads the export through the presigned URL.
func TestPipelineOnLocalS3(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips starting the local S3 server")
	}
	ctx := context.Background()
	st, srv := startLocalS3(t)
	data := sampleData(t)
	if _, err := st.Put(ctx, bucket, "uploads/orders.csv", bytes.NewReader(data), "text/csv"); err != nil {
		t.Fatal(err)
	}
	env := newEnv(st)
	want := reference(t, data, []string{"order_id", "customer", "total", "notes"}, keepDE100)
	for _, gz := range []bool{false, true} {
		exec := fmt.Sprintf("local-gzip-%v", gz)
		req := fmt.Sprintf(`{"source":{"bucket":%q,"key":"uploads/orders.csv"},
			"columns":["order_id",{"name":"customer","as":"name"},"total","notes"],
			"types":{"total":"number"},"where":"country in [\"DE\", \"FR\"] && total != nil && total > 100",
			"output":{"gzip":%v},"partSize":2048}`, bucket, gz)
		po, mo := runPipeline(t, env, exec, req)
		rc, _, err := st.Get(ctx, bucket, mo.Key, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if recs := readCSV(t, got, gz); !reflect.DeepEqual(recs[1:], want) {
			t.Fatalf("gzip %v: output differs from the reference (%d rows, want %d)", gz, len(recs)-1, len(want))
		}
		if _, err := requestapproval.Run(ctx, env, requestapproval.Input{Job: po.Job, TaskToken: "tok"}); err != nil {
			t.Fatal(err)
		}
		out, err := publish.Run(ctx, env, publish.Input{Job: po.Job, Approval: &export.Decision{Decision: "approve", Approver: "test"}})
		if err != nil {
			t.Fatal(err)
		}
		hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig(t, srv)}}
		resp, err := hc.Get(out.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(body, got) {
			t.Fatalf("presigned GET: %s, %d bytes (want %d)", resp.Status, len(body), len(got))
		}
		var man export.Manifest
		if err := stepkit.ReadJSON(ctx, st, bucket, out.ManifestKey, &man); err != nil || man.SHA256 != mo.SHA256 {
			t.Fatalf("manifest %+v %v", man, err)
		}
	}
}

// TestMultipartMergeOnLocalS3 checks merge's UploadPartCopy path against
// the real server: parts over 5 MiB copied server-side, small ones
// buffered.
func TestMultipartMergeOnLocalS3(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips starting the local S3 server")
	}
	ctx := context.Background()
	st, _ := startLocalS3(t)
	var parts []objstore.ObjectInfo
	var want []byte
	for i, size := range []int{6 << 20, 100, 3 << 20, 4 << 20, 7 << 20, 10} {
		b := bytes.Repeat([]byte{byte('a' + i)}, size)
		key := fmt.Sprintf("work/x/parts/%05d.csv", i)
		if _, err := st.Put(ctx, bucket, key, bytes.NewReader(b), ""); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, objstore.ObjectInfo{Bucket: bucket, Key: key, Size: int64(size)})
		want = append(want, b...)
	}
	method, err := mergeConcat(ctx, st, parts)
	if err != nil || method != "multipart" {
		t.Fatalf("concat: %s %v", method, err)
	}
	rc, _, err := st.Get(ctx, bucket, "work/x/merged.csv", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, want) {
		t.Fatalf("merged %d bytes, want %d", len(got), len(want))
	}
}
