package itemio_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	objs "github.com/stepwise-dev/stepwise/statemachine/objects"
)

// memStore is an in-memory objects.Store for tests: it implements the
// calls itemio makes (Get, List, Put); the others are not used and panic.
type memStore struct {
	objs.Store
	mu      sync.Mutex
	objects map[string][]byte // "bucket/key"
	failPut string            // key whose PutObject fails
}

func newMemStore(objects map[string]string) *memStore {
	m := &memStore{objects: map[string][]byte{}}
	for k, v := range objects {
		m.objects[k] = []byte(v)
	}
	return m
}

func (m *memStore) Get(_ context.Context, bucket, key string, start, end int64) (io.ReadCloser, objs.ObjectInfo, error) {
	if start != 0 || end != -1 {
		panic("itemio reads whole objects")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objects[bucket+"/"+key]
	if !ok {
		return nil, objs.ObjectInfo{}, fmt.Errorf("NoSuchKey: s3://%s/%s does not exist", bucket, key)
	}
	return io.NopCloser(bytes.NewReader(b)), objs.ObjectInfo{Bucket: bucket, Key: key, Size: int64(len(b))}, nil
}

func (m *memStore) List(_ context.Context, bucket, prefix string) ([]objs.ObjectInfo, error) {
	m.mu.Lock()
	var keys []string
	for k := range m.objects {
		if strings.HasPrefix(k, bucket+"/"+prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	defer m.mu.Unlock()
	var out []objs.ObjectInfo
	for _, k := range keys {
		out = append(out, objs.ObjectInfo{
			Bucket:       bucket,
			Key:          strings.TrimPrefix(k, bucket+"/"),
			ETag:         `"etag-` + strings.TrimPrefix(k, bucket+"/") + `"`,
			Size:         int64(len(m.objects[k])),
			LastModified: time.Unix(1668699881, 0),
			StorageClass: "STANDARD",
		})
	}
	return out, nil
}

func (m *memStore) Put(_ context.Context, bucket, key string, r io.Reader, _ string) (objs.ObjectInfo, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return objs.ObjectInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if key == m.failPut {
		return objs.ObjectInfo{}, fmt.Errorf("AccessDenied")
	}
	m.objects[bucket+"/"+key] = body
	return objs.ObjectInfo{Bucket: bucket, Key: key, Size: int64(len(body))}, nil
}

func (m *memStore) get(key string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return string(m.objects[key])
}
