package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOutputDeviceIsWrittenThrough only inspects the null device: a test
// must never risk replacing it (issue 11 item 3: as root, --out /dev/null
// replaced the system's /dev/null).
func TestOutputDeviceIsWrittenThrough(t *testing.T) {
	fi, err := os.Stat(os.DevNull)
	if err != nil || fi.Mode().IsRegular() {
		t.Skipf("%s is not a device here: skipped", os.DevNull)
	}
	kind, target, err := classifyOutput(os.DevNull)
	if err != nil || kind != outWriteThrough || target != os.DevNull {
		t.Fatalf("classifyOutput(%s) = %v, %q, %v; want write-through to itself", os.DevNull, kind, target, err)
	}
	link := filepath.Join(t.TempDir(), "null")
	if err := os.Symlink(os.DevNull, link); err != nil {
		t.Skipf("no symbolic links: %v: skipped", err)
	}
	kind, target, err = classifyOutput(link)
	if err != nil || kind != outWriteThrough || target != os.DevNull {
		t.Fatalf("classifyOutput(link to %s) = %v, %q, %v; want write-through to %s", os.DevNull, kind, target, err, os.DevNull)
	}
}

// TestOutputRegularFileIsReplacedWhole: until Commit the old content stays;
// Abort leaves it and no temporary file; Commit keeps the file's mode.
func TestOutputRegularFileIsReplacedWhole(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(name, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := createOutput(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Write([]byte("half"))
	if got, _ := os.ReadFile(name); string(got) != "old\n" {
		t.Fatalf("before Commit the file reads %q", got)
	}
	o.Abort()
	if got, _ := os.ReadFile(name); string(got) != "old\n" {
		t.Fatalf("after Abort the file reads %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("Abort left %d files in the directory", len(entries))
	}

	o, err = createOutput(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Write([]byte("new\n"))
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(name); string(got) != "new\n" || fi.Mode().Perm() != 0o600 {
		t.Fatalf("after Commit: %q mode %v; want \"new\\n\" mode 0600", got, fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("Commit left %d files in the directory", len(entries))
	}
}
