// Package objstore is the steps' narrow view of S3: the handful of object
// operations the export steps need, an implementation over aws-sdk-go-v2
// ([SDK]) and an in-memory one for tests ([Memory]).
//
// It is not a general S3 client: no versions, ACLs, tagging or bucket
// management. Failures are mapped to the export error types the state
// machine matches: a missing object is [export.NotFound], and throttling,
// 5xx responses and dropped connections (after the SDK's own retries) are
// [export.S3Unavailable].
package objstore

import (
	"context"
	"io"
	"time"
)

// MinPartSize is S3's minimum size of every multipart-upload part but the
// last.
const MinPartSize = 5 << 20

// MaxCopyPartSize is S3's maximum size of one UploadPartCopy range and of a
// single CopyObject.
const MaxCopyPartSize = 5 << 30

// ObjectInfo describes one object.
type ObjectInfo struct {
	Bucket string
	Key    string
	Size   int64
	ETag   string // as S3 returns it, with quotes
}

// Part is a completed multipart-upload part.
type Part struct {
	Number int32
	ETag   string
}

// Store is what the export steps need from S3. Implementations are safe for
// concurrent use.
type Store interface {
	// Head returns an object's size and ETag.
	Head(ctx context.Context, bucket, key string) (ObjectInfo, error)
	// Get reads bytes [start, end) of an object; end < 0 reads to the end.
	Get(ctx context.Context, bucket, key string, start, end int64) (io.ReadCloser, ObjectInfo, error)
	// Put writes an object from a stream of unknown length.
	Put(ctx context.Context, bucket, key string, body io.Reader, contentType string) (ObjectInfo, error)
	// List returns every object under prefix, in key order.
	List(ctx context.Context, bucket, prefix string) ([]ObjectInfo, error)
	// Delete removes objects; missing ones are not an error.
	Delete(ctx context.Context, bucket string, keys ...string) error
	// Copy copies an object within S3 (server-side).
	Copy(ctx context.Context, dstBucket, dstKey, srcBucket, srcKey string) (ObjectInfo, error)
	// CreateMultipart starts a multipart upload and returns its id.
	CreateMultipart(ctx context.Context, bucket, key, contentType string) (string, error)
	// UploadPart uploads one part from memory.
	UploadPart(ctx context.Context, bucket, key, uploadID string, n int32, data []byte) (Part, error)
	// UploadPartCopy makes bytes [start, end) of another object part n.
	UploadPartCopy(ctx context.Context, bucket, key, uploadID string, n int32, srcBucket, srcKey string, start, end int64) (Part, error)
	// CompleteMultipart assembles the parts.
	CompleteMultipart(ctx context.Context, bucket, key, uploadID string, parts []Part) (ObjectInfo, error)
	// AbortMultipart discards an upload.
	AbortMultipart(ctx context.Context, bucket, key, uploadID string) error
	// Presign returns a GET URL valid for ttl.
	Presign(ctx context.Context, bucket, key string, ttl time.Duration) (string, error)
}
