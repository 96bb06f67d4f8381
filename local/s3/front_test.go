package s3

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// These tests shorten the limits of front.go so that each runs in about a
// second; a response they wait for has a generous safety deadline, which
// only a server without the limit reaches.
const safety = 20 * time.Second

// startLimited starts a server with lim and a bucket "bkt".
func startLimited(t *testing.T, lim limits) (*Server, *awss3.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := Start(ctx, Options{Dir: t.TempDir(), DisableEvents: true, limits: &lim})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := srv.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// signed returns a request to srv signed with UNSIGNED-PAYLOAD, so that its
// body can be sent by hand, at any pace.
func signed(t *testing.T, srv *Server, method, target string, length int64, header http.Header) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, srv.Endpoint()+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.ContentLength = length
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	ak, sk := srv.Credentials()
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk},
		req, "UNSIGNED-PAYLOAD", "s3", srv.Region(), time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

// rawConn is a client connection that writes requests by hand.
type rawConn struct {
	t *testing.T
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, srv *Server) *rawConn {
	t.Helper()
	u, _ := url.Parse(srv.Endpoint())
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(safety))
	return &rawConn{t: t, Conn: c, r: bufio.NewReader(c)}
}

// writeHead writes req's request line and headers, and none of its body.
func (c *rawConn) writeHead(req *http.Request) {
	c.t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", req.Method, req.URL.RequestURI(), req.Host)
	if req.ContentLength >= 0 {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", req.ContentLength)
	}
	_ = req.Header.Write(&b)
	b.WriteString("\r\n")
	if _, err := c.Write(b.Bytes()); err != nil {
		c.t.Fatal(err)
	}
}

// readResponse reads a response; a timeout means the server held the
// connection without answering.
func (c *rawConn) readResponse(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.r, req)
	if err != nil {
		c.t.Fatalf("%s %s: no response: %v", req.Method, req.URL.RequestURI(), err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.t.Fatalf("%s %s: read response: %v", req.Method, req.URL.RequestURI(), err)
	}
	return resp, string(b)
}

// expectClosed asserts that the server closes the connection (without
// sending anything more) before the safety deadline.
func (c *rawConn) expectClosed(what string) {
	c.t.Helper()
	n, err := io.Copy(io.Discard, c.r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.t.Fatalf("%s: connection still open after %v", what, safety)
	}
	if n > 0 {
		c.t.Errorf("%s: %d more bytes before the connection closed", what, n)
	}
}

// expectContinue reads the interim 100 Continue that the server sends
// when it starts reading the body: the request has been admitted.
func (c *rawConn) expectContinue() {
	c.t.Helper()
	line, err := c.r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		c.t.Fatalf("want 100 Continue, got %q, %v", line, err)
	}
	if blank, err := c.r.ReadString('\n'); err != nil || blank != "\r\n" {
		c.t.Fatalf("after 100 Continue: %q, %v", blank, err)
	}
}

func wantS3Error(t *testing.T, what string, resp *http.Response, body string, status int, code string) {
	t.Helper()
	if resp.StatusCode != status || !strings.Contains(body, "<Code>"+code+"</Code>") {
		t.Errorf("%s: %d %s, want %d with code %s", what, resp.StatusCode, body, status, code)
	}
}

func TestSlowBodyCutOff(t *testing.T) {
	srv, c := startLimited(t, limits{BodyWindow: 300 * time.Millisecond, BodyWindowBytes: 1 << 10})
	conn := dial(t, srv)
	req := signed(t, srv, "PUT", "/bkt/slow", 1000, nil)
	conn.writeHead(req)
	// 20 bytes/s: the body would take 50 s, and no read ever waits long.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if _, err := conn.Write([]byte("x")); err != nil {
				return
			}
			select {
			case <-tick.C:
			case <-stop:
				return
			}
		}
	}()
	resp, body := conn.readResponse(req)
	wantS3Error(t, "slow body", resp, body, http.StatusBadRequest, "RequestTimeout")
	conn.expectClosed("slow body")
	if _, err := c.HeadObject(context.Background(), &awss3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("slow")}); err == nil {
		t.Errorf("the object of the cut-off upload exists")
	}
}

// pacedReader yields n chunks of size bytes with a pause before each.
type pacedReader struct {
	chunk []byte
	n     int
	pause time.Duration
	left  []byte
}

func (p *pacedReader) Read(b []byte) (int, error) {
	if len(p.left) == 0 {
		if p.n == 0 {
			return 0, io.EOF
		}
		p.n--
		time.Sleep(p.pause)
		p.left = p.chunk
	}
	n := copy(b, p.left)
	p.left = p.left[n:]
	return n, nil
}

