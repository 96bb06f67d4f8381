package stack

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Limits of the Step Functions API server. AWS caps a Step Functions API
// request at 1 MB (definitions at 1 MB, inputs at 256 KiB), so a larger
// body is refused before it is read; bodies in flight together are capped
// so that many concurrent requests cannot balloon the process (100 × 4 MiB
// took the stack from 190 MiB to 1.2 GiB); and a client must send its
// headers and body in bounded time, so a 1 byte/s body cannot hold a
// connection and its buffers.
var (
	maxRequestBody    int64 = 1 << 20
	maxBodiesInFlight int64 = 32 << 20
	throttleWait            = 5 * time.Second // wait for room before ThrottlingException
	readHeaderTimeout       = 5 * time.Second
	readTimeout             = 15 * time.Second // headers and body; bodies are ≤ 1 MiB on loopback
	idleTimeout             = 60 * time.Second
	shutdownGrace           = 2 * time.Second // then connections are closed
)

// bodyLimiter is a semaphore over request body bytes.
type bodyLimiter struct {
	next  http.Handler
	slots chan struct{} // one per KiB of the in-flight budget
	max   int64
	wait  time.Duration
}

func newBodyLimiter(next http.Handler, perRequest, inFlight int64, wait time.Duration) *bodyLimiter {
	return &bodyLimiter{next: next, slots: make(chan struct{}, inFlight>>10), max: perRequest, wait: wait}
}

func (l *bodyLimiter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := r.ContentLength
	if n > l.max {
		writeAPIError(w, http.StatusRequestEntityTooLarge, "ValidationException",
			fmt.Sprintf("request body of %d bytes exceeds the Step Functions API limit of %d bytes", n, l.max))
		return
	}
	if n < 0 { // chunked: reserve the most it may be
		n = l.max
	}
	kib := int((n + 1023) >> 10)
	ctx, cancel := context.WithTimeout(r.Context(), l.wait)
	defer cancel()
	for i := 0; i < kib; i++ {
		select {
		case l.slots <- struct{}{}:
		case <-ctx.Done():
			l.release(i)
			writeAPIError(w, http.StatusBadRequest, "ThrottlingException", "too many request bodies in flight; retry")
			return
		}
	}
	defer l.release(kib)
	r.Body = http.MaxBytesReader(w, r.Body, l.max)
	l.next.ServeHTTP(w, r)
}

func (l *bodyLimiter) release(kib int) {
	for range kib {
		<-l.slots
	}
}

func writeAPIError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("Connection", "close")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":"com.amazonaws.swf.service.v2.model#%s","message":%q}`, code, msg)
}

// newAPIServer builds the Step Functions API's http.Server with the limits.
func newAPIServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           newBodyLimiter(h, maxRequestBody, maxBodiesInFlight, throttleWait),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
}
