package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

func newBuildCmd() *command {
	return &command{
		name:    "build",
		args:    "[--out FILE] [--arch arm64|amd64]",
		summary: "Cross-compile the Lambda bootstrap (all steps, linux, -tags lambda.norpc) into a byte-for-byte reproducible zip.",
		examples: []string{
			"runner build",
			"runner build --out dist/bootstrap.zip",
		},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			out := fs.String("out", filepath.Join("dist", "bootstrap.zip"), "zip file to write (Terraform's lambda_zip)")
			arch := fs.String("arch", "arm64", "GOARCH of the Lambda functions (arm64 or amd64)")
			pkg := fs.String("package", "./cmd/steps", "Go package of the bootstrap main")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 0, 0, ""); err != nil {
					return err
				}
				if *arch != "arm64" && *arch != "amd64" {
					return usagef("--arch must be arm64 or amd64, not %q", *arch)
				}
				res, err := buildBootstrapZip(ctx, *pkg, *arch, *out)
				if err != nil {
					return err
				}
				return a.emit(res, func(w io.Writer) {
					fmt.Fprintf(w, "wrote %s (%d bytes, source_code_hash %s)\n", res.Path, res.Size, res.SourceCodeHash)
				})
			}
		},
	}
}

type buildResult struct {
	Path           string `json:"path"`
	Size           int64  `json:"size"`
	SHA256         string `json:"sha256"`
	SourceCodeHash string `json:"sourceCodeHash"` // base64 SHA-256, as Terraform's filebase64sha256
	GOARCH         string `json:"goarch"`
}

// buildCmd returns the go build command for the bootstrap. Every input
// that could make two builds differ is pinned: no cgo, trimmed paths, no
// build id, no VCS stamping, and the baseline instruction set of each
// architecture (a GOARM64 or GOAMD64 in the caller's environment would
// change the binary, and could make it unrunnable on Lambda's CPUs).
func buildCmd(ctx context.Context, pkg, arch, out string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", "build",
		"-trimpath", "-buildvcs=false",
		"-tags", "lambda.norpc",
		"-ldflags", "-s -w -buildid=",
		"-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch, "GOFLAGS=-mod=readonly",
		"GOARM64=v8.0", "GOAMD64=v1")
	return cmd
}

func buildBootstrapZip(ctx context.Context, pkg, arch, out string) (*buildResult, error) {
	tmp, err := os.MkdirTemp("", "stepwise-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "bootstrap")
	cmd := buildCmd(ctx, pkg, arch, bin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go build %s for linux/%s: %v\n%s", pkg, arch, err, stderr.String())
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	zipped, err := reproducibleZip("bootstrap", exe)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return nil, err
	}
	if err := writeOutput(out, zipped, nil); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(zipped)
	return &buildResult{
		Path:           out,
		Size:           int64(len(zipped)),
		SHA256:         fmt.Sprintf("%x", sum),
		SourceCodeHash: base64.StdEncoding.EncodeToString(sum[:]),
		GOARCH:         arch,
	}, nil
}

// zipEpoch is the fixed modification time of every zip entry (the earliest
// time the zip format can store), so that the archive depends only on the
// file's bytes.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// reproducibleZip stores one executable file with a fixed time and mode.
// The only extra field is the extended timestamp archive/zip writes, which
// holds the same fixed time.
func reproducibleZip(name string, content []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipEpoch}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(content); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
