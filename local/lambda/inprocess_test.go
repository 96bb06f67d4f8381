package lambdalocal

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/stepwise-dev/stepwise/statemachine"
)

type ThrottledError struct{ Retry int }

func (e *ThrottledError) Error() string { return "throttled" }

type valueError struct{}

func (valueError) Error() string { return "by value" }

type greetIn struct {
	Name string `json:"name"`
}

func TestInProcess(t *testing.T) {
	var seen atomic.Value
	handlers := map[string]any{
		"greet": func(ctx context.Context, in greetIn) (map[string]string, error) {
			lc, ok := lambdacontext.FromContext(ctx)
			if !ok {
				return nil, errors.New("no lambda context")
			}
			dl, ok := ctx.Deadline()
			if !ok || time.Until(dl) > 5*time.Second {
				return nil, errors.New("deadline not from the timeout")
			}
			seen.Store(lc.InvokedFunctionArn)
			return map[string]string{"hello": in.Name, "id": lc.AwsRequestID}, nil
		},
		"throttled":  func(context.Context) error { return &ThrottledError{} },
		"valueerr":   func() error { return valueError{} },
		"panicstr":   func() error { panic("oh no") },
		"panicerr":   func() error { panic(&ThrottledError{}) },
		"badinput":   func(in greetIn) error { return nil },
		"noresponse": func() {},
	}
	var fns []Function
	for h := range handlers {
		fns = append(fns, Function{Name: "stepwise-" + h, Handler: h, Timeout: 5 * time.Second})
	}
	r, err := New(Options{Functions: fns, Handlers: handlers, Region: "eu-west-1", AccountID: "111122223333"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	tests := []struct {
		function, payload string
		wantErr           string // FunctionError document's errorType, or "" for success
		wantPayload       string // substring of the payload
	}{
		{"stepwise-greet", `{"name":"ada"}`, "", `"hello":"ada"`},
		{"arn:aws:lambda:eu-west-1:111122223333:function:stepwise-greet", `{"name":"bo"}`, "", `"hello":"bo"`},
		{"arn:aws:lambda:eu-west-1:111122223333:function:stepwise-greet:$LATEST", `{}`, "", `"hello":""`},
		{"stepwise-throttled", `{}`, "ThrottledError", `"errorMessage":"throttled"`},
		{"stepwise-valueerr", `{}`, "valueError", `"errorMessage":"by value"`},
		{"stepwise-panicstr", `{}`, "string", `"errorMessage":"oh no"`},
		{"stepwise-panicerr", `{}`, "ThrottledError", `"stackTrace":[{`},
		{"stepwise-badinput", `[1,2]`, "UnmarshalTypeError", `"errorMessage":"json: cannot unmarshal`},
		{"stepwise-noresponse", `{}`, "", `null`},
	}
	for _, tt := range tests {
		t.Run(tt.function, func(t *testing.T) {
			res, err := r.Invoke(context.Background(), tt.function, []byte(tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			if res.RequestID == "" || res.ExecutedVersion != "$LATEST" {
				t.Errorf("RequestID %q, ExecutedVersion %q", res.RequestID, res.ExecutedVersion)
			}
			if !strings.Contains(string(res.Payload), tt.wantPayload) {
				t.Errorf("payload %s does not contain %s", res.Payload, tt.wantPayload)
			}
			if tt.wantErr == "" {
				if res.FunctionError != "" {
					t.Fatalf("function error: %s", res.Payload)
				}
				return
			}
			if res.FunctionError != "Unhandled" {
				t.Errorf("FunctionError = %q, want Unhandled", res.FunctionError)
			}
			var doc struct{ ErrorType string }
			json.Unmarshal(res.Payload, &doc)
			if doc.ErrorType != tt.wantErr {
				t.Errorf("errorType = %q, want %q (%s)", doc.ErrorType, tt.wantErr, res.Payload)
			}
		})
	}
	if got, want := seen.Load(), "arn:aws:lambda:eu-west-1:111122223333:function:stepwise-greet:$LATEST"; got != want {
		t.Errorf("InvokedFunctionArn = %v, want %v", got, want)
	}
}

func TestUnknownFunction(t *testing.T) {
	r, err := New(Options{Functions: []Function{{Name: "f", Handler: "h"}}, Handlers: map[string]any{"h": func() {}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ function, arn string }{
		{"g", "arn:aws:lambda:us-east-1:123456789012:function:g:$LATEST"},
		{"arn:aws:lambda:eu-west-1:111122223333:function:g", "arn:aws:lambda:eu-west-1:111122223333:function:g:$LATEST"},
		{"f:7", "arn:aws:lambda:us-east-1:123456789012:function:f:7"},
		{"arn:aws:lambda:us-east-1:123456789012:function:f:7", "arn:aws:lambda:us-east-1:123456789012:function:f:7"},
	}
	for _, tt := range tests {
		_, err := r.Invoke(context.Background(), tt.function, nil)
		var te *statemachine.TaskError
		want := "Function not found: " + tt.arn + " (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: "
		if !errors.As(err, &te) || te.Name != "Lambda.ResourceNotFoundException" || !strings.HasPrefix(te.Cause, want) || !strings.HasSuffix(te.Cause, "; Proxy: null)") {
			t.Errorf("Invoke(%q) = %v, want Lambda.ResourceNotFoundException %q...", tt.function, err, want)
		}
	}
}

func TestInProcessTimeout(t *testing.T) {
	release := make(chan struct{})
	cancelled := make(chan struct{})
	r, err := New(Options{
		Functions: []Function{{Name: "slow", Handler: "slow", Timeout: 20 * time.Millisecond}},
		Handlers: map[string]any{"slow": func(ctx context.Context) error {
			<-ctx.Done()
			close(cancelled)
			<-release
			return nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Invoke(context.Background(), "slow", []byte(`{}`))
	close(release)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ ErrorType, ErrorMessage string }
	json.Unmarshal(res.Payload, &doc)
	if res.FunctionError != "Unhandled" || doc.ErrorType != "Sandbox.Timedout" ||
		!strings.HasSuffix(doc.ErrorMessage, "Error: Task timed out after 0.02 seconds") {
		t.Errorf("got %s %s", res.FunctionError, res.Payload)
	}
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Error("the handler's context was not cancelled at the deadline")
	}
}

func TestInProcessConcurrencyLimit(t *testing.T) {
	const limit = 2
	var running, peak atomic.Int32
	gate := make(chan struct{})
	r, err := New(Options{
		Functions: []Function{{Name: "f", Handler: "h", Concurrency: limit, Timeout: time.Minute}},
		Handlers: map[string]any{"h": func() {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			<-gate
			running.Add(-1)
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if _, err := r.Invoke(context.Background(), "f", nil); err != nil {
				t.Error(err)
			}
		})
	}
	// Let invocations through one at a time; at most `limit` are ever inside.
	for range 6 {
		gate <- struct{}{}
	}
	wg.Wait()
	if p := peak.Load(); p > limit || p < 1 {
		t.Errorf("peak concurrency %d, limit %d", p, limit)
	}
}

func TestNewRejectsBadHandlers(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"not a func", Options{Functions: []Function{{Name: "f", Handler: "h"}}, Handlers: map[string]any{"h": 42}}, "not a func"},
		{"no handler no bootstrap", Options{Functions: []Function{{Name: "f", Handler: "h"}}}, "no bootstrap"},
		{"duplicate", Options{Functions: []Function{{Name: "f", Handler: "h"}, {Name: "f", Handler: "h"}}, Handlers: map[string]any{"h": func() {}}}, "defined twice"},
	}
	for _, tt := range tests {
		_, err := New(tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestStepsFile(t *testing.T) {
	steps, err := LoadSteps(filepath.Join("..", "..", "steps", "steps.json"))
	if err != nil {
		t.Fatal(err)
	}
	fns := steps.Functions("stepwise")
	if len(fns) == 0 {
		t.Fatal("no functions")
	}
	for _, f := range fns {
		if !strings.HasPrefix(f.Name, "stepwise-") || f.Timeout < time.Second || f.MemoryMB < 128 {
			t.Errorf("bad function %+v", f)
		}
	}
	vars := steps.ArnVars("stepwise", "us-east-1", "123456789012")
	if got, want := vars["PlanFunctionArn"], "arn:aws:lambda:us-east-1:123456789012:function:stepwise-plan"; got != want {
		t.Errorf("PlanFunctionArn = %q, want %q", got, want)
	}

	bad := []struct{ doc, want string }{
		{`{"steps":{"a":{"arn_placeholder":"A","memory_mb":64,"timeout_seconds":3}}}`, "/steps/a/memory_mb"},
		{`{"steps":{"a":{"arn_placeholder":"A","memory_mb":128,"timeout_seconds":901}}}`, "/steps/a/timeout_seconds"},
		{`{"steps":{"a":{"memory_mb":128,"timeout_seconds":3}}}`, "/steps/a/arn_placeholder"},
		{`{"steps":{"a":{"arn_placeholder":"A","memory_mb":128,"timeout_seconds":3,"typo":1}}}`, "typo"},
		{`{"steps":{}}`, "no steps"},
	}
	for _, b := range bad {
		if _, err := ParseSteps("x.json", []byte(b.doc)); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("ParseSteps(%s) = %v, want an error about %s", b.doc, err, b.want)
		}
	}
}

func TestParseFunction(t *testing.T) {
	tests := []struct{ in, name, qual string }{
		{"f", "f", ""},
		{"f:$LATEST", "f", "$LATEST"},
		{"123456789012:function:f", "f", ""},
		{"123456789012:function:f:2", "f", "2"},
		{"arn:aws:lambda:us-east-1:123456789012:function:f", "f", ""},
		{"arn:aws:lambda:us-east-1:123456789012:function:f:prod", "f", "prod"},
		{"arn:aws:states:::lambda:invoke", "", ""},
	}
	for _, tt := range tests {
		if n, q := parseFunction(tt.in); n != tt.name || q != tt.qual {
			t.Errorf("parseFunction(%q) = %q, %q; want %q, %q", tt.in, n, q, tt.name, tt.qual)
		}
	}
}
