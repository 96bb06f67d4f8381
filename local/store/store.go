// Package store is the durable [statemachine.Store] of the local stack: an
// ordered key/value store in one bbolt file under the data directory, with
// group commit so that many executions committing their transitions at the
// same time share one transaction and one fsync.
//
// It is for the engine's own state (state machines, executions, histories,
// task tokens, timers). It is not a general database: keys and values are
// opaque bytes, the engine owns the layout, and only one process may open a
// data directory at a time — a second one gets an error telling it to talk
// to the running server instead.
package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// FileName is the name of the database file inside the data directory.
const FileName = "state.db"

// lockTimeout is how long Open waits for another process to release the
// database file before giving up. Short: a running stack holds the lock for
// its whole life, so waiting longer would only delay the error.
const lockTimeout = 300 * time.Millisecond

var bucket = []byte("kv")

// ErrLocked is returned (wrapped) by [Open] when another process holds the
// data directory.
var ErrLocked = errors.New("data directory is in use by another Stepwise process")

// ErrClosed is returned by operations on a closed [Store].
var ErrClosed = errors.New("store: closed")

// Store is a [statemachine.Store] backed by bbolt. It is safe for concurrent
// use. Concurrent [Store.Commit] calls are merged into one write transaction
// by a single committer goroutine: a commit waits only for the transaction
// in progress, then everything that queued meanwhile is written and synced
// together.
type Store struct {
	db   *bolt.DB
	path string

	reqs chan *commitReq
	done chan struct{} // closed when the committer has exited

	mu     sync.RWMutex // guards closed
	closed bool
}

var _ statemachine.Store = (*Store)(nil)

type commitReq struct {
	b   *statemachine.Batch
	err chan error
}

// maxGroup bounds how many commits one transaction takes, so that a flood of
// writers cannot make a single transaction arbitrarily large.
const maxGroup = 4096

// Options configures [Open].
type Options struct {
	// NoSync skips fsync after each transaction. Only for tests and
	// benchmarks that measure something else: commits are then not durable.
	NoSync bool
}

// Open opens (creating if needed) the store in dir. If another process has
// dir open, Open fails quickly with an error wrapping [ErrLocked] that says
// which directory and what to do.
func Open(dir string, opts Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout, NoSync: opts.NoSync, NoFreelistSync: true, FreelistType: bolt.FreelistMapType, InitialMmapSize: 1 << 30})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("store: %w: %s is locked; stop the other process or use its server (see %s)",
			ErrLocked, dir, filepath.Join(dir, "endpoints.json"))
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucket)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: initialise %s: %w", path, err)
	}
	s := &Store{db: db, path: path, reqs: make(chan *commitReq, maxGroup), done: make(chan struct{})}
	go s.committer()
	return s, nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Commit applies b atomically and returns once it is durable. Commits that
// arrive while a transaction is being written are grouped into the next one.
// If the group's transaction fails, its commits are retried one per
// transaction, so a bad batch fails alone and is never partly applied.
func (s *Store) Commit(ctx context.Context, b *statemachine.Batch) error {
	if b == nil || b.Len() == 0 {
		return nil
	}
	for _, kv := range b.Puts {
		if kv.Key == "" {
			return errors.New("store: commit: empty key")
		}
	}
	req := &commitReq{b: b, err: make(chan error, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	select {
	case s.reqs <- req:
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	s.mu.RUnlock()
	// Once queued, the write happens whatever ctx does; wait for its outcome
	// so the caller never believes a durable write was dropped.
	return <-req.err
}

// committer is the single writer: it takes one pending commit, drains
// whatever else is queued, and writes them all in one transaction.
func (s *Store) committer() {
	defer close(s.done)
	group := make([]*commitReq, 0, 64)
	for first := range s.reqs {
		group = append(group[:0], first)
	drain:
		for len(group) < maxGroup {
			select {
			case r, ok := <-s.reqs:
				if !ok {
					break drain
				}
				group = append(group, r)
			default:
				break drain
			}
		}
		if err := s.write(group); err != nil && len(group) > 1 {
			// One bad batch must not fail its neighbours: redo them one
			// transaction each so each gets its own outcome.
			for _, r := range group {
				s.write([]*commitReq{r})
			}
		}
	}
}

// write applies group in one transaction and reports the outcome to each
// member when it succeeded or when the group has a single member.
func (s *Store) write(group []*commitReq) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucket)
		for _, r := range group {
			if err := apply(bk, r.b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && len(group) > 1 {
		return err
	}
	if err != nil {
		err = fmt.Errorf("store: commit: %w", err)
	}
	for _, r := range group {
		r.err <- err
	}
	return err
}

func apply(bk *bolt.Bucket, b *statemachine.Batch) error {
	for _, kv := range b.Puts {
		if err := bk.Put([]byte(kv.Key), kv.Value); err != nil {
			return fmt.Errorf("put %q: %w", kv.Key, err)
		}
	}
	for _, k := range b.Deletes {
		if err := bk.Delete([]byte(k)); err != nil {
			return fmt.Errorf("delete %q: %w", k, err)
		}
	}
	return nil
}

// Get returns a copy of the value stored at key.
func (s *Store) Get(ctx context.Context, key string) ([]byte, bool, error) {
	var out []byte
	var ok bool
	err := s.view(func(bk *bolt.Bucket) error {
		if v := bk.Get([]byte(key)); v != nil {
			out, ok = bytes.Clone(v), true
		}
		return nil
	})
	return out, ok, err
}

// Scan calls fn for every key with the given prefix in ascending byte order,
// inside one read transaction (a consistent snapshot). Values are copies
// that fn may keep. fn must not wait for a [Store.Commit]: a commit that
// grows the file waits for open read transactions, so that would deadlock.
func (s *Store) Scan(ctx context.Context, prefix string, fn func(key string, value []byte) error) error {
	p := []byte(prefix)
	return s.view(func(bk *bolt.Bucket) error {
		c := bk.Cursor()
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(string(k), bytes.Clone(v)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) view(fn func(*bolt.Bucket) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return s.db.View(func(tx *bolt.Tx) error { return fn(tx.Bucket(bucket)) })
}

// Close waits for queued commits to finish, then closes the database and
// releases the directory lock. It is safe to call more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.reqs)
	s.mu.Unlock()
	<-s.done
	return s.db.Close()
}
