// Package sfnapi serves the AWS Step Functions API over a
// [statemachine.Engine], so that aws-sdk-go-v2's service/sfn client, the AWS
// CLI and boto3 work against the local stack unchanged: AWS JSON 1.0
// (POST /, X-Amz-Target: AWSStepFunctions.<Operation>,
// Content-Type: application/x-amz-json-1.0), AWS's field names, epoch-second
// timestamps and AWS's error shapes ({"__type":"...#Code","message":...},
// HTTP 400).
//
// SigV4 Authorization headers are accepted and not verified; any region and
// account id work. Malformed requests get SerializationException or
// ValidationException, never a crash; an ARN of the wrong form gets
// InvalidArn from the one ARN checker, package statemachine/arn, that the
// engine uses too. Error messages name members as the client spells them,
// never Go identifiers.
//
// It is not a Step Functions implementation: all semantics live in the
// engine; this package only translates the wire protocol (the one rule it
// adds is AWS's refusal of Express executions in DescribeExecution and
// friends: the engine keeps them describable for Go callers). Versions and
// aliases are served (PublishStateMachineVersion, CreateStateMachineAlias,
// …, StartExecution through either), and so are tags, logging and tracing
// configurations (stored and returned) and UpdateMapRun (applied to the
// run in progress). So are activities (CreateActivity, …,
// and GetActivityTask's long poll, up to 60 s: a client's read timeout must
// be longer).
//
// AWS SDKs send StartSyncExecution and TestState to a "sync-" host prefix:
// the AWS CLI and boto3 reach a local endpoint through the form
// [CLIEndpoint] returns, the Go SDK with [ClientOptions].
package sfnapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// maxBody bounds a request body. Definitions are at most 1 MiB and inputs
// 256 KiB; this leaves room for JSON escaping.
const maxBody = 4 << 20

// targetPrefix is the service prefix of X-Amz-Target.
const targetPrefix = "AWSStepFunctions."

// Options configures [NewHandler].
type Options struct {
	// Logger receives one line per failed request; nil discards.
	Logger *slog.Logger
	// StartHook, when set, sees every StartExecution and
	// StartSyncExecution request before the engine does: it may rewrite
	// the input (the stack's --mock-config takes "#<TestCase>" off the
	// ARN) or refuse it with an error (an *statemachine.APIError is
	// answered as such); started, if not nil, is told the execution's ARN.
	StartHook func(ctx context.Context, in *statemachine.StartExecutionInput) (started func(executionArn string), err error)
}

// Handler is the HTTP handler of the Step Functions API. It is safe for
// concurrent use.
type Handler struct {
	eng       *statemachine.Engine
	log       *slog.Logger
	startHook func(ctx context.Context, in *statemachine.StartExecutionInput) (func(string), error)
	ops       map[string]func(ctx context.Context, body []byte) (any, error)
}

// beforeStart runs [Options].StartHook; started is never nil.
func (h *Handler) beforeStart(ctx context.Context, in *statemachine.StartExecutionInput) (started func(string), err error) {
	started = func(string) {}
	if h.startHook == nil {
		return started, nil
	}
	f, err := h.startHook(ctx, in)
	if f != nil {
		started = f
	}
	return started, err
}

// NewHandler returns the API handler over eng.
func NewHandler(eng *statemachine.Engine, opts Options) *Handler {
	h := &Handler{eng: eng, log: opts.Logger, startHook: opts.StartHook}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.ops = h.operations()
	return h
}

