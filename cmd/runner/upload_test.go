package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	locals3 "github.com/stepwise-dev/stepwise/local/s3"
)

// TestUploadMultipart uploads a source bigger than one upload part to the
// local S3 and checks that the object holds exactly the file's bytes under
// its content-hash key, that the summary line counts every byte sent (the
// meter sees each accepted part), and that a second upload of the same
// file is skipped.
func TestUploadMultipart(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 17 MiB to a local S3; skipped with -short")
	}
	ctx := context.Background()
	srv, err := locals3.Start(ctx, locals3.Options{Dir: t.TempDir(), DisableEvents: true, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	client, err := srv.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("upload-test")}); err != nil {
		t.Fatal(err)
	}
	// 16 MiB parts: two parts, the second a short one.
	data := bytes.Repeat([]byte("order_id,total\n1,2.5\n"), (17<<20)/21)
	file := filepath.Join(t.TempDir(), "big.csv")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	a := &app{stderr: &stderr, g: globalFlags{output: "text"}}
	tg := &target{s3: client, bucket: "upload-test"}
	key, err := upload(ctx, a, tg, file)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^uploads/[0-9a-f]{16}/big\.csv$`).MatchString(key) {
		t.Errorf("key %q, want uploads/<hash>/big.csv", key)
	}
	obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("upload-test"), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if etag := aws.ToString(obj.ETag); !strings.HasSuffix(etag, `-2"`) {
		t.Errorf("ETag %s: want a multipart upload of 2 parts", etag)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("uploaded object has %d bytes, want the file's %d", len(got), len(data))
	}
	if want := "uploaded " + file + " (" + fmtBytes(int64(len(data))) + " in "; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr %q, want it to contain %q", stderr.String(), want)
	}
	stderr.Reset()
	if again, err := upload(ctx, a, tg, file); err != nil || again != key {
		t.Fatalf("second upload: %q, %v; want %q", again, err, key)
	}
	if !strings.Contains(stderr.String(), "source already uploaded: s3://upload-test/"+key) {
		t.Errorf("second upload: stderr %q, want it to say the source is already uploaded", stderr.String())
	}
}
