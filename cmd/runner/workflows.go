package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/local/stack"
	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/statemachine/workflow"
	"github.com/stepwise-dev/stepwise/steps"
)

// workflowFiles is where the local stack reads the workflow files
// (statemachine/*.json, steps/steps.json): the checkout named by
// STEPWISE_REPO; else the checkout the runner is used in, found upwards
// from the current directory, so that an edited or added workflow runs
// without rebuilding the runner; else the files built into the runner, so
// that a built runner works from any directory.
func workflowFiles() (fs.FS, error) {
	repo, _, err := checkoutFiles()
	if errors.Is(err, errNoCheckout) {
		return builtinWorkflows, nil
	}
	return repo, err
}

// errNoCheckout: neither STEPWISE_REPO nor a directory above the current
// one is a checkout.
var errNoCheckout = errors.New("not in a Stepwise checkout (no steps/steps.json and statemachine/ here or in a parent directory); run it in your checkout or set STEPWISE_REPO to it")

// checkoutFiles returns the checkout named by STEPWISE_REPO or found
// upwards from the current directory, and its path; errNoCheckout when
// there is none.
func checkoutFiles() (fs.FS, string, error) {
	if r := os.Getenv("STEPWISE_REPO"); r != "" {
		if !isCheckout(r) {
			return nil, "", errors.New("STEPWISE_REPO=" + r + " is not a Stepwise checkout: it needs " + stack.StepsFile + " and " + workflow.Dir + "/ (unset it to use the workflow files built into the runner)")
		}
		return os.DirFS(r), r, nil
	}
	if dir, err := os.Getwd(); err == nil {
		for d := dir; ; d = filepath.Dir(d) {
			if isCheckout(d) {
				return os.DirFS(d), d, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return nil, "", errNoCheckout
}

// isCheckout reports whether dir has steps/steps.json and a statemachine/
// directory: the files every part of Stepwise reads.
func isCheckout(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, stack.StepsFile)); err != nil {
		return false
	}
	fi, err := os.Stat(filepath.Join(dir, workflow.Dir))
	return err == nil && fi.IsDir()
}

// builtinWorkflows lays the workflow files built into the runner out as
// they are in the repository: statemachine/* from [statemachine.Workflows],
// steps/steps.json from [steps.Files].
var builtinWorkflows fs.FS = mountFS{"statemachine": statemachine.Workflows, "steps": steps.Files}

// mountFS serves each file system under its top-level directory name.
type mountFS map[string]fs.FS

var _ fs.ReadDirFS = mountFS{}

func (m mountFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		entries, _ := m.ReadDir(".")
		return &rootDir{entries: entries}, nil
	}
	top, rest, _ := strings.Cut(name, "/")
	sub, ok := m[top]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if rest != "" {
		f, err := sub.Open(rest)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: errors.Unwrap(err)}
		}
		return f, nil
	}
	f, err := sub.Open(".")
	if err != nil {
		return nil, err
	}
	d, ok := f.(fs.ReadDirFile)
	if !ok {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("mount is not a directory")}
	}
	return mountDir{d, top}, nil
}

// mountDir is a mounted file system's root under its mount name.
type mountDir struct {
	fs.ReadDirFile
	name string
}

func (d mountDir) Stat() (fs.FileInfo, error) {
	info, err := d.ReadDirFile.Stat()
	if err != nil {
		return nil, err
	}
	return renamed{info, d.name}, nil
}

func (m mountFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name == "." {
		var out []fs.DirEntry
		for top, sub := range m {
			if info, err := fs.Stat(sub, "."); err == nil {
				out = append(out, fs.FileInfoToDirEntry(renamed{info, top}))
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
		return out, nil
	}
	top, rest, _ := strings.Cut(name, "/")
	sub, ok := m[top]
	if !ok || !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	if rest == "" {
		rest = "."
	}
	return fs.ReadDir(sub, rest)
}

// renamed is a directory's FileInfo under its mount name.
type renamed struct {
	fs.FileInfo
	name string
}

func (r renamed) Name() string { return r.name }

// rootDir is the opened root of a mountFS.
type rootDir struct {
	entries []fs.DirEntry
	read    int
}

func (d *rootDir) Stat() (fs.FileInfo, error) { return rootInfo{}, nil }
func (d *rootDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: ".", Err: errors.New("is a directory")}
}
func (d *rootDir) Close() error { return nil }

func (d *rootDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.read:]
	if n > 0 && len(rest) == 0 {
		return nil, io.EOF
	}
	if n > 0 && len(rest) > n {
		rest = rest[:n]
	}
	d.read += len(rest)
	return rest, nil
}

type rootInfo struct{}

func (rootInfo) Name() string       { return "." }
func (rootInfo) Size() int64        { return 0 }
func (rootInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (rootInfo) ModTime() time.Time { return time.Time{} }
func (rootInfo) IsDir() bool        { return true }
func (rootInfo) Sys() any           { return nil }
