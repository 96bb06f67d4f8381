package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/stepwise-dev/stepwise/statemachine/objects"
	"github.com/stepwise-dev/stepwise/steps/export"
)

// SDK is a [Store] over an aws-sdk-go-v2 S3 client. Create it once per
// process (at Lambda init), not per invocation.
type SDK struct {
	client *s3.Client
	//lint:ignore SA1019 manager.Uploader is kept for the steps: its successor feature/s3/transfermanager (v0; the runner's source upload uses it) adds CRC32 checksums to every upload by default, and the steps' own multipart assembly (CompleteMultipart, UploadPartCopy) sends none, so moving the steps is a change of its own, with its checks.
	uploader *manager.Uploader
	presign  *s3.PresignClient
	// MaxKeys is the page size of List's ListObjectsV2 calls; 0 means S3's
	// default (1,000). Set it before first use.
	MaxKeys int32
}

var _ objects.Store = (*SDK)(nil)

// UploadPartSize and UploadConcurrency bound Put's memory: the upload
// manager buffers at most UploadPartSize × UploadConcurrency bytes.
const (
	UploadPartSize    = 8 << 20
	UploadConcurrency = 4
)

// NewSDK wraps an S3 client. The store uses a copy of the client with the
// steps' retryer ([NewRetryer]) and without the SDK's log line for every
// ranged GET whose checksum it cannot validate.
func NewSDK(client *s3.Client) *SDK {
	client = s3.New(client.Options(), func(o *s3.Options) {
		o.Retryer = NewRetryer()
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	return &SDK{
		client: client,
		//lint:ignore SA1019 see SDK.uploader.
		uploader: manager.NewUploader(client, func(u *manager.Uploader) {
			u.PartSize = UploadPartSize
			u.Concurrency = UploadConcurrency
		}),
		presign: s3.NewPresignClient(client),
	}
}

// NewSDKFromEnv loads the AWS configuration the way every Lambda does
// (config.LoadDefaultConfig: region, credentials, AWS_ENDPOINT_URL_S3,
// AWS_CA_BUNDLE) with a retryer tuned for S3 slow-downs, and returns a
// store over it. STEPWISE_S3_PATH_STYLE=true selects path-style addressing
// (the local S3 needs it); it is the default when AWS_ENDPOINT_URL_S3 is set,
// unless STEPWISE_S3_PATH_STYLE=false.
func NewSDKFromEnv(ctx context.Context) (*SDK, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(NewRetryer))
	if err != nil {
		return nil, fmt.Errorf("objstore: load AWS config: %w", err)
	}
	return NewSDK(NewS3Client(cfg, S3Options{PathStyle: pathStyleFromEnv(os.Getenv)})), nil
}

// pathStyleFromEnv reads STEPWISE_S3_PATH_STYLE, defaulting to path-style
// when AWS_ENDPOINT_URL_S3 points the steps at a non-AWS S3.
func pathStyleFromEnv(getenv func(string) string) bool {
	ps := getenv("STEPWISE_S3_PATH_STYLE")
	return ps == "true" || (ps == "" && getenv("AWS_ENDPOINT_URL_S3") != "")
}

// NewRetryer is the retryer the steps use: more attempts and a longer
// back-off ceiling than the SDK default, because S3 answers bursts of
// parallel part writes with 503 SlowDown, and no client-side retry quota,
// which would otherwise turn a burst of slow-downs into immediate failures.
func NewRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 10
		o.MaxBackoff = 20 * time.Second
		o.RateLimiter = ratelimit.None
	})
}

// Client returns the underlying S3 client.
func (s *SDK) Client() *s3.Client { return s.client }

// mapErr turns SDK errors into the export error types.
func mapErr(op, bucket, key string, err error) error {
	if err == nil {
		return nil
	}
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return &export.NotFound{Bucket: bucket, Key: key}
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		if c := re.HTTPStatusCode(); c == http.StatusNotFound {
			return &export.NotFound{Bucket: bucket, Key: key}
		} else if c >= 500 || c == http.StatusTooManyRequests {
			return &export.S3Unavailable{Op: fmt.Sprintf("%s s3://%s/%s", op, bucket, key), Err: err}
		}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling", "ThrottlingException":
			return &export.S3Unavailable{Op: fmt.Sprintf("%s s3://%s/%s", op, bucket, key), Err: err}
		}
		return fmt.Errorf("%s s3://%s/%s: %w", op, bucket, key, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s s3://%s/%s: %w", op, bucket, key, err)
	}
	// Anything else is a transport failure (reset, EOF, DNS) the SDK
	// already retried.
	return &export.S3Unavailable{Op: fmt.Sprintf("%s s3://%s/%s", op, bucket, key), Err: err}
}

