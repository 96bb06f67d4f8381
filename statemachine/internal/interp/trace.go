package interp

import (
	"context"
	"sync"
)

// TestState at inspection level TRACE shows the raw HTTP request and
// response of an HTTP Task. The engine does not speak HTTP: it hands the
// service invoker a callback ([ServiceRequest.Trace]) through the task
// call's context, and the invoker reports the exchange to it.

type traceKey struct{}

// traceSink keeps the last exchange a TestState task reported.
type traceSink struct {
	reveal bool
	mu     sync.Mutex
	last   *HTTPTrace
}

func (s *traceSink) record(t HTTPTrace) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = &t
}

// fill adds the recorded exchange to d; a nil sink or one that recorded
// nothing (the task was no HTTP Task, or a mock answered) adds nothing.
func (s *traceSink) fill(d *InspectionData) {
	if s == nil || d == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		return
	}
	req := s.last.Request
	d.Request = &req
	if s.last.Response != nil {
		resp := *s.last.Response
		d.Response = &resp
	}
}

// withTrace sets req's Trace and RevealSecrets when ctx carries
// TestState's trace sink.
func withTrace(ctx context.Context, req *ServiceRequest) {
	if s, ok := ctx.Value(traceKey{}).(*traceSink); ok {
		req.Trace = s.record
		req.RevealSecrets = s.reveal
	}
}
