package s3_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
)

const helperEnv = "STEPWISE_LOCAL_S3_TEST_PARENT"

// TestHelperParent is not a test: TestServerDiesWithParent runs the test
// binary with helperEnv set to make this the parent of a server.
func TestHelperParent(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for TestServerDiesWithParent")
	}
	// The server inherits our stderr, so the test sees it close only
	// when the server process has exited.
	srv, err := locals3.Start(context.Background(), locals3.Options{Dir: dir, Log: os.Stderr, DisableEvents: true})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready", srv.Endpoint())
	select {}
}

// TestServerDiesWithParent kills the server's parent with SIGKILL: the
// server must exit by itself instead of serving on as an orphan.
func TestServerDiesWithParent(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperParent$")
	cmd.Env = append(os.Environ(), helperEnv+"="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	// A plain pipe, not StderrPipe: Wait would close that one.
	stderr, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || len(line) < 5 || line[:5] != "ready" {
		cmd.Process.Kill()
		t.Fatalf("helper: %q %v", line, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, stderr) // EOF once the orphaned server has exited
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute): // a hang guard, not a timing assertion
		t.Fatal("the server outlived its parent")
	}
}
