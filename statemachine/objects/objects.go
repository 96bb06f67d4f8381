// Package objects declares the one object-store interface of Stepwise:
// [Store], the slice of S3 that both the engine (a Distributed Map's
// ItemReader and ResultWriter, package itemio) and the Lambda steps use,
// with the one [ObjectInfo] type its listings and writes report.
//
// It holds no implementation and imports only the standard library, so
// the engine can depend on it. The implementations live at the edges:
// package steps/objstore has one over aws-sdk-go-v2 (the local S3 server
// and AWS alike) and an in-memory one for tests.
//
// It is not a general S3 client: no versions, ACLs, tagging or bucket
// management.
package objects

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

// ObjectInfo describes one object. Which fields are set depends on the
// call: List sets all of them; Head and Get set Bucket, Key, Size and ETag;
// writes set at least Bucket, Key and ETag.
type ObjectInfo struct {
	Bucket       string
	Key          string
	Size         int64
	ETag         string // as S3 returns it, with quotes
	LastModified time.Time
	StorageClass string // "STANDARD" when S3 names none
}

// Part is a completed multipart-upload part.
type Part struct {
	Number int32
	ETag   string
}

// Store is what Stepwise needs from S3. Implementations are safe for
// concurrent use.
type Store interface {
	// Head returns an object's size and ETag.
	Head(ctx context.Context, bucket, key string) (ObjectInfo, error)
	// Get reads bytes [start, end) of an object; Get(ctx, b, k, 0, -1)
	// reads all of it.
	Get(ctx context.Context, bucket, key string, start, end int64) (io.ReadCloser, ObjectInfo, error)
	// Put writes an object from a stream of unknown length; contentType
	// may be empty.
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
