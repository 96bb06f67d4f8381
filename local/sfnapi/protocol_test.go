package sfnapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine"
)

func newHandler(t testing.TB) *Handler {
	t.Helper()
	eng, err := statemachine.New(statemachine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return NewHandler(eng, Options{})
}

func call(h http.Handler, target, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/", strings.NewReader(body))
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=00")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestProtocolErrors pins the wire shape of errors: status, __type and
// the message, which the SDKs parse.
func TestProtocolErrors(t *testing.T) {
	h := newHandler(t)
	tests := []struct {
		name, target, body string
		status             int
		code, msg          string
	}{
		{"no target", "", `{}`, 400, "UnknownOperationException", `unknown operation ""`},
		{"unknown op", "AWSStepFunctions.Frobnicate", `{}`, 400, "UnknownOperationException", "Frobnicate"},
		{"other service", "AmazonS3.ListBuckets", `{}`, 400, "UnknownOperationException", "AmazonS3.ListBuckets"},
		{"bad json", "AWSStepFunctions.ListStateMachines", `{"maxResults":`, 400, "SerializationException", "malformed JSON"},
		{"not an object", "AWSStepFunctions.ListStateMachines", `[1]`, 400, "SerializationException", "must be a JSON object"},
		{"wrong type", "AWSStepFunctions.ListStateMachines", `{"maxResults":"ten"}`, 400, "SerializationException", `member "maxResults" must be an integer`},
		{"missing member", "AWSStepFunctions.DescribeExecution", `{}`, 400, "ValidationException",
			"1 validation error detected: Value null at 'executionArn' failed to satisfy constraint: Member must not be null"},
		{"two violations", "AWSStepFunctions.CreateStateMachine", `{"name":"","definition":"{}"}`, 400, "ValidationException",
			"2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"range", "AWSStepFunctions.ListStateMachines", `{"maxResults":1001}`, 400, "ValidationException",
			"Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"},
		{"enum", "AWSStepFunctions.ListExecutions", `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:x","statusFilter":"DONE"}`, 400, "ValidationException",
			"Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]"},
		{"bad token", "AWSStepFunctions.ListStateMachines", `{"nextToken":"garbage"}`, 400, "InvalidToken", "Invalid Token: 'garbage'"},
		{"missing execution", "AWSStepFunctions.DescribeExecution", `{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:m:e"}`, 400, "ExecutionDoesNotExist", ""},
		{"empty body is {}", "AWSStepFunctions.ListStateMachines", ``, 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := call(h, tt.target, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/x-amz-json-1.0" {
				t.Errorf("Content-Type %q", ct)
			}
			if rec.Header().Get("x-amzn-RequestId") == "" {
				t.Error("no x-amzn-RequestId")
			}
			if tt.code == "" {
				return
			}
			var e struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(e.Type, "#"+tt.code) || rec.Header().Get("X-Amzn-ErrorType") != tt.code {
				t.Errorf("__type %q / X-Amzn-ErrorType %q, want %s", e.Type, rec.Header().Get("X-Amzn-ErrorType"), tt.code)
			}
			if !strings.Contains(e.Message, tt.msg) {
				t.Errorf("message %q does not contain %q", e.Message, tt.msg)
			}
		})
	}
}

func TestEpochEncoding(t *testing.T) {
	for _, tt := range []struct {
		ms   int64
		want string
	}{{1700000000123, "1700000000.123"}, {1700000000000, "1700000000"}, {1700000000500, "1700000000.5"}} {
		b, _ := json.Marshal(epoch(time.UnixMilli(tt.ms)))
		if string(b) != tt.want {
			t.Errorf("epoch(%d ms) = %s, want %s", tt.ms, b, tt.want)
		}
	}
}

func TestPagination(t *testing.T) {
	keys := []string{"g", "f", "e", "d", "c", "b", "a"} // newest first
	key := func(i int) string { return keys[i] }
	three := 3
	var got []string
	var token *string
	for pages := 1; ; pages++ {
		lo, hi, next, err := page(len(keys), key, &three, token, "scope")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, keys[lo:hi]...)
		if pages == 1 {
			// Two items arrive at the front between calls: the next page
			// must still continue after "e".
			keys = append([]string{"i", "h"}, keys...)
		}
		if next == nil {
			break
		}
		token = next
	}
	if want := "g f e d c b a"; strings.Join(got, " ") != want {
		t.Errorf("pages gave %v, want %s", got, want)
	}
	if _, _, _, err := page(len(keys), key, nil, token, "other scope"); err == nil {
		t.Error("a token from another listing was accepted")
	}
	if _, _, _, err := page(len(keys), key, nil, &keys[0], "scope"); err == nil {
		t.Error("a malformed token was accepted")
	}
}

