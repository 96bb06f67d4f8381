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

	"github.com/stepwise-dev/stepwise/statemachine/itemio"
)

// memStore is an in-memory ObjectStore for tests.
type memStore struct {
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

func (m *memStore) GetObject(_ context.Context, bucket, key string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objects[bucket+"/"+key]
	if !ok {
		return nil, fmt.Errorf("NoSuchKey: s3://%s/%s does not exist", bucket, key)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memStore) ListObjects(_ context.Context, bucket, prefix string, fn func(itemio.ObjectInfo) error) error {
	m.mu.Lock()
	var keys []string
	for k := range m.objects {
		if strings.HasPrefix(k, bucket+"/"+prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	m.mu.Unlock()
	for _, k := range keys {
		info := itemio.ObjectInfo{
			Key:          strings.TrimPrefix(k, bucket+"/"),
			ETag:         `"etag-` + strings.TrimPrefix(k, bucket+"/") + `"`,
			Size:         int64(len(m.objects[k])),
			LastModified: time.Unix(1668699881, 0),
			StorageClass: "STANDARD",
		}
		if err := fn(info); err != nil {
			return err
		}
	}
	return nil
}

func (m *memStore) PutObject(_ context.Context, bucket, key string, body []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if key == m.failPut {
		return fmt.Errorf("AccessDenied")
	}
	m.objects[bucket+"/"+key] = append([]byte(nil), body...)
	return nil
}

func (m *memStore) get(key string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return string(m.objects[key])
}
