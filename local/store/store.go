// Package store is the durable [statemachine.Store] of the local stack: an
// ordered key/value store under the data directory, built from a write-ahead
// log with group commit in front of a bbolt B+tree.
//
// A Commit is durable once its batch is appended to the log and the log is
// fsynced; concurrent Commits share one append and one fsync. Committed
// writes are kept in memory and moved into bbolt in large sorted
// checkpoints, so a state transition costs a few hundred bytes of
// sequential log instead of a B-tree transaction with its page writes. On
// open, log segments left by a crash are replayed into bbolt.
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
	"sort"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// FileName is the name of the database file inside the data directory.
const FileName = "state.db"

// lockTimeout is how long Open waits for another process to release the
// database file before giving up. Short: a running stack holds the lock for
// its whole life, so waiting longer would only delay the error.
const lockTimeout = 300 * time.Millisecond

// Checkpoint thresholds: when the in-memory writes since the last
// checkpoint reach either, they are moved into bbolt and the log segment is
// dropped.
// Variables so tests can make checkpoints frequent.
var (
	checkpointEntries = 1 << 16
	checkpointBytes   = int64(64 << 20)
)

// maxGroup bounds how many commits one log append takes.
const maxGroup = 4096

var bucket = []byte("kv")

// ErrLocked is returned (wrapped) by [Open] when another process holds the
// data directory.
var ErrLocked = errors.New("data directory is in use by another Stepwise process")

// ErrClosed is returned by operations on a closed [Store].
var ErrClosed = errors.New("store: closed")

// Store is a [statemachine.Store]. It is safe for concurrent use.
// Concurrent [Store.Commit] calls are merged by a single committer
// goroutine: a commit waits only for the log append in progress, then
// everything that queued meanwhile is appended and synced together.
type Store struct {
	db     *bolt.DB
	dir    string
	noSync bool

	reqs chan *commitReq
	done chan struct{} // closed when the committer has exited

	// Owned by the committer goroutine.
	log      *wal
	logBytes int64

	mu      sync.RWMutex // guards mem, imm, closed, failed
	mem     *memtable    // writes since the last checkpoint
	imm     *memtable    // writes being checkpointed, or nil
	closed  bool
	failed  error         // sticky: a log or checkpoint failure
	ckpt    chan struct{} // holds a token while a checkpoint runs
	ckptErr chan error    // the last checkpoint's outcome, for Close
}

var _ statemachine.Store = (*Store)(nil)

type commitReq struct {
	b   *statemachine.Batch
	err chan error
}

// Options configures [Open].
type Options struct {
	// NoSync skips fsync of the log. Only for tests and benchmarks that
	// measure something else: commits then survive a crash of the process
	// but not of the machine.
	NoSync bool
}

// Open opens (creating if needed) the store in dir and replays any log a
// crash left behind. If another process has dir open, Open fails quickly
// with an error wrapping [ErrLocked] that says which directory and what to
// do.
func Open(dir string, opts Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout, NoFreelistSync: true,
		FreelistType: bolt.FreelistMapType, InitialMmapSize: 1 << 30})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("store: %w: %s is locked; stop the other process or use its server (see %s)",
			ErrLocked, dir, filepath.Join(filepath.Dir(dir), "endpoints.json"))
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
	next, err := replay(db, dir)
	if err != nil {
		db.Close()
		return nil, err
	}
	log, err := createWAL(dir, next)
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &Store{
		db: db, dir: dir, noSync: opts.NoSync, log: log,
		reqs: make(chan *commitReq, maxGroup), done: make(chan struct{}),
		mem: newMemtable(), ckpt: make(chan struct{}, 1), ckptErr: make(chan error, 1),
	}
	go s.committer()
	return s, nil
}