// Head implements [Store].
func (s *SDK) Head(ctx context.Context, bucket, key string) (ObjectInfo, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return ObjectInfo{}, mapErr("HeadObject", bucket, key, err)
	}
	return ObjectInfo{Bucket: bucket, Key: key, Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag)}, nil
}

// Get implements [Store].
func (s *SDK) Get(ctx context.Context, bucket, key string, start, end int64) (io.ReadCloser, ObjectInfo, error) {
	in := &s3.GetObjectInput{Bucket: &bucket, Key: &key}
	if start > 0 || end >= 0 {
		if end >= 0 && end <= start {
			return io.NopCloser(eofReader{}), ObjectInfo{Bucket: bucket, Key: key}, nil
		}
		r := fmt.Sprintf("bytes=%d-", start)
		if end >= 0 {
			r += fmt.Sprint(end - 1)
		}
		in.Range = &r
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		return nil, ObjectInfo{}, mapErr("GetObject", bucket, key, err)
	}
	info := ObjectInfo{Bucket: bucket, Key: key, ETag: aws.ToString(out.ETag), Size: aws.ToInt64(out.ContentLength)}
	return out.Body, info, nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// Put implements [Store] with the upload manager: bodies up to
// UploadPartSize are one PutObject, larger ones a multipart upload.
func (s *SDK) Put(ctx context.Context, bucket, key string, body io.Reader, contentType string) (ObjectInfo, error) {
	in := &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: body}
	if contentType != "" {
		in.ContentType = &contentType
	}
	//lint:ignore SA1019 see SDK.uploader.
	out, err := s.uploader.Upload(ctx, in)
	if err != nil {
		return ObjectInfo{}, mapErr("PutObject", bucket, key, err)
	}
	return ObjectInfo{Bucket: bucket, Key: key, ETag: aws.ToString(out.ETag)}, nil
}

// List implements [Store] with the ListObjectsV2 paginator. ETags keep the
// quotes S3 returns, as Step Functions' listObjectsV2 ItemReader reports them.
func (s *SDK) List(ctx context.Context, bucket, prefix string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	in := &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix}
	if s.MaxKeys > 0 {
		in.MaxKeys = aws.Int32(s.MaxKeys)
	}
	p := s3.NewListObjectsV2Paginator(s.client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, mapErr("ListObjectsV2", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			info := ObjectInfo{
				Bucket: bucket, Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag),
				LastModified: aws.ToTime(o.LastModified), StorageClass: string(o.StorageClass),
			}
			if info.StorageClass == "" {
				info.StorageClass = "STANDARD"
			}
			out = append(out, info)
		}
	}
	return out, nil
}

// Delete implements [Store] with DeleteObjects, 1000 keys per call.
func (s *SDK) Delete(ctx context.Context, bucket string, keys ...string) error {
	for len(keys) > 0 {
		n := min(len(keys), 1000)
		ids := make([]types.ObjectIdentifier, n)
		for i, k := range keys[:n] {
			ids[i] = types.ObjectIdentifier{Key: aws.String(k)}
		}
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket, Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		if err != nil {
			return mapErr("DeleteObjects", bucket, keys[0], err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("DeleteObjects s3://%s/%s: %s: %s", bucket, aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
		}
		keys = keys[n:]
	}
	return nil
}

// Copy implements [Store]: CopyObject up to 5 GiB, a multipart copy above.
func (s *SDK) Copy(ctx context.Context, dstBucket, dstKey, srcBucket, srcKey string) (ObjectInfo, error) {
	src, err := s.Head(ctx, srcBucket, srcKey)
	if err != nil {
		return ObjectInfo{}, err
	}
	if src.Size <= MaxCopyPartSize {
		out, err := s.client.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &dstBucket, Key: &dstKey, CopySource: aws.String(copySource(srcBucket, srcKey))})
		if err != nil {
			return ObjectInfo{}, mapErr("CopyObject", dstBucket, dstKey, err)
		}
		etag := ""
		if out.CopyObjectResult != nil {
			etag = aws.ToString(out.CopyObjectResult.ETag)
		}
		return ObjectInfo{Bucket: dstBucket, Key: dstKey, Size: src.Size, ETag: etag}, nil
	}
	return CopyMultipart(ctx, s, dstBucket, dstKey, srcBucket, srcKey, src.Size)
}

