package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// An output is where a command writes a result file (--out). Write to it,
// then Commit; Abort (safe after Commit) discards an unfinished result.
//
// What --out names decides how it is written:
//
//   - "-": standard output.
//   - a regular file, or a name that does not exist yet: a temporary file
//     in the same directory, renamed over the name on Commit, so that
//     readers never see half a result and a failed run leaves the previous
//     file as it was. A replaced file keeps its permission bits.
//   - a symbolic link: followed. The link stays; the rules apply to the file
//     it points to (a regular file there is replaced as above, a missing one
//     created if its directory exists).
//   - a device, FIFO or socket (/dev/null, /dev/stdout, a named pipe):
//     written in place, never replaced.
//   - a directory: refused.
type output struct {
	io.Writer
	// Name is what the user asked for (for messages).
	Name   string
	commit func() error
	abort  func()
	done   bool
}

// Commit makes the written result visible under its name.
func (o *output) Commit() error {
	if o.done {
		return nil
	}
	o.done = true
	return o.commit()
}

// Abort discards the result; after Commit it does nothing.
func (o *output) Abort() {
	if o.done {
		return
	}
	o.done = true
	o.abort()
}

// outputKind is how an --out path is written.
type outputKind int

const (
	outReplace      outputKind = iota // regular file or new name: temp file + rename
	outWriteThrough                   // device, FIFO, socket: open and write in place
)

// classifyOutput follows symbolic links and says how to write name, and
// at which path. It only inspects the file system.
func classifyOutput(name string) (outputKind, string, error) {
	target := name
	for hops := 0; ; hops++ {
		fi, err := os.Lstat(target)
		if errors.Is(err, fs.ErrNotExist) {
			if target == name {
				return outReplace, name, nil
			}
			// A link to a file that does not exist yet: create that file,
			// as a shell's > would, if its directory exists.
			if d, err := os.Stat(filepath.Dir(target)); err != nil || !d.IsDir() {
				return 0, "", fmt.Errorf("--out %s is a symbolic link to %s, whose directory does not exist: create it, remove the link, or choose another --out", name, target)
			}
			return outReplace, target, nil
		}
		if err != nil {
			return 0, "", fmt.Errorf("--out %s: %w", name, err)
		}
		switch m := fi.Mode(); {
		case m&fs.ModeSymlink != 0:
			if hops == 40 {
				return 0, "", fmt.Errorf("--out %s: too many levels of symbolic links", name)
			}
			dest, err := os.Readlink(target)
			if err != nil {
				return 0, "", fmt.Errorf("--out %s: %w", name, err)
			}
			if !filepath.IsAbs(dest) {
				dest = filepath.Join(filepath.Dir(target), dest)
			}
			target = dest
		case m.IsDir():
			return 0, "", fmt.Errorf("--out %s is a directory: name a file in it", name)
		case m.IsRegular():
			return outReplace, target, nil
		default:
			return outWriteThrough, target, nil
		}
	}
}

// createOutput opens name for a result file, as [output] describes.
func createOutput(name string, stdout io.Writer) (*output, error) {
	if name == "-" {
		return &output{Writer: stdout, Name: "standard output", commit: func() error { return nil }, abort: func() {}}, nil
	}
	kind, target, err := classifyOutput(name)
	if err != nil {
		return nil, err
	}
	if kind == outWriteThrough {
		f, err := os.OpenFile(target, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("--out %s: %w", name, err)
		}
		return &output{Writer: f, Name: name, commit: f.Close, abort: func() { f.Close() }}, nil
	}
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(target); err == nil {
		mode = fi.Mode().Perm()
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("--out %s: %w", name, err)
	}
	remove := func() { tmp.Close(); os.Remove(tmp.Name()) }
	commit := func() error {
		if err := tmp.Chmod(mode); err != nil {
			remove()
			return fmt.Errorf("--out %s: %w", name, err)
		}
		if err := tmp.Close(); err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("--out %s: %w", name, err)
		}
		if err := os.Rename(tmp.Name(), target); err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("--out %s: %w", name, err)
		}
		return nil
	}
	return &output{Writer: tmp, Name: name, commit: commit, abort: remove}, nil
}

// writeOutput writes data to name as [createOutput] does; "-" is stdout
// (when nil, "-" is a file of that name).
func writeOutput(name string, data []byte, stdout io.Writer) error {
	if name == "-" && stdout == nil {
		name = "./-"
	}
	o, err := createOutput(name, stdout)
	if err != nil {
		return err
	}
	if _, err := o.Write(data); err != nil {
		o.Abort()
		return fmt.Errorf("--out %s: %w", name, err)
	}
	return o.Commit()
}
