package objstore

import (
	"context"
	"io"
)

// NewReaderAt returns an [io.ReaderAt] over s3://bucket/key that serves
// every ReadAt with one ranged GET, for Parquet footers and column chunks.
//
// io.ReaderAt has no context parameter, so ctx is bound here: it cancels
// every read made through the result, and the result must not outlive the
// call that created it (open, read and drop it within one step
// invocation).
func NewReaderAt(ctx context.Context, st Store, bucket, key string) io.ReaderAt {
	return &readerAt{ctx: ctx, st: st, bucket: bucket, key: key}
}

type readerAt struct {
	ctx         context.Context // see NewReaderAt: io.ReaderAt cannot take one per call
	st          Store
	bucket, key string
}

// ReadAt implements io.ReaderAt. A read past the end returns the bytes
// there are and io.EOF.
func (r *readerAt) ReadAt(p []byte, off int64) (int, error) {
	rc, _, err := r.st.Get(r.ctx, r.bucket, r.key, off, off+int64(len(p)))
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	n, err := io.ReadFull(rc, p)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}
