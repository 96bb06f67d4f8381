// Package s3store implements the engine's [statemachine.ObjectStore] over
// an aws-sdk-go-v2 S3 client, so that a Distributed Map's ItemReader and
// ResultWriter read and write real S3: the local server of package
// local/s3 or AWS itself (only the client's endpoint differs).
//
// It is a thin adapter: no caching, no retries beyond the SDK's own, and
// nothing but the three calls the engine needs.
package s3store

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// Store is a [statemachine.ObjectStore] backed by an S3 client. It is safe
// for concurrent use, as the client is.
type Store struct {
	client *s3.Client
	// MaxKeys is the page size of ListObjectsV2 calls; 0 means S3's
	// default (1,000). Set it before first use.
	MaxKeys int32
}

var _ statemachine.ObjectStore = (*Store)(nil)

// New returns a Store that uses client.
func New(client *s3.Client) *Store { return &Store{client: client} }

// GetObject opens s3://bucket/key for reading. Errors name the object.
func (s *Store) GetObject(ctx context.Context, bucket, key string) (io.ReadCloser, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	return out.Body, nil
}

// ListObjects calls fn for every object under prefix in key order, page by
// page (ListObjectsV2). ObjectInfo.ETag keeps the quotes S3 returns, as
// Step Functions' listObjectsV2 ItemReader does.
func (s *Store) ListObjects(ctx context.Context, bucket, prefix string, fn func(statemachine.ObjectInfo) error) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	if s.MaxKeys > 0 {
		in.MaxKeys = aws.Int32(s.MaxKeys)
	}
	p := s3.NewListObjectsV2Paginator(s.client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			info := statemachine.ObjectInfo{
				Key:          aws.ToString(o.Key),
				ETag:         aws.ToString(o.ETag),
				Size:         aws.ToInt64(o.Size),
				LastModified: aws.ToTime(o.LastModified),
				StorageClass: string(o.StorageClass),
			}
			if info.StorageClass == "" {
				info.StorageClass = "STANDARD"
			}
			if err := fn(info); err != nil {
				return err
			}
		}
	}
	return nil
}

// PutObject writes body to s3://bucket/key. Errors name the object.
func (s *Store) PutObject(ctx context.Context, bucket, key string, body []byte) error {
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
	})
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}
