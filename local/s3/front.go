package s3

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The front server: why it exists.
//
// VersityGW's embedding API cannot bound what a client may hold: s3api.New
// builds its fiber (fasthttp) configuration itself, with no read, write or
// idle timeout, and the requests whose XML body it reads whole into memory
// (PUT ?tagging, POST ?delete, CompleteMultipartUpload, a body sent with a
// CopyObject) have no size limit: 100 signed 4 MiB PUT ?tagging requests
// took the server process from 22 MiB to 1.1 GiB, and a body sent at
// 1 byte/s held its connection as long as the client liked. So the child
// serves the public address with net/http, applies the limits below, and
// forwards each request unchanged (method, request URI, Host and every
// end-to-end header, so SigV4 signatures still verify) and streaming (a body
// is never buffered) to VersityGW on a private Unix socket. With TLS the
// front server terminates it; VersityGW speaks plain HTTP on the socket.

// limits are the front server's limits. They travel to the child in its
// configuration so that tests can shorten them.
type limits struct {
	// HeaderTimeout bounds the TLS handshake and the request line and
	// headers; IdleTimeout closes a keep-alive connection with no request.
	HeaderTimeout time.Duration `json:"headerTimeout"`
	IdleTimeout   time.Duration `json:"idleTimeout"`
	// A request body must deliver BodyWindowBytes within every BodyWindow
	// of time the server spends waiting for it, and every write of a
	// response must complete within BodyWindow. A rate rule, not a total
	// timeout: an upload of any size at any sensible speed completes, a
	// 1 byte/s body is cut off after BodyWindow.
	BodyWindow      time.Duration `json:"bodyWindow"`
	BodyWindowBytes int64         `json:"bodyWindowBytes"`
	// MaxConns caps open client connections (more wait in the kernel's
	// accept queue); MaxRequests caps requests in flight.
	MaxConns    int `json:"maxConns"`
	MaxRequests int `json:"maxRequests"`
	// MaxXMLBody caps a body that VersityGW reads into memory (everything
	// but object data), and XMLBodiesInFlight caps those bodies' bytes
	// together.
	MaxXMLBody        int64 `json:"maxXmlBody"`
	XMLBodiesInFlight int64 `json:"xmlBodiesInFlight"`
	// ThrottleWait is how long a request waits for room under MaxRequests
	// and XMLBodiesInFlight before it is answered 503 SlowDown, as S3
	// answers a client that goes too fast (the AWS SDKs retry it).
	ThrottleWait time.Duration `json:"throttleWait"`
	// ShutdownGrace is how long requests in flight may finish when the
	// server stops; then connections are closed.
	ShutdownGrace time.Duration `json:"shutdownGrace"`
}

// formBodyInMemory is how much of a browser-form POST upload
// (multipart/form-data) fasthttp keeps in memory; the rest goes to
// temporary files. Such a body reserves that much of XMLBodiesInFlight.
const formBodyInMemory = 16 << 20

// defaultLimits are those of the local stack. The XML bodies of S3's
// largest legitimate requests (CompleteMultipartUpload of 10,000 parts,
// DeleteObjects of 1,000 keys) are under 2 MiB. VersityGW holds about 1 MiB
// per request streaming an object (its copy buffer) and about 3 times an
// XML body's size while it parses it, so the in-flight caps bound the
// process at roughly 128 MiB + 3 × 32 MiB above its idle size.
func defaultLimits() limits {
	return limits{
		HeaderTimeout:     5 * time.Second,
		IdleTimeout:       60 * time.Second,
		BodyWindow:        15 * time.Second,
		BodyWindowBytes:   64 << 10,
		MaxConns:          4096,
		MaxRequests:       128,
		MaxXMLBody:        4 << 20,
		XMLBodiesInFlight: 32 << 20,
		ThrottleWait:      5 * time.Second,
		ShutdownGrace:     2 * time.Second,
	}
}