// CopyMultipart copies a large object with UploadPartCopy in 1 GiB ranges.
func CopyMultipart(ctx context.Context, st Store, dstBucket, dstKey, srcBucket, srcKey string, size int64) (ObjectInfo, error) {
	id, err := st.CreateMultipart(ctx, dstBucket, dstKey, "")
	if err != nil {
		return ObjectInfo{}, err
	}
	const chunk = 1 << 30
	var parts []Part
	for off, n := int64(0), int32(1); off < size; off, n = off+chunk, n+1 {
		p, err := st.UploadPartCopy(ctx, dstBucket, dstKey, id, n, srcBucket, srcKey, off, min(off+chunk, size))
		if err != nil {
			_ = st.AbortMultipart(context.WithoutCancel(ctx), dstBucket, dstKey, id)
			return ObjectInfo{}, err
		}
		parts = append(parts, p)
	}
	info, err := st.CompleteMultipart(ctx, dstBucket, dstKey, id, parts)
	if err != nil {
		_ = st.AbortMultipart(context.WithoutCancel(ctx), dstBucket, dstKey, id)
	}
	return info, err
}

func copySource(bucket, key string) string {
	return bucket + "/" + escapeKey(key)
}

// escapeKey URL-encodes a key for x-amz-copy-source, keeping '/'.
func escapeKey(key string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

// CreateMultipart implements [Store].
func (s *SDK) CreateMultipart(ctx context.Context, bucket, key, contentType string) (string, error) {
	in := &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key}
	if contentType != "" {
		in.ContentType = &contentType
	}
	out, err := s.client.CreateMultipartUpload(ctx, in)
	if err != nil {
		return "", mapErr("CreateMultipartUpload", bucket, key, err)
	}
	return aws.ToString(out.UploadId), nil
}

// UploadPart implements [Store].
func (s *SDK) UploadPart(ctx context.Context, bucket, key, uploadID string, n int32, data []byte) (Part, error) {
	out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: &uploadID, PartNumber: &n, Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))})
	if err != nil {
		return Part{}, mapErr("UploadPart", bucket, key, err)
	}
	return Part{Number: n, ETag: aws.ToString(out.ETag)}, nil
}

// UploadPartCopy implements [Store].
func (s *SDK) UploadPartCopy(ctx context.Context, bucket, key, uploadID string, n int32, srcBucket, srcKey string, start, end int64) (Part, error) {
	out, err := s.client.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
		Bucket: &bucket, Key: &key, UploadId: &uploadID, PartNumber: &n,
		CopySource:      aws.String(copySource(srcBucket, srcKey)),
		CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", start, end-1)),
	})
	if err != nil {
		return Part{}, mapErr("UploadPartCopy", bucket, key, err)
	}
	etag := ""
	if out.CopyPartResult != nil {
		etag = aws.ToString(out.CopyPartResult.ETag)
	}
	return Part{Number: n, ETag: etag}, nil
}

// CompleteMultipart implements [Store]. It sends only part numbers and
// ETags: per-part checksums on an upload created without a checksum
// algorithm are rejected by some S3 implementations.
func (s *SDK) CompleteMultipart(ctx context.Context, bucket, key, uploadID string, parts []Part) (ObjectInfo, error) {
	cps := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		cps[i] = types.CompletedPart{PartNumber: aws.Int32(p.Number), ETag: aws.String(p.ETag)}
	}
	out, err := s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: &uploadID, MultipartUpload: &types.CompletedMultipartUpload{Parts: cps}})
	if err != nil {
		return ObjectInfo{}, mapErr("CompleteMultipartUpload", bucket, key, err)
	}
	return ObjectInfo{Bucket: bucket, Key: key, ETag: aws.ToString(out.ETag)}, nil
}

// AbortMultipart implements [Store].
func (s *SDK) AbortMultipart(ctx context.Context, bucket, key, uploadID string) error {
	_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: &uploadID})
	return mapErr("AbortMultipartUpload", bucket, key, err)
}

// Presign implements [Store].
func (s *SDK) Presign(ctx context.Context, bucket, key string, ttl time.Duration) (string, error) {
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign s3://%s/%s: %w", bucket, key, err)
	}
	return req.URL, nil
}
