package s3_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
)

// TestConventionalKeys: besides its own keys the server accepts test/test,
// the keys people export for local AWS stacks, with full rights on
// buckets created with the other key; unknown keys get
// InvalidAccessKeyId, not XAdminUserNotFound.
func TestConventionalKeys(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := locals3.Start(ctx, locals3.Options{Dir: t.TempDir(), DisableEvents: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	own, err := srv.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := own.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	if _, err := own.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("a"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatal(err)
	}
	client := func(ak, sk string) *awss3.Client {
		return awss3.New(awss3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint()), UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider(ak, sk, "")})
	}
	test := client(locals3.ConventionalAccessKey, locals3.ConventionalSecretKey)
	list, err := test.ListBuckets(ctx, &awss3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("test/test: %v", err)
	}
	if len(list.Buckets) != 1 || aws.ToString(list.Buckets[0].Name) != "bkt" {
		t.Errorf("test/test lists %d buckets, want bkt", len(list.Buckets))
	}
	obj, err := test.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(b) != "hello" {
		t.Errorf("got %q", b)
	}
	if _, err := test.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("b"), Body: strings.NewReader("x")}); err != nil {
		t.Errorf("test/test cannot write: %v", err)
	}
	_, err = client("nobody", "x").ListBuckets(ctx, &awss3.ListBucketsInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidAccessKeyId" {
		t.Errorf("unknown key: %v, want InvalidAccessKeyId", err)
	}
}
