package scheduler

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// stateVersion is the state file's format version.
const stateVersion = 1

// stateData is the state file's content:
//
//	{"version": 1, "schedules": {"report/weekly": {"through": "2026-03-30T04:00:00Z",
//	  "expression": "cron(0 6 ? * MON *)", "timezone": "Europe/Berlin", "enabled": true}}}
//
// Keys of schedules that no longer exist are kept, so that a schedule
// removed and put back resumes where it was.
type stateData struct {
	Version   int                   `json:"version"`
	Schedules map[string]stateEntry `json:"schedules"`
}

type stateEntry struct {
	// Through is the instant up to which the schedule's fires are done:
	// the scheduled instant (not the delivery time) of the last fire
	// delivered or dropped, or the time the scheduler first ran the
	// schedule in this form, whichever is later.
	Through time.Time `json:"through"`
	// The schedule as it was last run: a fire missed while the stack was
	// down is caught up only if the schedule was then enabled with the
	// same expression and zone (a changed schedule starts afresh, as an
	// updated schedule does on AWS).
	Expression string `json:"expression"`
	Timezone   string `json:"timezone"`
	Enabled    bool   `json:"enabled"`
}

type stateFile struct {
	path string
	mu   sync.Mutex
	data stateData
}

func loadState(path string) (*stateFile, error) {
	st := &stateFile{path: path, data: stateData{Version: stateVersion, Schedules: map[string]stateEntry{}}}
	if path == "" {
		return st, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("scheduler: read state: %w", err)
	}
	if err := json.Unmarshal(b, &st.data); err != nil {
		return nil, fmt.Errorf("%s: /: scheduler state is not valid (%v); move the file away to start afresh (fires missed while the stack was down are then not delivered)", path, err)
	}
	if st.data.Version != stateVersion {
		return nil, fmt.Errorf("%s: /version: scheduler state version %d, this build reads %d; move the file away to start afresh", path, st.data.Version, stateVersion)
	}
	if st.data.Schedules == nil {
		st.data.Schedules = map[string]stateEntry{}
	}
	return st, nil
}

func (st *stateFile) get(key string) (stateEntry, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.data.Schedules[key]
	return e, ok
}

// put records key's entry; write saves the file.
func (st *stateFile) put(key string, e stateEntry) {
	st.mu.Lock()
	defer st.mu.Unlock()
	e.Through = e.Through.UTC()
	st.data.Schedules[key] = e
}

// setThrough moves key's Through to at and writes the file.
func (st *stateFile) setThrough(key string, at time.Time) error {
	st.mu.Lock()
	e := st.data.Schedules[key]
	e.Through = at.UTC()
	st.data.Schedules[key] = e
	st.mu.Unlock()
	return st.write()
}

// write saves the state atomically.
func (st *stateFile) write() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(st.data, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(st.path, append(b, '\n'))
}

// writeAtomic replaces path with data so that a crash leaves either the
// old file or the new one: write a temporary file beside it, sync, rename.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write state %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the rename durable; best effort where unsupported
		d.Close()
	}
	return nil
}
