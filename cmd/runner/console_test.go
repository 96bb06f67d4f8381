package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lineWaiter is an io.Writer, safe for a command running in another
// goroutine, that lets a test read its output so far or wait for a line
// matching a pattern.
type lineWaiter struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (w *lineWaiter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// String is what was written so far.
func (w *lineWaiter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// eventually reports whether the output holds s within a minute: a
// command prints its lines after it announces its endpoints, so a test
// that read at once could find them missing.
func (w *lineWaiter) eventually(s string) bool {
	for range 600 {
		if strings.Contains(w.String(), s) {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

func (w *lineWaiter) wait(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	for range 600 {
		if m := re.FindStringSubmatch(w.String()); m != nil {
			return m[1]
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no line matching %s in:\n%s", re, w.String())
	return ""
}

func fetch(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s\n%s", u, resp.Status, b)
	}
	return string(b)
}

// TestConsoleAgainstAnotherStack: `runner console --endpoint-url` shows the
// executions of a second `runner up` (its own data directory, a free port):
// the console is a client of whatever Step Functions API it is pointed at.
// `runner up` itself serves the console at GET / of its API address.
func TestConsoleAgainstAnotherStack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local stack; skipped with -short")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	upOut := &lineWaiter{}
	upDone := make(chan int, 1)
	go func() {
		upDone <- run(ctx, []string{"up", "--data-dir", filepath.Join(dir, "second"), "--addr", "127.0.0.1:0", "--s3-addr", "127.0.0.1:0"}, strings.NewReader(""), upOut, io.Discard)
	}()
	api := upOut.wait(t, regexp.MustCompile(`(?m)^stepfunctions (http://\S+)$`))
	if got := upOut.wait(t, regexp.MustCompile(`(?m)^console (http://\S+)/ `)); got != api {
		t.Errorf("runner up prints the console at %s, want %s", got, api)
	}
	code := run(ctx, []string{"start", "--endpoint-url", api, "--state-machine", exportStateMachineName, "--name", "on-the-second-stack",
		"--input", `{"request": {"source": {}}}`, "--wait"}, strings.NewReader(""), io.Discard, io.Discard)
	if code == exitOK {
		t.Fatal("a bad export request succeeded")
	}
	// runner up's own console.
	if body := fetch(t, api+"/"); !strings.Contains(body, exportStateMachineName) || !strings.Contains(body, "on-the-second-stack") {
		t.Errorf("GET / of runner up does not show the workflow and its last execution:\n%s", body)
	}

	conOut := &lineWaiter{}
	conDone := make(chan int, 1)
	go func() {
		conDone <- run(ctx, []string{"console", "--endpoint-url", api, "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "none")}, strings.NewReader(""), conOut, os.Stderr)
	}()
	con := conOut.wait(t, regexp.MustCompile(`console: (http://\S+)/`))
	arn := "arn:aws:states:us-east-1:123456789012:stateMachine:" + exportStateMachineName
	body := fetch(t, con+"/workflow?arn="+url.QueryEscape(arn))
	if !strings.Contains(body, "on-the-second-stack") || !strings.Contains(body, "FAILED") {
		t.Errorf("runner console does not list the second stack's execution:\n%s", body)
	}
	cancel()
	if c := <-conDone; c != exitOK {
		t.Errorf("runner console exited %d", c)
	}
	<-upDone
}
