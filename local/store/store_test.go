package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine"
)

func open(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func batch(kvs ...string) *statemachine.Batch {
	b := &statemachine.Batch{}
	for i := 0; i+1 < len(kvs); i += 2 {
		b.Put(kvs[i], []byte(kvs[i+1]))
	}
	return b
}

func scanAll(t *testing.T, s *Store, prefix string) string {
	t.Helper()
	var out []string
	if err := s.Scan(context.Background(), prefix, func(k string, v []byte) error {
		out = append(out, k+"="+string(v))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}

func TestScanOrderAndPrefix(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	if err := s.Commit(ctx, batch("exec/b", "2", "exec/a", "1", "exec/a/1", "x", "exed", "no", "exe", "no", "hist/a", "h")); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ prefix, want string }{
		{"exec/", "exec/a=1 exec/a/1=x exec/b=2"},
		{"exec/a", "exec/a=1 exec/a/1=x"},
		{"hist/", "hist/a=h"},
		{"zzz", ""},
		{"", "exe=no exec/a=1 exec/a/1=x exec/b=2 exed=no hist/a=h"},
	}
	for _, tt := range tests {
		if got := scanAll(t, s, tt.prefix); got != tt.want {
			t.Errorf("Scan(%q) = %q, want %q", tt.prefix, got, tt.want)
		}
	}
	stop := errors.New("stop")
	n := 0
	err := s.Scan(ctx, "exec/", func(string, []byte) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Scan with failing fn: err=%v after %d calls, want stop after 1", err, n)
	}
}

func TestCommitPutsAndDeletes(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	if err := s.Commit(ctx, batch("a", "1", "b", "2")); err != nil {
		t.Fatal(err)
	}
	b := batch("c", "3", "a", "1b")
	b.Delete("b")
	b.Delete("missing")
	if err := s.Commit(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got, want := scanAll(t, s, ""), "a=1b c=3"; got != want {
		t.Errorf("after delete: %q, want %q", got, want)
	}
	v, ok, err := s.Get(ctx, "c")
	if err != nil || !ok || string(v) != "3" {
		t.Errorf("Get(c) = %q %v %v", v, ok, err)
	}
	if _, ok, _ := s.Get(ctx, "b"); ok {
		t.Error("Get(b) found a deleted key")
	}
}

// TestAtomicity: a batch with a bad write (empty key) applies none of its
// writes.
func TestAtomicity(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	b := batch("x", "1", "", "bad", "y", "2")
	if err := s.Commit(ctx, b); err == nil {
		t.Fatal("commit with an empty key succeeded")
	}
	if got := scanAll(t, s, ""); got != "" {
		t.Errorf("partial batch applied: %q", got)
	}
}

// TestGroupFailureIsolated: a commit whose transaction fails inside bbolt
// (a key over bbolt's size limit) fails alone or with its group, and never
// leaves part of itself behind.
func TestGroupFailureIsolated(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	huge := strings.Repeat("k", 40000) // bbolt's MaxKeySize is 32768
	err := s.Commit(ctx, batch("p", "1", huge, "v"))
	if err == nil {
		t.Fatal("commit with a huge key succeeded")
	}
	if got := scanAll(t, s, ""); got != "" {
		t.Errorf("failed commit left %q", got)
	}
	if err := s.Commit(ctx, batch("q", "2")); err != nil {
		t.Fatalf("store unusable after a failed commit: %v", err)
	}
}

func TestReopenDurability(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := s.Commit(ctx, batch(fmt.Sprintf("k%03d", i), fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, batch("late", "x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Commit after Close = %v, want ErrClosed", err)
	}
	s2 := open(t, dir)
	n := 0
	s2.Scan(ctx, "k", func(k string, v []byte) error {
		if want := fmt.Sprintf("k%03d", n); k != want || string(v) != fmt.Sprint(n) {
			t.Errorf("entry %d = %s=%s", n, k, v)
		}
		n++
		return nil
	})
	if n != 100 {
		t.Errorf("reopened store has %d keys, want 100", n)
	}
}

func TestSecondOpenFailsClearly(t *testing.T) {
	dir := t.TempDir()
	open(t, dir)
	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	for _, want := range []string{dir, "another Stepwise process", "use its server"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestConcurrentCommits(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	const writers, each = 16, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				// Each batch writes a pair that must appear together.
				b := batch(fmt.Sprintf("a/%02d/%03d", w, i), "x", fmt.Sprintf("b/%02d/%03d", w, i), "y")
				if err := s.Commit(ctx, b); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	count := func(p string) int {
		n := 0
		s.Scan(ctx, p, func(string, []byte) error { n++; return nil })
		return n
	}
	if a, b := count("a/"), count("b/"); a != writers*each || b != writers*each {
		t.Errorf("have %d a-keys and %d b-keys, want %d each", a, b, writers*each)
	}
}

func TestCommitEmptyBatch(t *testing.T) {
	s := open(t, t.TempDir())
	if err := s.Commit(context.Background(), &statemachine.Batch{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}

// TestBadBatchFailsAlone: concurrent good commits grouped with a bad one
// still succeed.
func TestBadBatchFailsAlone(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	huge := strings.Repeat("k", 40000)
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Go(func() {
			if i == 7 {
				errs[i] = s.Commit(ctx, batch(huge, "v", "bad", "1"))
			} else {
				errs[i] = s.Commit(ctx, batch(fmt.Sprintf("good/%02d", i), "1"))
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if (i == 7) != (err != nil) {
			t.Errorf("commit %d: err = %v", i, err)
		}
	}
	n := 0
	s.Scan(ctx, "", func(k string, _ []byte) error { n++; return nil })
	if n != 39 {
		t.Errorf("store has %d keys, want 39", n)
	}
}

// TestCheckpointLayers: with frequent checkpoints, reads merge the
// in-memory writes, the one being checkpointed and bbolt, and deletes in a
// newer layer hide older values.
func TestCheckpointLayers(t *testing.T) {
	defer func(n int) { checkpointEntries = n }(checkpointEntries)
	checkpointEntries = 7
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	for i := range 100 {
		b := batch(fmt.Sprintf("k/%03d", i), fmt.Sprint(i), fmt.Sprintf("k/%03d", i%10), "over")
		if i%3 == 0 {
			b.Delete(fmt.Sprintf("k/%03d", i-1))
		}
		if err := s.Commit(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{}
	for i := range 100 {
		want[fmt.Sprintf("k/%03d", i)] = fmt.Sprint(i)
		want[fmt.Sprintf("k/%03d", i%10)] = "over"
		if i%3 == 0 && i > 0 {
			delete(want, fmt.Sprintf("k/%03d", i-1))
		}
	}
	check := func(s *Store) {
		t.Helper()
		got := map[string]string{}
		prev := ""
		s.Scan(ctx, "k/", func(k string, v []byte) error {
			if k <= prev {
				t.Errorf("Scan order: %q after %q", k, prev)
			}
			prev = k
			got[k] = string(v)
			return nil
		})
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Scan = %v\nwant   %v", got, want)
		}
		for k, v := range want {
			if g, ok, _ := s.Get(ctx, k); !ok || string(g) != v {
				t.Errorf("Get(%s) = %q %v, want %q", k, g, ok, v)
			}
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if segs, _ := listWAL(dir); len(segs) != 0 {
		t.Errorf("Close left %d log segments", len(segs))
	}
	check(open(t, dir))
}

// TestCrashRecovery: the files of a store that was never closed (as after
// kill -9) hold every acknowledged commit; a torn last record is ignored.
func TestCrashRecovery(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	for i := range 50 {
		if err := s.Commit(ctx, batch(fmt.Sprintf("c/%02d", i), fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	// Snapshot the directory as a crash would leave it, plus a torn record.
	crashed := t.TempDir()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(e.Name(), "wal-") {
			b = append(b, 40, 0, 0, 0, 1, 2, 3, 4, 'x')
		}
		os.WriteFile(filepath.Join(crashed, e.Name()), b, 0o600)
	}
	r := open(t, crashed)
	n := 0
	r.Scan(ctx, "c/", func(k string, v []byte) error {
		if k != fmt.Sprintf("c/%02d", n) || string(v) != fmt.Sprint(n) {
			t.Errorf("entry %d: %s=%s", n, k, v)
		}
		n++
		return nil
	})
	if n != 50 {
		t.Errorf("recovered %d of 50 commits", n)
	}
	if err := r.Commit(ctx, batch("after", "crash")); err != nil {
		t.Fatal(err)
	}
}

// fullDisk is a segment file on a disk that fills up: while full, a write
// stores part of its bytes and fails with ENOSPC; truncating may fail too.
type fullDisk struct {
	walFile
	full, truncateFails bool
}

func (f *fullDisk) Write(p []byte) (int, error) {
	if f.full {
		n, _ := f.walFile.Write(p[:len(p)/2])
		return n, syscall.ENOSPC
	}
	return f.walFile.Write(p)
}

func (f *fullDisk) Truncate(size int64) error {
	if f.truncateFails {
		return syscall.EIO
	}
	return f.walFile.Truncate(size)
}

// TestDiskFullThenSpaceReturns: a commit that fails because the disk is
// full fails alone, and once there is room again commits succeed without a
// restart (the fault suite found the store failing every commit until
// restart); the torn half-record is cut off, so a reopen still replays the
// commits after it.
func TestDiskFullThenSpaceReturns(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.Commit(ctx, batch("a", "1")); err != nil {
		t.Fatal(err)
	}
	disk := &fullDisk{walFile: s.log.f, full: true}
	s.log.f = disk
	err := s.Commit(ctx, batch("b", "2"))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("commit on a full disk: %v, want ENOSPC", err)
	}
	disk.full = false
	if err := s.Commit(ctx, batch("c", "3")); err != nil {
		t.Fatalf("commit after space returned: %v", err)
	}
	if got := scanAll(t, s, ""); got != "a=1 c=3" {
		t.Fatalf("before reopen: %s", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, dir)
	if got := scanAll(t, s2, ""); got != "a=1 c=3" {
		t.Fatalf("after reopen: %s, want a=1 c=3 (the failed commit absent, the one after it replayed)", got)
	}
}

// TestUnrepairableLogStopsWrites: when the torn record cannot be cut off,
// appending more would hide every later commit from replay, so all
// further commits fail with the reason.
func TestUnrepairableLogStopsWrites(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	disk := &fullDisk{walFile: s.log.f, full: true, truncateFails: true}
	s.log.f = disk
	if err := s.Commit(ctx, batch("a", "1")); !errors.Is(err, errLogBroken) {
		t.Fatalf("first commit: %v, want errLogBroken", err)
	}
	disk.full, disk.truncateFails = false, false
	if err := s.Commit(ctx, batch("b", "2")); err == nil || !strings.Contains(err.Error(), "cannot be repaired until restart") {
		t.Fatalf("second commit: %v, want the log reported broken", err)
	}
}
