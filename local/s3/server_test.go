package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
)

// start runs a server on a fresh directory (or dir, if given) and returns
// it with a client and a bucket named "bkt".
func start(t *testing.T, opts locals3.Options) (*locals3.Server, *awss3.Client) {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
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

func put(t *testing.T, c *awss3.Client, bucket, key, body string) *awss3.PutObjectOutput {
	t.Helper()
	out, err := c.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
	if err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return out
}

func get(t *testing.T, c *awss3.Client, bucket, key, rng string) string {
	t.Helper()
	in := &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if rng != "" {
		in.Range = aws.String(rng)
	}
	out, err := c.GetObject(context.Background(), in)
	if err != nil {
		t.Fatalf("GetObject %s/%s %s: %v", bucket, key, rng, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	return string(b)
}

func TestObjectAPI(t *testing.T) {
	srv, c := start(t, locals3.Options{DisableEvents: true})
	ctx := context.Background()
	createBucket(t, c, "bkt")
	put(t, c, "bkt", "hello.txt", "hello, world")

	t.Run("get and ranges", func(t *testing.T) {
		for _, tc := range []struct{ rng, want string }{
			{"", "hello, world"},
			{"bytes=0-4", "hello"},
			{"bytes=7-", "world"},
			{"bytes=-5", "world"},
		} {
			if got := get(t, c, "bkt", "hello.txt", tc.rng); got != tc.want {
				t.Errorf("range %q: got %q, want %q", tc.rng, got, tc.want)
			}
		}
		_, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("hello.txt"), Range: aws.String("bytes=100-200")})
		if err == nil || !strings.Contains(err.Error(), "InvalidRange") {
			t.Errorf("unsatisfiable range: got %v, want InvalidRange", err)
		}
		_, err = c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("missing")})
		var nf *types.NotFound
		if !errors.As(err, &nf) {
			t.Errorf("HeadObject missing: got %v, want NotFound", err)
		}
	})

	t.Run("list with pagination", func(t *testing.T) {
		want := []string{"list/a", "list/b", "list/c", "list/d", "list/e"}
		for _, k := range want {
			put(t, c, "bkt", k, k)
		}
		var got []string
		pages := 0
		p := awss3.NewListObjectsV2Paginator(c, &awss3.ListObjectsV2Input{Bucket: aws.String("bkt"), Prefix: aws.String("list/"), MaxKeys: aws.Int32(2)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, o := range page.Contents {
				got = append(got, aws.ToString(o.Key))
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") || pages != 3 {
			t.Errorf("got %v in %d pages, want %v in 3", got, pages, want)
		}
	})

	t.Run("copy", func(t *testing.T) {
		odd := "copy/odd key+é&=?.txt"
		_, err := c.CopyObject(ctx, &awss3.CopyObjectInput{Bucket: aws.String("bkt"), Key: aws.String(odd), CopySource: aws.String("bkt/hello.txt")})
		if err != nil {
			t.Fatal(err)
		}
		if got := get(t, c, "bkt", odd, ""); got != "hello, world" {
			t.Errorf("copy: got %q", got)
		}
	})

	t.Run("multipart with UploadPartCopy and range", func(t *testing.T) {
		part1 := bytes.Repeat([]byte("x"), 5<<20) // parts but the last need 5 MiB
		mpu, err := c.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("mpu/out")})
		if err != nil {
			t.Fatal(err)
		}
		up, err := c.UploadPart(ctx, &awss3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String("mpu/out"), UploadId: mpu.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(part1)})
		if err != nil {
			t.Fatal(err)
		}
		cp, err := c.UploadPartCopy(ctx, &awss3.UploadPartCopyInput{Bucket: aws.String("bkt"), Key: aws.String("mpu/out"), UploadId: mpu.UploadId, PartNumber: aws.Int32(2),
			CopySource: aws.String("bkt/hello.txt"), CopySourceRange: aws.String("bytes=7-11")})
		if err != nil {
			t.Fatal(err)
		}
		// ETag and PartNumber only: VersityGW rejects per-part checksums
		// for an upload created without ChecksumAlgorithm.
		_, err = c.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("mpu/out"), UploadId: mpu.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
				{ETag: up.ETag, PartNumber: aws.Int32(1)},
				{ETag: cp.CopyPartResult.ETag, PartNumber: aws.Int32(2)},
			}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := get(t, c, "bkt", "mpu/out", ""); got != string(part1)+"world" {
			t.Errorf("multipart object: %d bytes, tail %q", len(got), got[len(got)-5:])
		}
	})

	t.Run("delete", func(t *testing.T) {
		put(t, c, "bkt", "del/x", "x")
		if _, err := c.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String("bkt"), Key: aws.String("del/x")}); err != nil {
			t.Fatal(err)
		}
		_, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("del/x")})
		var nsk *types.NoSuchKey
		if !errors.As(err, &nsk) {
			t.Errorf("get after delete: got %v, want NoSuchKey", err)
		}
	})

	t.Run("presigned GET", func(t *testing.T) {
		ps := awss3.NewPresignClient(c)
		req, err := ps.PresignGetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("hello.txt")})
		if err != nil {
			t.Fatal(err)
		}
		if code, body := httpGet(t, req.URL); code != 200 || body != "hello, world" {
			t.Errorf("presigned: %d %q", code, body)
		}
		if code, _ := httpGet(t, strings.Replace(req.URL, "hello.txt", "hello.txt2", 1)); code != 403 {
			t.Errorf("tampered presigned URL: status %d, want 403", code)
		}
		ak, _ := srv.Credentials()
		wrong := awss3.NewPresignClient(awss3.New(awss3.Options{Region: srv.Region(), BaseEndpoint: aws.String(srv.Endpoint()), UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider(ak, "wrong-secret", "")}))
		req, err = wrong.PresignGetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("hello.txt")})
		if err != nil {
			t.Fatal(err)
		}
		if code, _ := httpGet(t, req.URL); code != 403 {
			t.Errorf("presigned with wrong secret: status %d, want 403", code)
		}
	})
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestKeysCannotLeaveDir(t *testing.T) {
	dir := t.TempDir()
	_, c := start(t, locals3.Options{Dir: filepath.Join(dir, "data"), DisableEvents: true})
	createBucket(t, c, "bkt")
	createBucket(t, c, "other")
	for _, key := range []string{"../escape", "../other/planted", "a/../../escape", "../../../escape", "..", "a/../.."} {
		_, err := c.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key), Body: strings.NewReader("x")})
		if err == nil {
			t.Errorf("PutObject %q succeeded, want an error", key)
		}
	}
	// Bucket names cannot climb out of the data directory either.
	for _, bucket := range []string{"..", "...", "../x"} {
		if _, err := c.CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String(bucket)}); err == nil {
			t.Errorf("CreateBucket %q succeeded, want an error", bucket)
		}
	}
	// Nor can a key read a file outside the bucket.
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "buckets", "other", "o"), []byte("other bucket"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"../../../secret", "../../secret", "../other/o", "a/../../other/o", "%2e%2e/other/o"} {
		out, err := c.GetObject(context.Background(), &awss3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key)})
		if err == nil {
			b, _ := io.ReadAll(out.Body)
			out.Body.Close()
			t.Errorf("GetObject %q read %q, want an error", key, b)
		}
	}
	// Nothing may appear outside the bucket directory.
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(info.Name(), "escape") || info.Name() == "planted" {
			t.Errorf("file written outside its bucket: %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// nonSeekable hides Seek so that the SDK streams the body.
type nonSeekable struct{ io.Reader }

func TestHTTPSStreamingUpload(t *testing.T) {
	srv, c := start(t, locals3.Options{TLS: true, DisableEvents: true})
	if !strings.HasPrefix(srv.Endpoint(), "https://127.0.0.1:") {
		t.Fatalf("endpoint %s, want https://127.0.0.1:port", srv.Endpoint())
	}
	createBucket(t, c, "bkt")
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	// Over HTTPS with an unseekable body the SDK sends the production
	// format: Content-Encoding aws-chunked with a trailing checksum.
	_, err := c.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("big"),
		Body: nonSeekable{bytes.NewReader(body)}, ContentLength: aws.Int64(int64(len(body)))})
	if err != nil {
		t.Fatalf("streamed PutObject over https: %v", err)
	}
	if got := get(t, c, "bkt", "big", ""); got != string(body) {
		t.Errorf("object differs after https upload: %d bytes, want %d", len(got), len(body))
	}
	out, err := c.GetObject(context.Background(), &awss3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("big"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	if out.ChecksumCRC32 == nil && out.ChecksumCRC64NVME == nil && out.ChecksumCRC32C == nil {
		t.Errorf("no checksum stored for the streamed upload: the trailer was not read")
	}
}

func TestRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	srv, c := start(t, locals3.Options{Dir: dir, DisableEvents: true})
	createBucket(t, c, "bkt")
	put(t, c, "bkt", "keep/me", "still here")
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.Done():
	default:
		t.Error("Done not closed after Close")
	}
	if err := srv.Err(); err != nil {
		t.Errorf("server exit: %v", err)
	}
	_, c2 := start(t, locals3.Options{Dir: dir, DisableEvents: true})
	if got := get(t, c2, "bkt", "keep/me", ""); got != "still here" {
		t.Errorf("after restart: %q", got)
	}
}

func TestWorkingDirectoryUnchanged(t *testing.T) {
	before, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	start(t, locals3.Options{DisableEvents: true})
	after, _ := os.Getwd()
	if before != after {
		t.Errorf("working directory changed from %s to %s", before, after)
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := locals3.Start(context.Background(), locals3.Options{}); err == nil || !strings.Contains(err.Error(), "Dir") {
		t.Errorf("no Dir: got %v", err)
	}
	srv, _ := start(t, locals3.Options{DisableEvents: true})
	addr := strings.TrimPrefix(srv.Endpoint(), "http://")
	_, err := locals3.Start(context.Background(), locals3.Options{Dir: t.TempDir(), Addr: addr})
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("busy address: got %v, want an error naming %s", err, addr)
	}
}
