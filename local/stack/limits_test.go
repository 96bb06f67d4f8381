package stack

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func limitsStack(t *testing.T) *Stack {
	t.Helper()
	st, err := Open(context.Background(), Options{DataDir: t.TempDir(), Repo: repo, NoS3: true, NoDeploy: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestAPIRefusesOversizedBody: a body over AWS's 1 MB request limit is
// refused from its Content-Length, before it is read.
func TestAPIRefusesOversizedBody(t *testing.T) {
	st := limitsStack(t)
	body := strings.NewReader(`{"name":"` + strings.Repeat("x", 2<<20) + `"}`)
	req, _ := http.NewRequest("POST", st.Endpoints.StepFunctions, body)
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "exceeds the Step Functions API limit of 1048576 bytes") {
		t.Errorf("%d %s", resp.StatusCode, b)
	}
}

// TestAPIBodiesInFlightCapped: with the in-flight budget taken by a body
// that is still arriving, the next request is throttled instead of
// buffered.
func TestAPIBodiesInFlightCapped(t *testing.T) {
	block := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		<-block
	})
	l := newBodyLimiter(h, 1<<20, 1<<20, 50*time.Millisecond)
	first := make(chan struct{})
	go func() {
		defer close(first)
		r, _ := http.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", 1<<20)))
		l.ServeHTTP(discard{}, r)
	}()
	// Wait until the first request holds the whole budget.
	for len(l.slots) < cap(l.slots) {
		time.Sleep(time.Millisecond)
	}
	rec := &recorder{}
	r, _ := http.NewRequest("POST", "/", strings.NewReader("{}"))
	l.ServeHTTP(rec, r)
	if rec.status != http.StatusBadRequest || !strings.Contains(rec.body.String(), "ThrottlingException") {
		t.Errorf("second request: %d %s, want ThrottlingException", rec.status, rec.body.String())
	}
	close(block)
	<-first
	if len(l.slots) != 0 {
		t.Errorf("%d KiB still reserved after both requests", len(l.slots))
	}
}

// TestAPISlowBodyCutOff: a client that trickles its body is disconnected
// after the read timeout instead of holding the connection.
func TestAPISlowBodyCutOff(t *testing.T) {
	old := readTimeout
	readTimeout = 300 * time.Millisecond
	defer func() { readTimeout = old }()
	st := limitsStack(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(st.Endpoints.StepFunctions, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\nContent-Length: 1000\r\n\r\n{")
	// Keep trickling (one byte per 50 ms) for up to 100 bytes; the server
	// must answer or close long before the body is complete.
	closed := make(chan error, 1)
	go func() {
		_, err := bufio.NewReader(conn).ReadString('\n')
		closed <- err
	}()
	for i := 0; i < 100; i++ {
		select {
		case <-closed:
			return
		case <-time.After(50 * time.Millisecond):
			if _, err := io.WriteString(conn, " "); err != nil {
				return
			}
		}
	}
	t.Fatal("a 20 byte/s body held the connection for 5 s past a 300 ms read timeout")
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

type recorder struct {
	status int
	body   strings.Builder
	h      http.Header
}

func (r *recorder) Header() http.Header {
	if r.h == nil {
		r.h = http.Header{}
	}
	return r.h
}
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(s int)           { r.status = s }