// ServeHTTP implements [http.Handler].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	w.Header().Set("x-amzn-RequestId", requestID)
	out, err := h.serve(r)
	if err != nil {
		h.writeError(w, r, requestID, err)
		return
	}
	b, err := marshal(out)
	if err != nil {
		h.writeError(w, r, requestID, fmt.Errorf("encode response: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// marshal encodes v as AWS does: without encoding/json's HTML escaping of
// <, > and & (an execution output "a<b" must come back as "a<b", not
// "a\u003cb").
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func (h *Handler) serve(r *http.Request) (out any, err error) {
	defer func() {
		// A bug in one operation must not take the server down.
		if v := recover(); v != nil {
			// The panic's text and stack are for the log, not the client.
			h.log.Error("sfnapi: operation panicked", "target", r.Header.Get("X-Amz-Target"), "panic", v, "stack", string(debug.Stack()))
			out, err = nil, &internalError{"the local Step Functions API failed unexpectedly; its log has the details"}
		}
	}()
	if r.Method != http.MethodPost {
		return nil, &apiError{Code: "UnknownOperationException", Status: http.StatusNotFound, Message: "the Step Functions API accepts only POST requests"}
	}
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, targetPrefix)
	fn := h.ops[op]
	if !ok || fn == nil {
		return nil, &apiError{Code: "UnknownOperationException", Message: fmt.Sprintf("unknown operation %q", target)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &apiError{Code: "ValidationException", Message: fmt.Sprintf("request body exceeds %d bytes", maxBody)}
		}
		return nil, &apiError{Code: "SerializationException", Message: "read request body: " + err.Error()}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	// encoding/json would replace invalid UTF-8 with U+FFFD: an input or
	// output would then differ from what the client sent, silently.
	if at := invalidUTF8At(body); at >= 0 {
		return nil, &apiError{Code: "ValidationException", Message: fmt.Sprintf("the request body is not valid UTF-8 (byte %d); JSON text must be UTF-8", at)}
	}
	return fn(r.Context(), body)
}

// apiError is an error answered with AWS's error shape.
type apiError struct {
	Code    string
	Message string
	Status  int // 0: 400
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// internalError is an unexpected failure: HTTP 500, which SDKs retry.
type internalError struct{ msg string }

func (e *internalError) Error() string { return e.msg }

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, requestID string, err error) {
	code, msg, status := "InternalFailure", err.Error(), http.StatusInternalServerError
	var ae *apiError
	var ee *statemachine.APIError
	switch {
	case errors.As(err, &ae):
		code, msg, status = ae.Code, ae.Message, ae.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
	case errors.As(err, &ee):
		code, msg, status = ee.Code, ee.Message, http.StatusBadRequest
	}
	h.log.Info("sfnapi: request failed", "target", r.Header.Get("X-Amz-Target"), "code", code, "message", msg, "requestId", requestID)
	b, _ := marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{"com.amazonaws.states#" + code, msg})
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	w.Write(b)
}

// decode unmarshals a request body into v. JSON syntax and type errors are
// SerializationExceptions naming the member, as AWS answers them.
func decode(body []byte, v any) error {
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return &apiError{Code: "SerializationException", Message: fmt.Sprintf("the request body must be a JSON object, not %s", jsonValueKind(te.Value))}
		}
		return &apiError{Code: "SerializationException", Message: fmt.Sprintf("member %q must be %s, not %s", field, jsonKind(te.Type.Kind().String()), jsonValueKind(te.Value))}
	case errors.As(err, &se):
		return &apiError{Code: "SerializationException", Message: fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, err)}
	}
	return &apiError{Code: "SerializationException", Message: err.Error()}
}

// jsonValueKind names the JSON value encoding/json describes as v
// ("string", "number 1.5", "bool", "object", "array") in the API's words.
func jsonValueKind(v string) string {
	kind, _, _ := strings.Cut(v, " ")
	switch kind {
	case "string", "number":
		return "a " + kind
	case "bool":
		return "a boolean"
	case "object":
		return "an object"
	case "array":
		return "a list"
	}
	return kind
}

// jsonKind names the JSON type a Go kind decodes from.
func jsonKind(goKind string) string {
	switch goKind {
	case "string", "ptr":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int32", "int64":
		return "an integer"
	case "slice":
		return "a list"
	case "struct", "map":
		return "an object"
	}
	return "of another type"
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// invalidUTF8At is the offset of the first byte that is not valid UTF-8 in
// b, or -1.
func invalidUTF8At(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}
