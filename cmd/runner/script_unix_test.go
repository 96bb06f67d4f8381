//go:build unix

package main

import (
	"io"
	"os"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	// mkfifo FIFO COPY: make a named pipe and copy what one writer writes
	// to it into COPY (which appears when the writer closes the pipe).
	scriptCmds["mkfifo"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: mkfifo FIFO COPY")
		}
		fifo, copyTo := ts.MkAbs(args[0]), ts.MkAbs(args[1])
		ts.Check(syscall.Mkfifo(fifo, 0o644))
		go func() {
			f, err := os.Open(fifo) // blocks until a writer opens it
			if err != nil {
				return
			}
			defer f.Close()
			data, _ := io.ReadAll(f)
			tmp := copyTo + ".partial"
			if os.WriteFile(tmp, data, 0o644) == nil {
				os.Rename(tmp, copyTo)
			}
		}()
	}
}