// replay applies every log segment in dir to db, in order, then deletes
// them, and returns the sequence number for the next segment.
func replay(db *bolt.DB, dir string) (uint64, error) {
	segs, err := listWAL(dir)
	if err != nil {
		return 0, err
	}
	var next uint64 = 1
	for _, seg := range segs {
		err := db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket(bucket)
			return readWAL(seg.path, func(b *statemachine.Batch) error { return apply(bk, b) })
		})
		if err != nil {
			return 0, fmt.Errorf("store: replay %s: %w", seg.path, err)
		}
		next = seg.seq + 1
	}
	for _, seg := range segs {
		if err := os.Remove(seg.path); err != nil {
			return 0, fmt.Errorf("store: %w", err)
		}
	}
	return next, nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return filepath.Join(s.dir, FileName) }

// Commit applies b atomically and returns once it is durable. Commits that
// arrive while the log is being written are grouped into the next append.
// A batch that bbolt could not store (empty or oversized key, oversized
// value) fails alone, before anything is written.
func (s *Store) Commit(ctx context.Context, b *statemachine.Batch) error {
	if b == nil || b.Len() == 0 {
		return nil
	}
	if err := check(b); err != nil {
		return err
	}
	req := &commitReq{b: b, err: make(chan error, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	if s.failed != nil {
		s.mu.RUnlock()
		return s.failed
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

func check(b *statemachine.Batch) error {
	for _, kv := range b.Puts {
		switch {
		case kv.Key == "":
			return errors.New("store: commit: empty key")
		case len(kv.Key) > bolt.MaxKeySize:
			return fmt.Errorf("store: commit: key %.40q... is %d bytes, over the limit of %d", kv.Key, len(kv.Key), bolt.MaxKeySize)
		case len(kv.Value) > bolt.MaxValueSize:
			return fmt.Errorf("store: commit: value of %q is %d bytes, over the limit of %d", kv.Key, len(kv.Value), bolt.MaxValueSize)
		}
	}
	for _, k := range b.Deletes {
		if k == "" || len(k) > bolt.MaxKeySize {
			return fmt.Errorf("store: commit: cannot delete key %.40q", k)
		}
	}
	return nil
}

// committer is the single writer: it takes one pending commit, drains
// whatever else is queued, appends them as one log record, syncs, and
// publishes them to readers.
func (s *Store) committer() {
	defer close(s.done)
	group := make([]*commitReq, 0, 64)
	batches := make([]*statemachine.Batch, 0, 64)
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
		batches = batches[:0]
		for _, r := range group {
			batches = append(batches, r.b)
		}
		n, err := s.log.append(batches, !s.noSync)
		if err != nil {
			err = fmt.Errorf("store: commit: write log: %w", err)
			// A failed append that was cut off again (a full disk) fails
			// only this group: the next commit tries again, so the stack
			// recovers when space returns. Only a log that could not be
			// repaired stops all writes.
			if errors.Is(err, errLogBroken) {
				s.mu.Lock()
				s.failed = err
				s.mu.Unlock()
			}
		} else {
			s.logBytes += n
			s.mu.Lock()
			for _, b := range batches {
				s.mem.apply(b)
			}
			full := s.mem.len() >= checkpointEntries || s.logBytes >= checkpointBytes
			s.mu.Unlock()
			if full {
				// These commits are durable in the log whatever the
				// checkpoint does: a checkpoint that cannot start (no room
				// for a new segment) is tried again after the next commit.
				_ = s.startCheckpoint()
			}
		}
		for _, r := range group {
			r.err <- err
		}
	}
}

// startCheckpoint freezes the memtable, starts a new log segment and moves
// the frozen writes into bbolt in the background. Only one checkpoint runs
// at a time; a second one waits for the first (back-pressure).
func (s *Store) startCheckpoint() error {
	s.ckpt <- struct{}{}
	select {
	case err := <-s.ckptErr:
		if err != nil {
			<-s.ckpt
			return err
		}
	default:
	}
	old := s.log
	log, err := createWAL(s.dir, old.seq+1)
	if err != nil {
		<-s.ckpt
		return fmt.Errorf("store: start log segment: %w", err)
	}
	s.log, s.logBytes = log, 0
	s.mu.Lock()
	imm := s.mem
	s.imm, s.mem = imm, newMemtable()
	s.mu.Unlock()
	go func() {
		err := s.checkpoint(imm, old)
		if err != nil {
			s.mu.Lock()
			s.failed = err
			s.mu.Unlock()
		}
		s.ckptErr <- err
		<-s.ckpt
	}()
	return nil
}

// checkpoint writes imm into bbolt in one synced transaction, then drops it
// and its log segment.
func (s *Store) checkpoint(imm *memtable, seg *wal) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucket)
		for _, k := range imm.sortedKeys("") {
			e := imm.m[k]
			var err error
			if e.deleted {
				err = bk.Delete([]byte(k))
			} else {
				err = bk.Put([]byte(k), e.value)
			}
			if err != nil {
				return fmt.Errorf("%q: %w", k, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	s.mu.Lock()
	s.imm = nil
	s.mu.Unlock()
	seg.close()
	if err := os.Remove(seg.path); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	return nil
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
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, false, ErrClosed
	}
	for _, m := range []*memtable{s.mem, s.imm} {
		if m == nil {
			continue
		}
		if e, ok := m.m[key]; ok {
			if e.deleted {
				return nil, false, nil
			}
			return bytes.Clone(e.value), true, nil
		}
	}
	var out []byte
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucket).Get([]byte(key)); v != nil {
			out, ok = bytes.Clone(v), true
		}
		return nil
	})
	return out, ok, err
}