// A body that takes several windows in all but keeps delivering is not a
// slow body: the limit is on the rate, not on the total time.
func TestSteadyUploadLongerThanWindow(t *testing.T) {
	window := 500 * time.Millisecond
	srv, c := startLimited(t, limits{BodyWindow: window, BodyWindowBytes: 16 << 10})
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 1<<10) // 16 KiB
	const chunks = 40
	body := &pacedReader{chunk: chunk, n: chunks, pause: window / 10}
	req := signed(t, srv, "PUT", "/bkt/steady", int64(chunks*len(chunk)), nil)
	req.Body = io.NopCloser(body)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("steady upload over %v: %d %s", time.Since(start).Round(time.Millisecond), resp.StatusCode, b)
	}
	t.Logf("upload took %v with a %v window", time.Since(start).Round(time.Millisecond), window)
	out, err := c.GetObject(context.Background(), &awss3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("steady")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, bytes.Repeat(chunk, chunks)) {
		t.Errorf("object differs: %d bytes, want %d", len(got), chunks*len(chunk))
	}
}

func TestConnectionTimeouts(t *testing.T) {
	srv, _ := startLimited(t, limits{HeaderTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond})
	t.Run("headers", func(t *testing.T) {
		conn := dial(t, srv)
		if _, err := io.WriteString(conn, "GET /bkt HTTP/1.1\r\nHost: 127.0.0.1\r\n"); err != nil {
			t.Fatal(err)
		}
		conn.expectClosed("unfinished headers")
	})
	t.Run("idle", func(t *testing.T) {
		conn := dial(t, srv)
		req := signed(t, srv, "GET", "/bkt?list-type=2", 0, nil)
		conn.writeHead(req)
		if resp, body := conn.readResponse(req); resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("ListObjectsV2: %d (close %v) %s", resp.StatusCode, resp.Close, body)
		}
		conn.expectClosed("idle keep-alive connection")
	})
}

func TestSlowReaderCutOff(t *testing.T) {
	srv, c := startLimited(t, limits{BodyWindow: 300 * time.Millisecond})
	size := 32 << 20 // well over what the socket buffers hold
	if _, err := c.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("big"),
		Body: bytes.NewReader(make([]byte, size))}); err != nil {
		t.Fatal(err)
	}
	conn := dial(t, srv)
	req := signed(t, srv, "GET", "/bkt/big", 0, nil)
	conn.writeHead(req)
	// Stop reading for several windows: the server must give up on us.
	// (No event tells a client that, so this test waits.)
	time.Sleep(2 * time.Second)
	resp, err := http.ReadResponse(conn.r, req)
	if err != nil {
		return // cut off before the headers even arrived
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	t.Logf("read %d of %d bytes: %v", n, size, err)
	if err == nil || n == int64(size) {
		t.Errorf("a client that stopped reading got the whole %d-byte object (%d bytes, %v): the server waited for it", size, n, err)
	}
}

func TestRequestsInFlightCapped(t *testing.T) {
	srv, c := startLimited(t, limits{MaxRequests: 2, ThrottleWait: 200 * time.Millisecond})
	// Two uploads that have started and stay unfinished fill the cap.
	var held []*rawConn
	var heldReqs []*http.Request
	for i := range 2 {
		conn := dial(t, srv)
		req := signed(t, srv, "PUT", fmt.Sprintf("/bkt/held%d", i), 4, http.Header{"Expect": {"100-continue"}})
		conn.writeHead(req)
		conn.expectContinue()
		held, heldReqs = append(held, conn), append(heldReqs, req)
	}
	noRetry := func(o *awss3.Options) { o.RetryMaxAttempts = 1 }
	_, err := c.HeadBucket(context.Background(), &awss3.HeadBucketInput{Bucket: aws.String("bkt")}, noRetry)
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusServiceUnavailable {
		t.Errorf("HeadBucket beyond the cap: %v, want 503 SlowDown", err)
	}
	_, err = c.ListObjectsV2(context.Background(), &awss3.ListObjectsV2Input{Bucket: aws.String("bkt")}, noRetry)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "SlowDown" {
		t.Errorf("ListObjectsV2 beyond the cap: %v, want SlowDown", err)
	}
	// Finishing one upload makes room again.
	if _, err := io.WriteString(held[0], "done"); err != nil {
		t.Fatal(err)
	}
	if resp, body := held[0].readResponse(heldReqs[0]); resp.StatusCode != http.StatusOK {
		t.Fatalf("held upload: %d %s", resp.StatusCode, body)
	}
	if _, err := c.ListObjectsV2(context.Background(), &awss3.ListObjectsV2Input{Bucket: aws.String("bkt")}, noRetry); err != nil {
		t.Errorf("ListObjectsV2 after a request finished: %v", err)
	}
}

