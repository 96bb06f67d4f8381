package sfnapi

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// apiErrorOf decodes an error response.
func apiErrorOf(t *testing.T, body []byte) (code, msg string) {
	t.Helper()
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	_, code, _ = strings.Cut(e.Type, "#")
	return code, e.Message
}

// TestInputValidation pins the API's answers to malformed input, whole
// messages, as AWS words them: InvalidArn for ARNs of the wrong form
// (before any lookup, so a malformed ARN is never "does not exist"),
// InvalidDefinition for a Task Resource that is not an ARN, and
// ValidationException for range violations.
func TestInputValidation(t *testing.T) {
	h := newHandler(t)
	const (
		role = "arn:aws:iam::123456789012:role/r"
		sm   = "arn:aws:states:us-east-1:123456789012:stateMachine:"
		pass = `{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}`
	)
	if rec := call(h, "AWSStepFunctions.CreateStateMachine", `{"name":"m","roleArn":"`+role+`","definition":"`+pass+`"}`); rec.Code != 200 {
		t.Fatalf("create: %s", rec.Body)
	}
	tests := []struct {
		name, op, body string
		code, msg      string
	}{
		{"Task Resource not an ARN", "CreateStateMachine",
			`{"name":"z","roleArn":"` + role + `","definition":"{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"zzz\",\"End\":true}}}"}`,
			"InvalidDefinition", "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The resource provided zzz is not recognized. The value is not a valid resource ARN, or the resource is not available in this region. at /States/T/Resource'"},
		{"roleArn not an ARN", "CreateStateMachine", `{"name":"r","roleArn":"notanarn","definition":"` + pass + `"}`,
			"InvalidArn", "Invalid Arn: 'Invalid ARN prefix: notanarn'"},
		{"roleArn not a role", "CreateStateMachine", `{"name":"r","roleArn":"` + sm + `m","definition":"` + pass + `"}`,
			"InvalidArn", "Invalid Arn: 'Resource type not valid in this context: states:stateMachine'"},
		{"update roleArn", "UpdateStateMachine", `{"stateMachineArn":"` + sm + `m","roleArn":"notanarn"}`,
			"InvalidArn", "Invalid Arn: 'Invalid ARN prefix: notanarn'"},
		{"TestState roleArn", "TestState", `{"roleArn":"notanarn","definition":"{\"Type\":\"Pass\",\"End\":true}"}`,
			"InvalidArn", "Invalid Arn: 'Invalid ARN prefix: notanarn'"},
		{"machine name missing", "DescribeStateMachine", `{"stateMachineArn":"` + sm + `"}`,
			"InvalidArn", "Invalid Arn: 'Malformed ARN, expected arn:<partition>:states:<region>:<account>:stateMachine:<name>[:<version or alias>]: " + sm + "'"},
		{"start, name missing", "StartExecution", `{"stateMachineArn":"` + sm + `"}`, "InvalidArn", "Malformed ARN"},
		{"delete, name missing", "DeleteStateMachine", `{"stateMachineArn":"` + sm + `"}`, "InvalidArn", "Malformed ARN"},
		{"versions of no name", "ListStateMachineVersions", `{"stateMachineArn":"` + sm + `"}`, "InvalidArn", "Malformed ARN"},
		{"publish, name missing", "PublishStateMachineVersion", `{"stateMachineArn":"` + sm + `"}`, "InvalidArn", "Malformed ARN"},
		{"delete version not an ARN", "DeleteStateMachineVersion", `{"stateMachineVersionArn":"notanarn"}`,
			"InvalidArn", "Invalid Arn: 'Invalid ARN prefix: notanarn'"},
		{"alias, name missing", "DescribeStateMachineAlias", `{"stateMachineAliasArn":"` + sm + `"}`, "InvalidArn", "Malformed ARN"},
		{"machine ARN as execution", "DescribeExecution", `{"executionArn":"` + sm + `m"}`,
			"InvalidArn", "Invalid Arn: 'Resource type not valid in this context: stateMachine'"},
		{"execution ARN as machine", "StartExecution", `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:execution:m:e"}`,
			"InvalidArn", "Invalid Arn: 'Resource type not valid in this context: execution'"},
		{"history, no execution name", "GetExecutionHistory", `{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:m:"}`, "InvalidArn", "Malformed ARN"},
		{"stop, not an ARN", "StopExecution", `{"executionArn":"e1"}`, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: e1'"},
		{"map runs of a machine ARN", "ListMapRuns", `{"executionArn":"` + sm + `m"}`, "InvalidArn", "Resource type not valid in this context: stateMachine"},
		{"map run not an ARN", "DescribeMapRun", `{"mapRunArn":"run"}`, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: run'"},
		{"executions of a malformed map run", "ListExecutions", `{"mapRunArn":"arn:aws:states:us-east-1:123456789012:mapRun:m"}`, "InvalidArn", "Malformed ARN"},
		{"tags of not an ARN", "ListTagsForResource", `{"resourceArn":"x"}`, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: x'"},
		{"maxResults too large", "ListExecutions", `{"stateMachineArn":"` + sm + `m","maxResults":1001}`, "ValidationException",
			"1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"},
		{"maxResults negative", "GetExecutionHistory", `{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:m:e","maxResults":-1}`, "ValidationException",
			"1 validation error detected: Value '-1' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"maxResults not a number", "ListExecutions", `{"stateMachineArn":"` + sm + `m","maxResults":"ten"}`, "SerializationException",
			`member "maxResults" must be an integer, not a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := call(h, "AWSStepFunctions."+tt.op, tt.body)
			if rec.Code != 400 {
				t.Fatalf("status %d, want 400: %s", rec.Code, rec.Body)
			}
			code, msg := apiErrorOf(t, rec.Body.Bytes())
			if code != tt.code || !strings.Contains(msg, tt.msg) {
				t.Errorf("%s %q\nwant %s %q", code, msg, tt.code, tt.msg)
			}
		})
	}
}

// goNames matches what only Go could have written: an input struct's type
// name, Go type names, encoding/json's own wording.
var goNames = regexp.MustCompile(`\b[a-z][A-Za-z]*In\b|\b(struct|int|int64|float64|bool|uint\w*)\b|\*string|\[\]|map\[|json:|Go (struct|value)|sfnapi|statemachine\.`)

// TestNoGoNamesInErrors sends every operation every API member with a
// value of the wrong JSON type and, for good measure, a few malformed
// ARNs: no error message may show Go identifiers, and a type error must
// name the member as the client spelt it.
func TestNoGoNamesInErrors(t *testing.T) {
	h := newHandler(t)
	members := []string{"maxResults", "nextToken", "stateMachineArn", "executionArn", "mapRunArn", "name", "definition",
		"roleArn", "type", "publish", "versionDescription", "input", "traceHeader", "includedData", "statusFilter",
		"redriveFilter", "reverseOrder", "includeExecutionData", "error", "cause", "clientToken", "taskToken", "output",
		"resourceArn", "revisionId", "description", "routingConfiguration", "stateMachineVersionArn",
		"stateMachineAliasArn", "severity", "inspectionLevel", "revealSecrets", "variables", "stateName", "mock"}
	typeErr := regexp.MustCompile(`^member "([A-Za-z.]+)" must be (a string|an integer|a boolean|a list|an object), not (a string|a number|an object|a list|a boolean)$`)
	var ops []string
	for op := range h.ops {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	bad := []string{`{"o":1}`, `"s"`, `[{"weight":"x","stateMachineVersionArn":1}]`, `true`, `1.5`}
	for _, op := range ops {
		for _, m := range members {
			for _, v := range bad {
				body := fmt.Sprintf(`{%q:%s}`, m, v)
				rec := call(h, "AWSStepFunctions."+op, body)
				if rec.Code == 200 {
					continue
				}
				code, msg := apiErrorOf(t, rec.Body.Bytes())
				if goNames.MatchString(msg) {
					t.Errorf("%s %s: %s %q shows Go names", op, body, code, msg)
				}
				if code == "SerializationException" {
					sm := typeErr.FindStringSubmatch(msg)
					if sm == nil || (sm[1] != m && !strings.HasPrefix(sm[1], m+".")) {
						t.Errorf("%s %s: %q, want `member %q must be …`", op, body, msg, m)
					}
				}
			}
		}
	}
}

// TestPanicDoesNotLeak: a bug in an operation is an InternalFailure whose
// message says where to look, not the panic's Go text.
func TestPanicDoesNotLeak(t *testing.T) {
	h := newHandler(t)
	h.ops["Boom"] = func(context.Context, []byte) (any, error) {
		var m map[string]*int
		return *m["x"], nil // nil pointer dereference
	}
	rec := call(h, "AWSStepFunctions.Boom", `{}`)
	if rec.Code != 500 {
		t.Fatalf("status %d, want 500: %s", rec.Code, rec.Body)
	}
	code, msg := apiErrorOf(t, rec.Body.Bytes())
	if code != "InternalFailure" || strings.Contains(msg, "runtime error") || strings.Contains(msg, "nil pointer") || !strings.Contains(msg, "log") {
		t.Errorf("%s %q: want InternalFailure pointing at the log, without the panic text", code, msg)
	}
}

// TestValidateResourceNotAnARN: ValidateStateMachineDefinition reports
// the same diagnostic CreateStateMachine fails with.
func TestValidateResourceNotAnARN(t *testing.T) {
	h := newHandler(t)
	rec := call(h, "AWSStepFunctions.ValidateStateMachineDefinition",
		`{"definition":"{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"zzz\",\"End\":true}}}"}`)
	var out struct {
		Result      string
		Diagnostics []struct{ Code, Message, Location string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	want := "The resource provided zzz is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."
	if out.Result != "FAIL" || len(out.Diagnostics) != 1 || out.Diagnostics[0].Code != "SCHEMA_VALIDATION_FAILED" ||
		out.Diagnostics[0].Message != want || out.Diagnostics[0].Location != "/States/T/Resource" {
		t.Errorf("got %+v, want FAIL with SCHEMA_VALIDATION_FAILED %q at /States/T/Resource", out, want)
	}
}

// TestInvalidUTF8Refused: a body with bytes that are not UTF-8 is refused
// with the offset, never stored with U+FFFD in their place.
func TestInvalidUTF8Refused(t *testing.T) {
	h := newHandler(t)
	const pass = `{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}`
	rec := call(h, "AWSStepFunctions.CreateStateMachine", `{"name":"u","roleArn":"arn:aws:iam::123456789012:role/r","definition":"`+pass+`"}`)
	if rec.Code != 200 {
		t.Fatalf("create: %s", rec.Body)
	}
	body := `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:u","input":"{\"v\":\"caf` + "\xe9" + `\"}"}`
	rec = call(h, "AWSStepFunctions.StartExecution", body)
	code, msg := apiErrorOf(t, rec.Body.Bytes())
	if rec.Code != 400 || code != "ValidationException" || !strings.Contains(msg, fmt.Sprintf("byte %d", strings.Index(body, "\xe9"))) {
		t.Fatalf("StartExecution with a Latin-1 byte: %d %s %q, want 400 ValidationException naming the byte offset", rec.Code, code, msg)
	}
	rec = call(h, "AWSStepFunctions.ListExecutions", `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:u"}`)
	if strings.Contains(rec.Body.String(), "executionArn") {
		t.Fatalf("an execution was started anyway: %s", rec.Body)
	}
}
