package s3

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// The server process holds an exclusive flock on <Dir>/server.lock for its
// whole life. After kill -9 of a parent its child serves on for a moment
// (until it sees its stdin close) and may still acknowledge writes; [Start]
// waits for that lock before it reads the outbox and binds the address, so
// a restart neither misses those events nor finds its port taken.
const lockFileName = "server.lock"

// lockWait bounds how long [Start] waits for an earlier server process to
// exit.
const lockWait = 15 * time.Second

// waitUnlocked waits until no process holds the lock on path.
func waitUnlocked(path string, wait time.Duration) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("local s3: %w", err)
	}
	defer f.Close()
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("local s3: lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("local s3: an earlier S3 server process still serves %s after %v (it holds %s); stop it and start again", path, wait, lockFileName)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// holdLock takes the lock for the life of this process (the S3 child).
func holdLock(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("local s3: %w", err)
	}
	// Never closed: the lock goes when the process does.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("local s3: lock %s: %w", path, err)
	}
	return nil
}
