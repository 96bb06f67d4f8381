package objstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/objects"
	"github.com/stepwise-dev/stepwise/steps/export"
)

// Memory is an in-memory [Store] for tests. It enforces the S3 rules the
// steps must respect (the 5 MiB minimum part size, part ETags on Complete)
// and computes ETags as S3 does for unencrypted objects. Fail, when set, is
// called before every operation and may inject an error.
type Memory struct {
	// Fail is called with the operation name ("Get", "Put", ...), bucket and
	// key before each operation; a non-nil result fails the operation.
	Fail func(op, bucket, key string) error
	// Now, when set, is the clock of LastModified (time.Now otherwise).
	Now func() time.Time

	mu      sync.Mutex
	objects map[string]memObject
	uploads map[string]*memUpload
	nextID  int
}

type memObject struct {
	data []byte
	etag string
	mod  time.Time
}

type memUpload struct {
	bucket, key string
	parts       map[int32]memObject
}

var _ objects.Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{objects: map[string]memObject{}, uploads: map[string]*memUpload{}}
}

func (m *Memory) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC().Truncate(time.Second)
	}
	return time.Now().UTC().Truncate(time.Second)
}

func memKey(bucket, key string) string { return bucket + "/" + key }

func (m *Memory) fail(op, bucket, key string) error {
	if m.Fail != nil {
		return m.Fail(op, bucket, key)
	}
	return nil
}

func md5ETag(data []byte) string {
	sum := md5.Sum(data)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// Object returns a copy of an object's bytes, for assertions.
func (m *Memory) Object(bucket, key string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[memKey(bucket, key)]
	return bytes.Clone(o.data), ok
}

// PutBytes stores an object, for test setup.
func (m *Memory) PutBytes(bucket, key string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[memKey(bucket, key)] = memObject{data: bytes.Clone(data), etag: md5ETag(data), mod: m.now()}
}

// Keys returns every key in bucket under prefix, sorted.
func (m *Memory) Keys(bucket, prefix string) []string {
	infos, _ := m.List(context.Background(), bucket, prefix)
	keys := make([]string, len(infos))
	for i, o := range infos {
		keys[i] = o.Key
	}
	return keys
}

// OpenUploads returns the number of multipart uploads neither completed nor
// aborted.
func (m *Memory) OpenUploads() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.uploads)
}