// withDefaults fills the zero fields of l from defaultLimits.
func (l limits) withDefaults() limits {
	d := defaultLimits()
	set := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.HeaderTimeout, d.HeaderTimeout)
	set(&l.IdleTimeout, d.IdleTimeout)
	set(&l.BodyWindow, d.BodyWindow)
	set(&l.ThrottleWait, d.ThrottleWait)
	set(&l.ShutdownGrace, d.ShutdownGrace)
	if l.BodyWindowBytes <= 0 {
		l.BodyWindowBytes = d.BodyWindowBytes
	}
	if l.MaxConns <= 0 {
		l.MaxConns = d.MaxConns
	}
	if l.MaxRequests <= 0 {
		l.MaxRequests = d.MaxRequests
	}
	if l.MaxXMLBody <= 0 {
		l.MaxXMLBody = d.MaxXMLBody
	}
	if l.XMLBodiesInFlight <= 0 {
		l.XMLBodiesInFlight = d.XMLBodiesInFlight
	}
	return l
}

// front is the front server's handler: it admits a request under the
// limits and forwards it to VersityGW.
type front struct {
	lim      limits
	proxy    *httputil.ReverseProxy
	tr       *http.Transport
	requests chan struct{} // one token per request in flight
	xml      *budget       // bytes of XML bodies in flight
	log      io.Writer
	root     string // the directory holding the buckets ("" in tests)
}

// newFront returns the handler forwarding to VersityGW listening on the
// Unix socket sock.
func newFront(sock, root string, lim limits, log io.Writer) *front {
	f := &front{
		root:     root,
		lim:      lim,
		requests: make(chan struct{}, lim.MaxRequests),
		xml:      newBudget(lim.XMLBodiesInFlight),
		log:      log,
	}
	var d net.Dialer
	f.tr = &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", sock)
		},
		MaxIdleConns:        lim.MaxRequests,
		MaxIdleConnsPerHost: lim.MaxRequests,
		IdleConnTimeout:     lim.IdleTimeout,
		// The response is passed on as VersityGW wrote it: no gzip
		// negotiated on the client's behalf.
		DisableCompression: true,
		WriteBufferSize:    64 << 10,
		ReadBufferSize:     64 << 10,
	}
	f.proxy = &httputil.ReverseProxy{
		Rewrite:        rewrite,
		Transport:      f.tr,
		BufferPool:     bufferPool{},
		ErrorHandler:   f.proxyError,
		ModifyResponse: f.explainWriteFailure,
	}
	return f
}

