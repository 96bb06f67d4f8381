package conformance

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestPython(t *testing.T) {
	tests := []struct{ in, dumps, repr string }{
		{`{"b": 1, "a": [true, null, 1.0, 2.50, 1e20, "x'y"]}`,
			`{"b": 1, "a": [true, null, 1.0, 2.5, 1e+20, "x'y"]}`,
			`{'b': 1, 'a': [True, None, 1.0, 2.5, 1e+20, "x'y"]}`},
		{`["string-literal"]`, `["string-literal"]`, `['string-literal']`},
		{`"é\n\"q\""`, `"\u00e9\n\"q\""`, `'é\n"q"'`},
		{`{}`, `{}`, `{}`},
	}
	for _, tt := range tests {
		v, err := decodeOrdered([]byte(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		if got := pyDumps(v); got != tt.dumps {
			t.Errorf("pyDumps(%s) = %s, want %s", tt.in, got, tt.dumps)
		}
		if got := pyRepr(v); got != tt.repr {
			t.Errorf("pyRepr(%s) = %s, want %s", tt.in, got, tt.repr)
		}
	}
}

func TestLambdas(t *testing.T) {
	clock := NewVirtualClock(Start)
	defer clock.Close()
	l := &Lambdas{Region: Region, Account: Account, Clock: clock, Functions: map[string]string{
		"id": "id_function", "boom": "raise_exception", "deco": "return_decorated_input",
		"big": "large_output_string", "sleep": "wait_60_seconds", "custom": "raise_custom_exception",
	}}
	ctx := context.Background()
	tests := []struct {
		fn, payload, want, functionError string
	}{
		{"arn:aws:lambda:us-east-1:111111111111:function:id", `{"b":1,"a":2}`, `{"b": 1, "a": 2}`, ""},
		{"id:$LATEST", `null`, `null`, ""},
		{"deco", `["string-literal"]`, `"input-event-['string-literal']"`, ""},
		{"boom", `{}`, `{"errorMessage": "Some exception was raised.", "errorType": "Exception", "requestId": "REQ", "stackTrace": ["  File \"/var/task/handler.py\", line 2, in handler\n    raise Exception(\"Some exception was raised.\")\n"]}`, "Unhandled"},
		{"custom", `{}`, `{"errorMessage": "", "errorType": "CustomException", "requestId": "REQ", "stackTrace": ["  File \"/var/task/handler.py\", line 9, in handler\n    raise CustomException()\n"]}`, "Unhandled"},
	}
	for _, tt := range tests {
		res, err := l.Invoke(ctx, tt.fn, []byte(tt.payload))
		if err != nil {
			t.Fatalf("%s: %v", tt.fn, err)
		}
		got := strings.ReplaceAll(string(res.Payload), res.RequestID, "REQ")
		if got != tt.want || res.FunctionError != tt.functionError {
			t.Errorf("%s(%s) = %s [%s], want %s [%s]", tt.fn, tt.payload, got, res.FunctionError, tt.want, tt.functionError)
		}
	}
	res, err := l.Invoke(ctx, "big", []byte(`{}`))
	if err != nil || len(res.Payload) != 257*1024 {
		t.Errorf("large_output_string: %d bytes, %v", len(res.Payload), err)
	}

	_, err = l.Invoke(ctx, "arn:aws:lambda:us-east-1:111111111111:function:no_such_fn", []byte(`{}`))
	var se *ServiceError
	if !errors.As(err, &se) || se.Name != "Lambda.ResourceNotFoundException" ||
		!strings.HasPrefix(se.Cause, "Function not found: arn:aws:lambda:us-east-1:111111111111:function:no_such_fn:$LATEST (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: ") {
		t.Errorf("unknown function: %v", err)
	}

	// The sleeping handler returns its event after 60 virtual seconds...
	before := clock.Now()
	res, err = l.Invoke(ctx, "sleep", []byte(`{"a": 1}`))
	if err != nil || string(res.Payload) != `{"a": 1}` || clock.Now().Sub(before) < 60*time.Second {
		t.Errorf("sleep: %s, %v after %s", res.Payload, err, clock.Now().Sub(before))
	}
	// ...and gives up when the engine cancels the invocation (a Task
	// timeout). A frozen clock makes the order certain.
	frozen := NewFrozenClock(Start)
	l.Clock = frozen
	tctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { _, err := l.Invoke(tctx, "sleep", []byte(`{}`)); done <- err }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("sleep after cancel: %v, want context.Canceled", err)
	}
}

func TestVirtualClockOrder(t *testing.T) {
	c := NewVirtualClock(Start)
	defer c.Close()
	long := c.After(60 * time.Second)
	short := c.After(time.Second)
	at := <-short
	if at.Sub(Start) != time.Second {
		t.Errorf("short timer at %s", at.Sub(Start))
	}
	at = <-long
	if at.Sub(Start) != 60*time.Second {
		t.Errorf("long timer at %s", at.Sub(Start))
	}
	if now := <-c.After(0); now.Sub(Start) != 60*time.Second {
		t.Errorf("After(0) = %s", now.Sub(Start))
	}
}

// TestVirtualClockHold: no timer fires while the clock is held, however
// long the holder takes; the pending one fires once it releases.
func TestVirtualClockHold(t *testing.T) {
	c := NewVirtualClock(Start)
	defer c.Close()
	release := c.Hold()
	timer := c.After(time.Second)
	for range 2000 { // far more scheduler rounds than the clock waits to settle
		runtime.Gosched()
	}
	select {
	case <-timer:
		t.Fatal("a timer fired while the clock was held")
	default:
	}
	if c.Now() != Start {
		t.Fatalf("time moved while held: %s", c.Now().Sub(Start))
	}
	release()
	release() // a second call does nothing
	if at := <-timer; at.Sub(Start) != time.Second {
		t.Errorf("timer fired at %s", at.Sub(Start))
	}
}
