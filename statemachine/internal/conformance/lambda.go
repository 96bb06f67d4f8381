package conformance

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// LambdaResult is one emulated invocation's response, shaped like the
// Lambda Invoke API's (the engine's LambdaResult has the same fields).
type LambdaResult struct {
	Payload         []byte
	FunctionError   string // "" or "Unhandled"
	ExecutedVersion string
	RequestID       string
}

// ServiceError is a Lambda service-level failure with the error name and
// cause that Step Functions shows.
type ServiceError struct {
	Name  string
	Cause string
}

// Error implements error.
func (e *ServiceError) Error() string { return e.Name + ": " + e.Cause }

// Lambdas emulates the corpus's Python handlers (see the README's "Lambda
// functions" table). It is safe for concurrent use.
type Lambdas struct {
	// Functions maps a function name to its handler name (for example
	// "raise_exception"); names not in it are not found.
	Functions map[string]string
	Region    string
	Account   string
	// Clock times the sleeping handler; it must be the engine's clock so
	// that Task timeouts win over the handler's 60 s sleep.
	Clock interface {
		After(time.Duration) <-chan time.Time
	}
	requests atomic.Uint64
}

// handlerNames lists the handlers Lambdas emulates.
var handlerNames = map[string]bool{
	"id_function": true, "raise_exception": true, "raise_custom_exception": true,
	"large_output_string": true, "wait_60_seconds": true, "return_bytes_str": true,
	"echo_function": true, "return_decorated_input": true,
}

// KnownHandler reports whether name is a handler Lambdas emulates.
func KnownHandler(name string) bool { return handlerNames[name] }

// requestID returns a fresh UUID-shaped request id.
func (l *Lambdas) requestID() string {
	n := l.requests.Add(1)
	return fmt.Sprintf("%08x-7e57-4a11-9d0c-%012x", 0x5fa1e000+uint32(n), n)
}

// Invoke runs the emulated function. function may be a name, a function
// ARN or a qualified ARN.
func (l *Lambdas) Invoke(ctx context.Context, function string, payload []byte) (LambdaResult, error) {
	name, qualifier := parseFunction(function)
	rid := l.requestID()
	handler, ok := l.Functions[name]
	if !ok {
		if qualifier == "" {
			qualifier = "$LATEST"
		}
		return LambdaResult{}, &ServiceError{
			Name: "Lambda.ResourceNotFoundException",
			Cause: fmt.Sprintf("Function not found: arn:aws:lambda:%s:%s:function:%s:%s (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: %s; Proxy: null)",
				l.Region, l.Account, name, qualifier, rid),
		}
	}
	// The invocation finishes on its own: time stands still meanwhile, so
	// a Task timeout cannot overtake it on a loaded machine. Only the
	// sleeping handler lets time run (its sleep is on this clock).
	release := func() {}
	if h, ok := l.Clock.(interface{ Hold() func() }); ok {
		release = h.Hold()
	}
	defer release()
	res := LambdaResult{ExecutedVersion: "$LATEST", RequestID: rid}
	event, err := decodeOrdered(payload)
	if len(strings.TrimSpace(string(payload))) == 0 {
		event, err = nil, nil
	}
	if err != nil {
		return LambdaResult{}, &ServiceError{Name: "Lambda.InvalidRequestContentException",
			Cause: fmt.Sprintf("Could not parse request body into json: %v (Service: AWSLambda; Status Code: 400; Error Code: InvalidRequestContentException; Request ID: %s; Proxy: null)", err, rid)}
	}
	switch handler {
	case "id_function":
		res.Payload = []byte(pyDumps(event))
	case "echo_function":
		res.Payload = []byte(`{"Return": "HelloWorld"}`)
	case "return_bytes_str":
		res.Payload = []byte(`"HelloWorld!"`)
	case "return_decorated_input":
		res.Payload = []byte(pyDumps("input-event-" + pyRepr(event)))
	case "large_output_string":
		res.Payload = []byte(strings.Repeat("a", 257*1024))
	case "raise_exception":
		res.FunctionError = "Unhandled"
		res.Payload = pythonError("Some exception was raised.", "Exception", rid,
			"  File \"/var/task/handler.py\", line 2, in handler\n    raise Exception(\"Some exception was raised.\")\n")
	case "raise_custom_exception":
		res.FunctionError = "Unhandled"
		res.Payload = pythonError("", "CustomException", rid,
			"  File \"/var/task/handler.py\", line 9, in handler\n    raise CustomException()\n")
	case "wait_60_seconds":
		release()
		select {
		case <-ctx.Done():
			return LambdaResult{}, ctx.Err()
		case <-l.Clock.After(60 * time.Second):
		}
		res.Payload = []byte(pyDumps(event))
	default:
		return LambdaResult{}, fmt.Errorf("conformance: no emulation for handler %q of function %q", handler, name)
	}
	return res, nil
}

// pythonError is the error document the Python 3.12 runtime returns for an
// unhandled exception, serialised as the runtime does.
func pythonError(message, typ, requestID, frame string) []byte {
	doc := &pyObject{
		keys: []string{"errorMessage", "errorType", "requestId", "stackTrace"},
		vals: []any{message, typ, requestID, []any{frame}},
	}
	return []byte(pyDumps(doc))
}

// parseFunction extracts the function name and qualifier from a name,
// "account:function:name", or a (qualified) function ARN.
func parseFunction(f string) (name, qualifier string) {
	if i := strings.Index(f, ":function:"); i >= 0 {
		f = f[i+len(":function:"):]
	} else {
		f = strings.TrimPrefix(f, "function:")
	}
	if i := strings.IndexByte(f, ':'); i >= 0 {
		return f[:i], f[i+1:]
	}
	return f, ""
}
