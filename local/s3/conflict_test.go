package s3_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
)

// TestKeyPrefixConflict pins a limitation of the POSIX layout (see the
// package doc): a key cannot also be the "directory" of other keys.
func TestKeyPrefixConflict(t *testing.T) {
	_, c := start(t, locals3.Options{DisableEvents: true})
	createBucket(t, c, "bkt")
	put(t, c, "bkt", "parts/a", "file")
	_, err := c.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("parts/a/b"), Body: strings.NewReader("x")})
	if err == nil || !strings.Contains(err.Error(), "ObjectParentIsFile") {
		t.Errorf("put under an object key: %v, want 409 ObjectParentIsFile", err)
	}
	put(t, c, "bkt", "dir/x", "file")
	_, err = c.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("dir"), Body: strings.NewReader("x")})
	if err == nil || !strings.Contains(err.Error(), "ExistingObjectIsDirectory") {
		t.Errorf("put at a prefix: %v, want 409 ExistingObjectIsDirectory", err)
	}
}
