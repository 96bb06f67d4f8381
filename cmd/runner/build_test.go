package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// checkBootstrapZip checks what Lambda and Terraform rely on: exactly one
// entry, bootstrap, a regular file with mode 0755 stored with Unix
// attributes, the fixed timestamp, and the given content.
func checkBootstrapZip(t *testing.T, zipped []byte, want []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	if len(zr.File) != 1 {
		names := make([]string, len(zr.File))
		for i, f := range zr.File {
			names[i] = f.Name
		}
		t.Fatalf("zip entries %q, want exactly [bootstrap]", names)
	}
	f := zr.File[0]
	if f.Name != "bootstrap" {
		t.Errorf("entry %q, want bootstrap", f.Name)
	}
	if f.Mode() != 0o755 {
		t.Errorf("mode %v, want -rwxr-xr-x", f.Mode())
	}
	if got, want := f.ExternalAttrs>>16, uint32(0o100755); got != want {
		t.Errorf("Unix attributes %o, want %o (regular file, 0755)", got, want)
	}
	if f.CreatorVersion>>8 != 3 {
		t.Errorf("creator OS %d, want 3 (Unix), or Lambda ignores the mode", f.CreatorVersion>>8)
	}
	if !f.Modified.Equal(zipEpoch) {
		t.Errorf("modified %v, want the fixed %v", f.Modified, zipEpoch)
	}
	if f.ModifiedDate != 0x21 || f.ModifiedTime != 0 { // MS-DOS 1980-01-01 00:00:00
		t.Errorf("MS-DOS date/time %#x/%#x, want 0x21/0", f.ModifiedDate, f.ModifiedTime)
	}
	if f.Method != zip.Deflate {
		t.Errorf("method %d, want deflate", f.Method)
	}
	if want == nil {
		return
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading bootstrap from the zip: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("bootstrap content differs from the input (%d bytes, want %d)", len(got), len(want))
	}
}

func TestReproducibleZip(t *testing.T) {
	big := make([]byte, 3<<20)
	for i := range big {
		big[i] = byte(i*7919 + i>>11)
	}
	for _, tc := range []struct {
		name    string
		content []byte
	}{
		{"empty", []byte{}},
		{"small", []byte("#!/bin/sh\necho hello\n")},
		{"3 MiB", big},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := reproducibleZip("bootstrap", tc.content)
			if err != nil {
				t.Fatal(err)
			}
			b, err := reproducibleZip("bootstrap", bytes.Clone(tc.content))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Fatalf("two zips of the same content differ (%d and %d bytes)", len(a), len(b))
			}
			checkBootstrapZip(t, a, tc.content)
		})
	}
	// The zip depends on the content: a one-byte change changes it.
	a, _ := reproducibleZip("bootstrap", []byte("v1"))
	b, _ := reproducibleZip("bootstrap", []byte("v2"))
	if bytes.Equal(a, b) {
		t.Error("zips of different contents are equal")
	}
}