// Head implements [Store].
func (m *Memory) Head(ctx context.Context, bucket, key string) (ObjectInfo, error) {
	if err := m.fail("Head", bucket, key); err != nil {
		return ObjectInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[memKey(bucket, key)]
	if !ok {
		return ObjectInfo{}, &export.NotFound{Bucket: bucket, Key: key}
	}
	return ObjectInfo{Bucket: bucket, Key: key, Size: int64(len(o.data)), ETag: o.etag}, nil
}

// Get implements [Store].
func (m *Memory) Get(ctx context.Context, bucket, key string, start, end int64) (io.ReadCloser, ObjectInfo, error) {
	if err := m.fail("Get", bucket, key); err != nil {
		return nil, ObjectInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[memKey(bucket, key)]
	if !ok {
		return nil, ObjectInfo{}, &export.NotFound{Bucket: bucket, Key: key}
	}
	size := int64(len(o.data))
	if end < 0 || end > size {
		end = size
	}
	if start > end {
		return nil, ObjectInfo{}, fmt.Errorf("objstore: get s3://%s/%s: range %d-%d not satisfiable (size %d)", bucket, key, start, end, size)
	}
	return io.NopCloser(bytes.NewReader(o.data[start:end])), ObjectInfo{Bucket: bucket, Key: key, Size: size, ETag: o.etag}, nil
}

// Put implements [Store].
func (m *Memory) Put(ctx context.Context, bucket, key string, body io.Reader, contentType string) (ObjectInfo, error) {
	if err := m.fail("Put", bucket, key); err != nil {
		return ObjectInfo{}, err
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("objstore: put s3://%s/%s: %w", bucket, key, err)
	}
	m.PutBytes(bucket, key, data)
	return m.Head(ctx, bucket, key)
}

// List implements [Store].
func (m *Memory) List(ctx context.Context, bucket, prefix string) ([]ObjectInfo, error) {
	if err := m.fail("List", bucket, prefix); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []ObjectInfo
	for k, o := range m.objects {
		b, key, _ := strings.Cut(k, "/")
		if b == bucket && strings.HasPrefix(key, prefix) {
			out = append(out, ObjectInfo{Bucket: b, Key: key, Size: int64(len(o.data)), ETag: o.etag, LastModified: o.mod, StorageClass: "STANDARD"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete implements [Store].
func (m *Memory) Delete(ctx context.Context, bucket string, keys ...string) error {
	for _, k := range keys {
		if err := m.fail("Delete", bucket, k); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		delete(m.objects, memKey(bucket, k))
	}
	return nil
}

// Copy implements [Store].
func (m *Memory) Copy(ctx context.Context, dstBucket, dstKey, srcBucket, srcKey string) (ObjectInfo, error) {
	if err := m.fail("Copy", dstBucket, dstKey); err != nil {
		return ObjectInfo{}, err
	}
	m.mu.Lock()
	o, ok := m.objects[memKey(srcBucket, srcKey)]
	if ok {
		o.mod = m.now()
		m.objects[memKey(dstBucket, dstKey)] = o
	}
	m.mu.Unlock()
	if !ok {
		return ObjectInfo{}, &export.NotFound{Bucket: srcBucket, Key: srcKey}
	}
	return m.Head(ctx, dstBucket, dstKey)
}

// CreateMultipart implements [Store].
func (m *Memory) CreateMultipart(ctx context.Context, bucket, key, contentType string) (string, error) {
	if err := m.fail("CreateMultipart", bucket, key); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	id := fmt.Sprintf("upload-%d", m.nextID)
	m.uploads[id] = &memUpload{bucket: bucket, key: key, parts: map[int32]memObject{}}
	return id, nil
}

func (m *Memory) upload(id, bucket, key string) (*memUpload, error) {
	u, ok := m.uploads[id]
	if !ok || u.bucket != bucket || u.key != key {
		return nil, fmt.Errorf("objstore: NoSuchUpload %s for s3://%s/%s", id, bucket, key)
	}
	return u, nil
}

// UploadPart implements [Store].
func (m *Memory) UploadPart(ctx context.Context, bucket, key, uploadID string, n int32, data []byte) (Part, error) {
	if err := m.fail("UploadPart", bucket, key); err != nil {
		return Part{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	u, err := m.upload(uploadID, bucket, key)
	if err != nil {
		return Part{}, err
	}
	if n < 1 || n > 10000 {
		return Part{}, fmt.Errorf("objstore: part number %d outside 1..10000", n)
	}
	o := memObject{data: bytes.Clone(data), etag: md5ETag(data)}
	u.parts[n] = o
	return Part{Number: n, ETag: o.etag}, nil
}

// UploadPartCopy implements [Store].
func (m *Memory) UploadPartCopy(ctx context.Context, bucket, key, uploadID string, n int32, srcBucket, srcKey string, start, end int64) (Part, error) {
	if err := m.fail("UploadPartCopy", bucket, key); err != nil {
		return Part{}, err
	}
	m.mu.Lock()
	src, ok := m.objects[memKey(srcBucket, srcKey)]
	m.mu.Unlock()
	if !ok {
		return Part{}, &export.NotFound{Bucket: srcBucket, Key: srcKey}
	}
	if start < 0 || end > int64(len(src.data)) || start >= end || end-start > MaxCopyPartSize {
		return Part{}, fmt.Errorf("objstore: UploadPartCopy s3://%s/%s: bad range %d-%d of %d bytes", srcBucket, srcKey, start, end, len(src.data))
	}
	return m.UploadPart(ctx, bucket, key, uploadID, n, src.data[start:end])
}

// CompleteMultipart implements [Store].
func (m *Memory) CompleteMultipart(ctx context.Context, bucket, key, uploadID string, parts []Part) (ObjectInfo, error) {
	if err := m.fail("CompleteMultipart", bucket, key); err != nil {
		return ObjectInfo{}, err
	}
	m.mu.Lock()
	u, err := m.upload(uploadID, bucket, key)
	if err != nil {
		m.mu.Unlock()
		return ObjectInfo{}, err
	}
	var data []byte
	sums := md5.New()
	for i, p := range parts {
		o, ok := u.parts[p.Number]
		if !ok || o.etag != p.ETag || (i > 0 && parts[i-1].Number >= p.Number) {
			m.mu.Unlock()
			return ObjectInfo{}, fmt.Errorf("objstore: InvalidPart %d (etag %s) in upload %s", p.Number, p.ETag, uploadID)
		}
		if i < len(parts)-1 && len(o.data) < MinPartSize {
			m.mu.Unlock()
			return ObjectInfo{}, fmt.Errorf("objstore: EntityTooSmall: part %d is %d bytes; every part but the last must be at least %d", p.Number, len(o.data), MinPartSize)
		}
		data = append(data, o.data...)
		raw, _ := hex.DecodeString(strings.Trim(o.etag, `"`))
		sums.Write(raw)
	}
	etag := fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(sums.Sum(nil)), len(parts))
	m.objects[memKey(bucket, key)] = memObject{data: data, etag: etag, mod: m.now()}
	delete(m.uploads, uploadID)
	m.mu.Unlock()
	return ObjectInfo{Bucket: bucket, Key: key, Size: int64(len(data)), ETag: etag}, nil
}

// AbortMultipart implements [Store].
func (m *Memory) AbortMultipart(ctx context.Context, bucket, key, uploadID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.uploads, uploadID)
	return nil
}

// Presign implements [Store] with a memory:// URL.
func (m *Memory) Presign(ctx context.Context, bucket, key string, ttl time.Duration) (string, error) {
	return fmt.Sprintf("memory://%s/%s?expires=%d", bucket, key, int64(ttl.Seconds())), nil
}