func TestXMLBodiesCapped(t *testing.T) {
	srv, c := startLimited(t, limits{MaxXMLBody: 64 << 10, XMLBodiesInFlight: 96 << 10, ThrottleWait: 200 * time.Millisecond})
	put(t, c, "k")

	t.Run("declared too large", func(t *testing.T) {
		conn := dial(t, srv)
		req := signed(t, srv, "PUT", "/bkt/k?tagging", 100<<10, nil)
		conn.writeHead(req)
		resp, body := conn.readResponse(req)
		wantS3Error(t, "100 KiB PUT ?tagging", resp, body, http.StatusBadRequest, "MaxMessageLengthExceeded")
		if !strings.Contains(body, "/bkt/k?tagging") {
			t.Errorf("message does not name the request: %s", body)
		}
	})
	t.Run("chunked too large", func(t *testing.T) {
		// With a checksum header VersityGW reads the body before it
		// answers: the size limit, not a missing header, decides.
		req := signed(t, srv, "POST", "/bkt?delete", -1, http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}})
		req.Body = io.NopCloser(io.LimitReader(neverEnding('x'), 80<<10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantS3Error(t, "80 KiB chunked POST ?delete", resp, string(b), http.StatusBadRequest, "MaxMessageLengthExceeded")
	})
	t.Run("in flight", func(t *testing.T) {
		conn := dial(t, srv)
		req := signed(t, srv, "PUT", "/bkt/k?tagging", 60<<10, http.Header{"Expect": {"100-continue"}})
		conn.writeHead(req)
		conn.expectContinue()
		// 60 KiB are held: a second 60 KiB body does not fit.
		conn2 := dial(t, srv)
		req2 := signed(t, srv, "PUT", "/bkt/k?tagging", 60<<10, nil)
		conn2.writeHead(req2)
		resp, body := conn2.readResponse(req2)
		wantS3Error(t, "second 60 KiB PUT ?tagging", resp, body, http.StatusServiceUnavailable, "SlowDown")
		// Object data is streamed, not held: it does not wait.
		put(t, c, "data")
		// Once the first body is done, the budget is free again.
		if _, err := conn.Write(bytes.Repeat([]byte(" "), 60<<10)); err != nil {
			t.Fatal(err)
		}
		conn.readResponse(req) // VersityGW's verdict on 60 KiB of spaces does not matter
		_, err := c.PutObjectTagging(context.Background(), &awss3.PutObjectTaggingInput{Bucket: aws.String("bkt"), Key: aws.String("k"),
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}})
		if err != nil {
			t.Errorf("PutObjectTagging after the held body finished: %v", err)
		}
	})
}

func put(t *testing.T, c *awss3.Client, key string) {
	t.Helper()
	_, err := c.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key),
		Body: bytes.NewReader(bytes.Repeat([]byte("d"), 1<<20))})
	if err != nil {
		t.Fatalf("PutObject %s: %v", key, err)
	}
}

type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// TestChildMemoryUnderConcurrentBodies measures the server process's peak
// RSS while 100 clients each send a 4 MiB body that VersityGW would read
// into memory. It is slow and Linux-only, so it runs only when asked:
// STEPWISE_S3_MEMORY=1 go test -run TestChildMemory -v ./local/s3/
func TestChildMemoryUnderConcurrentBodies(t *testing.T) {
	if os.Getenv("STEPWISE_S3_MEMORY") == "" {
		t.Skip("STEPWISE_S3_MEMORY not set: memory measurement skipped")
	}
	srv, c := startLimited(t, limits{})
	pid := srv.cmd.Process.Pid
	idle := peakRSS(t, pid)
	put(t, c, "k")
	body := bytes.Repeat([]byte("x"), 4<<20)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := signed(t, srv, "PUT", fmt.Sprintf("/bkt/k?tagging&n=%d", i), int64(len(body)), nil)
			req.Body = io.NopCloser(bytes.NewReader(body))
			resp, err := http.DefaultClient.Do(req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				codes[-1]++
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[resp.StatusCode]++
		}()
	}
	wg.Wait()
	peak := peakRSS(t, pid)
	t.Logf("100 concurrent 4 MiB PUT ?tagging: responses %v; server peak RSS %d MiB, idle %d MiB", codes, peak>>20, idle>>20)
	if peak-idle > 400<<20 {
		t.Errorf("server grew by %d MiB: bodies in flight are not bounded", (peak-idle)>>20)
	}
}

// peakRSS returns the process's peak resident set size in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("/proc not readable (%v): memory measurement skipped", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	t.Skip("no VmHWM in /proc status: memory measurement skipped")
	return 0
}

// TestWriteFailureNamesTheDataDirectory: a 500 from VersityGW to a write
// is explained when the data directory cannot be written (a read-only
// file system), and passed on unchanged otherwise.
func TestWriteFailureNamesTheDataDirectory(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		root, method string
		explained    bool
	}{
		{notADir, http.MethodPut, true},
		{notADir, http.MethodGet, false},
		{t.TempDir(), http.MethodPut, false},
	} {
		req := httptest.NewRequest(tt.method, "/stepwise/k", nil)
		resp := &http.Response{StatusCode: 500, Request: req, Header: http.Header{"X-Amz-Request-Id": {"R1"}},
			Body: io.NopCloser(strings.NewReader("<Error><Code>InternalError</Code></Error>"))}
		f := &front{root: tt.root}
		if err := f.explainWriteFailure(resp); err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if got := strings.Contains(string(body), "cannot write its data directory"); got != tt.explained {
			t.Errorf("%s with root %s: body %s", tt.method, tt.root, body)
		}
		if tt.explained && !strings.Contains(string(body), "not a directory") {
			t.Errorf("the cause is not named: %s", body)
		}
	}
}