// The go build command pins everything that could make two builds differ.
func TestBuildCmd(t *testing.T) {
	for _, arch := range []string{"arm64", "amd64"} {
		t.Run(arch, func(t *testing.T) {
			t.Setenv("GOFLAGS", "-mod=mod")
			t.Setenv("CGO_ENABLED", "1")
			t.Setenv("GOARM64", "v9.0")
			t.Setenv("GOAMD64", "v3")
			cmd := buildCmd(context.Background(), "./cmd/steps", arch, "/tmp/x/bootstrap")
			args := strings.Join(cmd.Args[1:], " ")
			want := "build -trimpath -buildvcs=false -tags lambda.norpc -ldflags -s -w -buildid= -o /tmp/x/bootstrap ./cmd/steps"
			if args != want {
				t.Errorf("go %s\nwant go %s", args, want)
			}
			env := map[string]string{}
			for _, kv := range cmd.Env { // later entries win, as in os/exec
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
			for k, v := range map[string]string{
				"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": arch, "GOFLAGS": "-mod=readonly",
				"GOARM64": "v8.0", "GOAMD64": "v1",
			} {
				if env[k] != v {
					t.Errorf("%s=%q, want %q (the caller's environment must not leak in)", k, env[k], v)
				}
			}
		})
	}
}

// Bad flags and a package that does not build give clear errors.
func TestBuildErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bootstrap.zip")
	code, _, stderr := runCLI(t, "", "build", "--arch", "386", "--out", out)
	if code != exitUsage || !strings.Contains(stderr, `--arch must be arm64 or amd64, not "386"`) {
		t.Errorf("--arch 386: exit %d, stderr:\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, "", "build", "extra", "--out", out)
	if code != exitUsage || !strings.Contains(stderr, `unexpected argument "extra"`) {
		t.Errorf("positional argument: exit %d, stderr:\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, "", "build", "--package", "./no/such/package", "--out", out)
	if code != exitError || !strings.Contains(stderr, "go build ./no/such/package for linux/arm64") {
		t.Errorf("missing package: exit %d, stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed build wrote the zip")
	}
}

// runner build, run twice, writes byte-identical zips of a linux/arm64
// bootstrap, and prints Terraform's filebase64sha256 of the zip.
func TestBuildReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: cross-compiles cmd/steps for linux/arm64 twice (minutes on a cold build cache)")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root) // --package ./cmd/steps, as a user runs it from the clone
	dir := t.TempDir()
	outs := []string{filepath.Join(dir, "one", "bootstrap.zip"), filepath.Join(dir, "two", "nested", "bootstrap.zip")}

	// The first build prints JSON, the second the text line.
	code, stdout, stderr := runCLI(t, "", "build", "--out", outs[0], "--output", "json")
	if code != exitOK {
		t.Fatalf("runner build --out %s: exit %d; stderr:\n%s", outs[0], code, stderr)
	}
	var res buildResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("build --output json: %v\n%s", err, stdout)
	}
	code, text, stderr := runCLI(t, "", "build", "--out", outs[1])
	if code != exitOK {
		t.Fatalf("runner build --out %s: exit %d; stderr:\n%s", outs[1], code, stderr)
	}
	zips := make([][]byte, len(outs))
	for i, out := range outs {
		if zips[i], err = os.ReadFile(out); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(zips[0], zips[1]) {
		t.Fatalf("two builds differ: %d bytes (sha256 %x) and %d bytes (sha256 %x)",
			len(zips[0]), sha256.Sum256(zips[0]), len(zips[1]), sha256.Sum256(zips[1]))
	}

	sum := sha256.Sum256(zips[0])
	want := buildResult{
		Path: outs[0], Size: int64(len(zips[0])), SHA256: fmt.Sprintf("%x", sum),
		SourceCodeHash: base64.StdEncoding.EncodeToString(sum[:]), GOARCH: "arm64",
	}
	if res != want {
		t.Errorf("printed %+v\nwant    %+v", res, want)
	}
	if wantText := fmt.Sprintf("wrote %s (%d bytes, source_code_hash %s)\n", outs[1], want.Size, want.SourceCodeHash); text != wantText {
		t.Errorf("second build printed %q, want %q", text, wantText)
	}
	if st, err := os.Stat(outs[0]); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("zip file mode: %v %v, want 0644", st.Mode(), err)
	}

	zr, err := zip.NewReader(bytes.NewReader(zips[0]), int64(len(zips[0])))
	if err != nil {
		t.Fatal(err)
	}
	checkBootstrapZip(t, zips[0], nil)
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	exe, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(exe))
	if err != nil {
		t.Fatalf("bootstrap is not an ELF executable: %v", err)
	}
	if ef.Machine != elf.EM_AARCH64 || ef.Type != elf.ET_EXEC {
		t.Errorf("bootstrap is %v %v, want an EM_AARCH64 ET_EXEC (static, no cgo)", ef.Machine, ef.Type)
	}
	if slices.ContainsFunc(ef.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP }) {
		t.Error("bootstrap is dynamically linked (has PT_INTERP); provided.al2023 needs a static binary")
	}
	if bytes.Contains(exe, []byte(root)) {
		t.Errorf("bootstrap contains the build directory %s: -trimpath is not in effect", root)
	}

	// No temporary files are left next to the zip.
	entries, err := os.ReadDir(filepath.Dir(outs[0]))
	if err != nil {
		t.Fatal(err)
	}
	if names := dirNames(entries); !slices.Equal(names, []string{"bootstrap.zip"}) {
		t.Errorf("output directory holds %q, want only bootstrap.zip", names)
	}
}

func dirNames(entries []fs.DirEntry) []string {
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}