// FuzzHandler: no request, however malformed, crashes the server or gets
// anything but a well-formed AWS JSON answer.
func FuzzHandler(f *testing.F) {
	ops := []string{"CreateStateMachine", "UpdateStateMachine", "DescribeStateMachine", "ListStateMachines",
		"DeleteStateMachine", "ValidateStateMachineDefinition", "StartExecution", "StartSyncExecution",
		"DescribeExecution", "ListExecutions", "GetExecutionHistory", "StopExecution", "RedriveExecution",
		"SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat", "DescribeMapRun", "ListMapRuns", "TestState"}
	seeds := []string{`{}`, `{"name":"m","definition":"{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}","roleArn":"arn:aws:iam::123456789012:role/r"}`,
		`{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m","input":"{}"}`,
		`{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:m:e","maxResults":2,"reverseOrder":true}`,
		`{"taskToken":"x","output":"{"}`, `{"maxResults":-1,"nextToken":""}`, `null`, `"x"`, `{"definition":"{","input":"{}","stateName":"P"}`}
	for i, op := range ops {
		f.Add(op, seeds[i%len(seeds)])
		f.Add(op, seeds[(i+3)%len(seeds)])
	}
	h := newHandler(f)
	f.Fuzz(func(t *testing.T, op, body string) {
		rec := call(h, "AWSStepFunctions."+op, body)
		if rec.Code != 200 && rec.Code != 400 {
			t.Fatalf("%s %q: status %d: %s", op, body, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %q: invalid JSON response %q", op, body, rec.Body)
		}
	})
}

// TestNoHTMLEscaping: AWS returns "<", ">" and "&" in outputs and history
// as they are; encoding/json would write \u003c.
func TestNoHTMLEscaping(t *testing.T) {
	h := newHandler(t)
	rec := call(h, "AWSStepFunctions.CreateStateMachine", `{"name":"esc","roleArn":"arn:aws:iam::123456789012:role/r",
		"definition":"{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"Result\":\"a<b&c>\",\"End\":true}}}"}`)
	var sm struct{ StateMachineArn string }
	json.Unmarshal(rec.Body.Bytes(), &sm)
	rec = call(h, "AWSStepFunctions.StartExecution", `{"stateMachineArn":"`+sm.StateMachineArn+`","input":"{\"x\":\"<&>\"}"}`)
	var ex struct{ ExecutionArn string }
	json.Unmarshal(rec.Body.Bytes(), &ex)
	if ex.ExecutionArn == "" {
		t.Fatalf("StartExecution: %s", rec.Body)
	}
	if _, err := h.eng.WaitExecution(t.Context(), ex.ExecutionArn); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"DescribeExecution", "GetExecutionHistory"} {
		body := call(h, "AWSStepFunctions."+target, `{"executionArn":"`+ex.ExecutionArn+`"}`).Body.String()
		if strings.Contains(body, `\u003c`) || strings.Contains(body, `\u0026`) || !strings.Contains(body, `a<b&c>`) {
			t.Errorf("%s escapes HTML characters: %.400s", target, body)
		}
	}
}