// Scan calls fn for every key with the given prefix in ascending byte order
// over a consistent snapshot. Values are copies that fn may keep. fn must
// not wait for a [Store.Commit]: a checkpoint that grows the file waits for
// open read transactions.
func (s *Store) Scan(ctx context.Context, prefix string, fn func(key string, value []byte) error) error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	// The overlay: newest first, so mem wins over imm.
	overlay := map[string]entry{}
	for _, m := range []*memtable{s.imm, s.mem} {
		if m != nil {
			for _, k := range m.sortedKeys(prefix) {
				overlay[k] = m.m[k]
			}
		}
	}
	tx, err := s.db.Begin(false)
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	keys := make([]string, 0, len(overlay))
	for k := range overlay {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	p := []byte(prefix)
	c := tx.Bucket(bucket).Cursor()
	k, v := c.Seek(p)
	i := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		haveDB := k != nil && bytes.HasPrefix(k, p)
		haveMem := i < len(keys)
		if !haveDB && !haveMem {
			return nil
		}
		var key string
		var val []byte
		switch {
		case haveMem && (!haveDB || keys[i] <= string(k)):
			key = keys[i]
			e := overlay[key]
			i++
			if haveDB && key == string(k) {
				k, v = c.Next() // shadowed by the newer write
			}
			if e.deleted {
				continue
			}
			val = bytes.Clone(e.value)
		default:
			key, val = string(k), bytes.Clone(v)
			k, v = c.Next()
		}
		if err := fn(key, val); err != nil {
			return err
		}
	}
}

// Close waits for queued commits, moves everything into bbolt, removes the
// log and releases the directory lock. It is safe to call more than once.
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
	// Wait for a running checkpoint, then checkpoint the rest.
	s.ckpt <- struct{}{}
	var errs []error
	select {
	case err := <-s.ckptErr:
		errs = append(errs, err)
	default:
	}
	if s.failed == nil {
		errs = append(errs, s.checkpoint(s.mem, s.log))
	} else {
		s.log.close() // keep the log: it is replayed on the next Open
	}
	errs = append(errs, s.db.Close())
	return errors.Join(errs...)
}

// memtable holds committed writes not yet in bbolt.
type memtable struct {
	m map[string]entry
}

type entry struct {
	value   []byte
	deleted bool
}

func newMemtable() *memtable { return &memtable{m: map[string]entry{}} }

func (t *memtable) len() int { return len(t.m) }

func (t *memtable) apply(b *statemachine.Batch) {
	for _, kv := range b.Puts {
		t.m[kv.Key] = entry{value: bytes.Clone(kv.Value)}
	}
	for _, k := range b.Deletes {
		t.m[k] = entry{deleted: true}
	}
}

func (t *memtable) sortedKeys(prefix string) []string {
	var keys []string
	for k := range t.m {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