// explainWriteFailure names the cause of a failed write when it is the
// data directory itself: VersityGW answers a read-only file system with a
// bare 500 InternalError ("We encountered an internal error").
func (f *front) explainWriteFailure(resp *http.Response) error {
	if resp.StatusCode != http.StatusInternalServerError {
		return nil
	}
	cause := f.cannotWrite(resp.Request.Method)
	if cause == nil {
		return nil
	}
	resp.Body.Close()
	body := s3ErrorXML("InternalError", "the local S3 cannot write its data directory: "+cause.Error(), resp.Request.URL.Path, resp.Header.Get("X-Amz-Request-Id"))
	resp.Body = io.NopCloser(strings.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.TransferEncoding = nil
	resp.Header.Set("Content-Type", "application/xml")
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

// cannotWrite reports, for a request that writes (method), why the data
// directory cannot be written, or nil.
func (f *front) cannotWrite(method string) error {
	if f.root == "" {
		return nil
	}
	switch method {
	case http.MethodPut, http.MethodPost, http.MethodDelete:
		return writeProbe(f.root)
	}
	return nil
}

// writeProbe reports why no file can be created in dir, or nil.
func writeProbe(dir string) error {
	p, err := os.CreateTemp(dir, ".stepwise-write-probe-*")
	if err != nil {
		return err
	}
	name := p.Name()
	p.Close()
	return os.Remove(name)
}

// rewrite addresses the outbound request to VersityGW without changing
// anything a signature covers: the request URI as the client sent it (not
// re-escaped), the Host header, and the X-Forwarded-* headers ReverseProxy
// strips. Only hop-by-hop headers (Connection, Transfer-Encoding, ...) go.
func rewrite(pr *httputil.ProxyRequest) {
	out, in := pr.Out, pr.In
	path, query, _ := strings.Cut(in.RequestURI, "?")
	u := *out.URL
	u.Scheme, u.Host = "http", "versitygw"
	u.RawQuery = query
	u.ForceQuery = strings.HasSuffix(in.RequestURI, "?")
	if strings.HasPrefix(path, "/") && !strings.HasPrefix(path, "//") {
		// Opaque is written to the request line verbatim.
		u.Opaque = path
	}
	out.URL = &u
	out.Host = in.Host
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if v, ok := in.Header[h]; ok {
			out.Header[h] = v
		}
	}
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	// A response with no Content-Type stays without one (no sniffing).
	w.Header()["Content-Type"] = nil

	var body *clientBody
	// Go's server reads up to 256 KiB of a body the handler left unread
	// before it reuses or closes the connection; that read must not wait
	// on a stalled client without end either, and a body cut off as too
	// slow is not read at all. (Once the body reached EOF the server is
	// watching the connection itself: no deadline then.)
	defer func() {
		switch {
		case body != nil && body.slow.Load():
			_ = rc.SetReadDeadline(time.Now())
		case r.ContentLength != 0 && (body == nil || !body.eof.Load()):
			_ = rc.SetReadDeadline(time.Now().Add(f.lim.BodyWindow))
		}
	}()

	reserve, ok := f.xmlReservation(r)
	if !ok {
		writeS3Error(w, r, http.StatusBadRequest, "MaxMessageLengthExceeded", fmt.Sprintf(
			"Your request was too big: the body of %s %s is read into memory, and %d bytes is over the %d bytes this server accepts.",
			r.Method, describeRequest(r), r.ContentLength, f.lim.MaxXMLBody))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), f.lim.ThrottleWait)
	admitted := f.admit(ctx, reserve)
	cancel()
	if !admitted {
		if r.Context().Err() == nil {
			writeS3Error(w, r, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		}
		return
	}
	defer f.release(reserve)

	if r.Body != nil && r.Body != http.NoBody {
		limit := int64(-1)
		if reserve > 0 && !isFormUpload(r) {
			limit = f.lim.MaxXMLBody
		}
		body = &clientBody{body: r.Body, rc: rc, window: f.lim.BodyWindow, min: f.lim.BodyWindowBytes, limit: limit}
		defer body.finish()
		r.Body = body
		r = r.WithContext(context.WithValue(r.Context(), clientBodyKey{}, body))
	}
	cw := &clientWriter{ResponseWriter: w, rc: rc, window: f.lim.BodyWindow}
	f.proxy.ServeHTTP(cw, r)
	// Flush what is buffered while the write deadline still holds, so a
	// client that stopped reading cannot hold the connection.
	_ = rc.SetWriteDeadline(time.Now().Add(f.lim.BodyWindow))
	_ = rc.Flush()
}

// xmlReservation returns how many bytes of XMLBodiesInFlight r needs (0 for
// object data, which VersityGW streams), and false if its declared length
// is over MaxXMLBody.
func (f *front) xmlReservation(r *http.Request) (int64, bool) {
	switch {
	case r.ContentLength == 0 || streamedUpload(r):
		return 0, true
	case isFormUpload(r):
		return min(lengthOrMax(r.ContentLength), formBodyInMemory), true
	case r.ContentLength > f.lim.MaxXMLBody:
		return 0, false
	case r.ContentLength < 0: // chunked: the most it may be
		return f.lim.MaxXMLBody, true
	}
	return r.ContentLength, true
}

// lengthOrMax returns n, or the largest length for an unknown one (-1).
func lengthOrMax(n int64) int64 {
	if n < 0 {
		return 1<<63 - 1
	}
	return n
}

// admit waits until r may run: a request token, then the XML body bytes.
func (f *front) admit(ctx context.Context, reserve int64) bool {
	select {
	case f.requests <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	if reserve > 0 && !f.xml.acquire(ctx, reserve) {
		<-f.requests
		return false
	}
	return true
}

func (f *front) release(reserve int64) {
	if reserve > 0 {
		f.xml.release(reserve)
	}
	<-f.requests
}

// proxyError answers a request that could not be forwarded or whose body
// failed on the way, in S3's words.
func (f *front) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	body, _ := r.Context().Value(clientBodyKey{}).(*clientBody)
	switch {
	case body != nil && body.slow.Load():
		writeS3Error(w, r, http.StatusBadRequest, "RequestTimeout",
			fmt.Sprintf("Your socket connection to the server was not read from or written to within the timeout period: the request body sent less than %d bytes in %v.", f.lim.BodyWindowBytes, f.lim.BodyWindow))
	case body != nil && body.tooLarge.Load():
		writeS3Error(w, r, http.StatusBadRequest, "MaxMessageLengthExceeded",
			fmt.Sprintf("Your request was too big: the body of %s %s is read into memory, and this server accepts at most %d bytes.", r.Method, describeRequest(r), f.lim.MaxXMLBody))
	case r.Context().Err() != nil:
		// The client has gone; nobody to answer.
	case body != nil && body.failed.Load():
		// The client's connection broke mid-body.
		writeS3Error(w, r, http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	default:
		fmt.Fprintf(f.log, "local s3: forward %s %s to the S3 server: %v\n", r.Method, describeRequest(r), err)
		if cause := f.cannotWrite(r.Method); cause != nil {
			// VersityGW drops the connection when it cannot create its
			// temporary file: say why instead of "retry".
			writeS3Error(w, r, http.StatusInternalServerError, "InternalError", "the local S3 cannot write its data directory: "+cause.Error())
			return
		}
		writeS3Error(w, r, http.StatusServiceUnavailable, "ServiceUnavailable", "The local S3 server is not available; retry.")
	}
}

// streamedUpload reports whether VersityGW streams r's body to disk rather
// than reading it into memory: PutObject and UploadPart, which are a PUT on
// an object key with no sub-resource in the query and no copy source.
func streamedUpload(r *http.Request) bool {
	if r.Method != http.MethodPut || r.Header.Get("X-Amz-Copy-Source") != "" {
		return false
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if bucket == "" || key == "" {
		return false
	}
	for k := range r.URL.Query() {
		switch {
		case k == "partNumber", k == "uploadId", k == "x-id":
		case len(k) > 6 && strings.EqualFold(k[:6], "x-amz-"): // presigned URL
		default:
			return false
		}
	}
	return true
}

// isFormUpload reports whether r is a browser-form POST upload.
func isFormUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "multipart/form-data")
}

// describeRequest names r's target for a message: "PUT /bkt/key?tagging".
func describeRequest(r *http.Request) string {
	s := r.URL.Path
	if r.URL.RawQuery != "" {
		s += "?" + r.URL.RawQuery
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// writeS3Error writes an S3 error response. It closes the connection after
// a request with a body, which may not have been read.
func writeS3Error(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	var id [8]byte
	_, _ = rand.Read(id[:])
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	if r.ContentLength != 0 {
		h.Set("Connection", "close")
	}
	h.Set("X-Amz-Request-Id", strings.ToUpper(hex.EncodeToString(id[:])))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = io.WriteString(w, s3ErrorXML(code, msg, r.URL.Path, h.Get("X-Amz-Request-Id")))
}

// s3ErrorXML is the body of an S3 error response.
func s3ErrorXML(code, msg, resource, requestID string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<Error><Code>")
	xmlEscape(&b, code)
	b.WriteString("</Code><Message>")
	xmlEscape(&b, msg)
	b.WriteString("</Message><Resource>")
	xmlEscape(&b, resource)
	b.WriteString("</Resource><RequestId>")
	xmlEscape(&b, requestID)
	b.WriteString("</RequestId></Error>")
	return b.String()
}

func xmlEscape(b *strings.Builder, s string) {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")
	_, _ = r.WriteString(b, s)
}

type clientBodyKey struct{}

// errSlowBody and errBodyTooLarge end a request body that broke a limit.
var (
	errSlowBody     = errors.New("local s3: request body too slow")
	errBodyTooLarge = errors.New("local s3: request body too large")
)

// clientBody is a request body read under the rate rule: reads block at
// most until the window's time is used up, and the window starts afresh
// each time BodyWindowBytes have arrived. Only time spent waiting for the
// client counts, not time VersityGW takes to consume what it got.
//
// The transport may read the body from its own goroutine, even after the
// handler returned; finish stops it from touching the connection then.
type clientBody struct {
	body   io.ReadCloser
	rc     *http.ResponseController
	window time.Duration
	min    int64
	limit  int64 // most bytes accepted, -1 for no limit

	got    int64         // bytes in the current window
	waited time.Duration // time blocked in the current window
	total  int64

	slow, tooLarge, failed, eof atomic.Bool

	mu       sync.Mutex
	finished bool
}

func (b *clientBody) Read(p []byte) (int, error) {
	if b.limit >= 0 && int64(len(p)) > b.limit-b.total+1 {
		p = p[:b.limit-b.total+1]
	}
	start := time.Now()
	b.mu.Lock()
	if b.finished {
		b.mu.Unlock()
		return 0, http.ErrBodyReadAfterClose
	}
	_ = b.rc.SetReadDeadline(start.Add(b.window - b.waited))
	b.mu.Unlock()

	n, err := b.body.Read(p)
	b.total += int64(n)
	b.got += int64(n)
	b.waited += time.Since(start)
	if b.got >= b.min {
		b.got, b.waited = 0, 0
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		b.slow.Store(true)
		return n, errSlowBody
	case b.limit >= 0 && b.total > b.limit:
		b.tooLarge.Store(true)
		return n, errBodyTooLarge
	case err == io.EOF:
		// The server now watches the connection for the client going
		// away; an expired deadline would read as that.
		b.eof.Store(true)
		b.mu.Lock()
		if !b.finished {
			_ = b.rc.SetReadDeadline(time.Time{})
		}
		b.mu.Unlock()
	case err != nil:
		b.failed.Store(true)
	}
	return n, err
}

func (b *clientBody) Close() error { return b.body.Close() }

// finish is called when the handler returns.
func (b *clientBody) finish() {
	b.mu.Lock()
	b.finished = true
	b.mu.Unlock()
}

// clientWriter gives every write of the response BodyWindow to complete,
// so a client that stops reading cannot hold the connection.
type clientWriter struct {
	http.ResponseWriter
	rc     *http.ResponseController
	window time.Duration
}

func (w *clientWriter) Write(p []byte) (int, error) {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.window))
	return w.ResponseWriter.Write(p)
}

// WriteHeader drops VersityGW's 100 Continue: the Expect header is passed
// on (a signature may cover it), but the client had its 100 Continue from
// this server when the body was first read.
func (w *clientWriter) WriteHeader(code int) {
	if code == http.StatusContinue {
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *clientWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// budget is a counting semaphore over bytes.
type budget struct {
	mu      sync.Mutex
	free    int64
	changed chan struct{} // closed and replaced on every release
}

func newBudget(n int64) *budget { return &budget{free: n, changed: make(chan struct{})} }

// acquire takes n bytes, waiting for them until ctx is done.
func (b *budget) acquire(ctx context.Context, n int64) bool {
	for {
		b.mu.Lock()
		if b.free >= n {
			b.free -= n
			b.mu.Unlock()
			return true
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

func (b *budget) release(n int64) {
	b.mu.Lock()
	b.free += n
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// bufferPool recycles the buffers that copy response bodies.
type bufferPool struct{}

var copyBuffers = sync.Pool{New: func() any { return make([]byte, 128<<10) }}

func (bufferPool) Get() []byte { return copyBuffers.Get().([]byte) }

func (bufferPool) Put(b []byte) {
	//lint:ignore SA6002 a slice header per Put is cheap next to the 128 KiB it recycles
	copyBuffers.Put(b)
}

// limitListener accepts at most max connections at a time.
type limitListener struct {
	net.Listener
	slots chan struct{}
	done  chan struct{}
	once  sync.Once
}

func newLimitListener(l net.Listener, max int) *limitListener {
	return &limitListener{Listener: l, slots: make(chan struct{}, max), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// serveFront serves the front server on ln (TLS with tlsCfg when non-nil)
// until ctx is done, then lets requests in flight finish for
// ShutdownGrace and closes every connection.
func serveFront(ctx context.Context, ln net.Listener, f *front, tlsCfg *tls.Config) error {
	srv := &http.Server{
		Handler:           f,
		ReadHeaderTimeout: f.lim.HeaderTimeout,
		IdleTimeout:       f.lim.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		// HTTP/1.1 only, as VersityGW itself speaks: the per-request
		// deadlines above are connection deadlines.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ErrorLog:     log.New(quietLog{f.log}, "local s3: ", 0),
	}
	ln = newLimitListener(ln, f.lim.MaxConns)
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		f.tr.CloseIdleConnections()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), f.lim.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	<-done
	f.tr.CloseIdleConnections()
	return nil
}

// quietLog passes the front server's error log on without the TLS
// handshake errors any port scan causes.
type quietLog struct{ w io.Writer }

func (q quietLog) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "TLS handshake error") {
		return len(p), nil
	}
	return q.w.Write(p)
}

// frontTLS returns the TLS configuration serving certFile and keyFile.
func frontTLS(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("local s3: tls: load %s: %w", certFile, err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}, nil
}
