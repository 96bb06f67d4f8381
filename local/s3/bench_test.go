package s3_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
)

func benchPut(b *testing.B, opts locals3.Options, size int) {
	opts.Dir = b.TempDir()
	srv, err := locals3.Start(context.Background(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c, err := srv.NewClient(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), size)
	b.SetBytes(int64(size))
	i := 0
	for b.Loop() {
		_, err := c.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(fmt.Sprintf("k/%d", i%100)), Body: bytes.NewReader(body)})
		if err != nil {
			b.Fatal(err)
		}
		if !opts.DisableEvents {
			<-srv.Events()
		}
		i++
	}
}

// BenchmarkPutObject1KiB measures small PUTs; with events it includes the
// delivery of the object-created event to the parent process.
func BenchmarkPutObject1KiB(b *testing.B) { benchPut(b, locals3.Options{DisableEvents: true}, 1<<10) }

func BenchmarkPutObject1KiBWithEvent(b *testing.B) { benchPut(b, locals3.Options{}, 1<<10) }

func BenchmarkPutObject16MiB(b *testing.B) { benchPut(b, locals3.Options{DisableEvents: true}, 16<<20) }

func BenchmarkPutObject16MiBHTTPS(b *testing.B) {
	benchPut(b, locals3.Options{DisableEvents: true, TLS: true}, 16<<20)
}

func BenchmarkGetObject16MiB(b *testing.B) { benchGet(b, locals3.Options{DisableEvents: true}, 16<<20) }

// BenchmarkPutObject256MiB and BenchmarkGetObject256MiB measure the
// throughput of large bodies, which stream through the server.
func BenchmarkPutObject256MiB(b *testing.B) {
	benchPut(b, locals3.Options{DisableEvents: true}, 256<<20)
}

func BenchmarkGetObject256MiB(b *testing.B) {
	benchGet(b, locals3.Options{DisableEvents: true}, 256<<20)
}

// BenchmarkGetObjectRange64MiB is a ranged GET of 64 MiB, as a report
// part reads its byte range (a ranged read takes another path through
// VersityGW than a whole object).
func BenchmarkGetObjectRange64MiB(b *testing.B) {
	benchGetRange(b, locals3.Options{DisableEvents: true}, 65<<20, 1<<20, 65<<20)
}

func benchGet(b *testing.B, opts locals3.Options, size int) {
	benchGetRange(b, opts, size, 0, 0)
}

// benchGetRange puts an object of size bytes and GETs bytes [start, end)
// of it, or all of it when end is 0.
func benchGetRange(b *testing.B, opts locals3.Options, size, start, end int) {
	opts.Dir = b.TempDir()
	srv, err := locals3.Start(context.Background(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c, _ := srv.NewClient(context.Background())
	ctx := context.Background()
	c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("bkt")})
	body := bytes.Repeat([]byte("x"), size)
	if _, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), Body: bytes.NewReader(body)}); err != nil {
		b.Fatal(err)
	}
	in := &awss3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k")}
	b.SetBytes(int64(len(body)))
	if end > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", start, end-1))
		b.SetBytes(int64(end - start))
	}
	for b.Loop() {
		out, err := c.GetObject(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, out.Body)
		out.Body.Close()
	}
}
