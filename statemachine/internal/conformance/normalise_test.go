package conformance

import (
	"regexp"
	"strings"
	"testing"
)

func mustDecode(t *testing.T, s string) any {
	t.Helper()
	v, err := decode([]byte(s))
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

func TestNormalise(t *testing.T) {
	names := NewNames(&Case{Name: "x", Lambdas: map[string]Lambda{"<lambda_function_name>": {CodePath: "a/id_function.py"}}})
	tests := []struct {
		name   string
		before string
		after  string
	}{{
		name:   "event timestamp and object JSON text",
		before: `{"timestamp": 1717410030.123, "type": "PassStateEntered", "id": 2, "stateEnteredEventDetails": {"input": "{\"a\":\"{\\\"b\\\":1}\"}", "name": "P"}}`,
		after:  `{"timestamp": "timestamp", "type": "PassStateEntered", "id": 2, "stateEnteredEventDetails": {"input": {"a": "{\"b\":1}"}, "name": "P"}}`,
	}, {
		name:   "non-object JSON text stays text",
		before: `{"output": "[1,2,3]", "o2": "\"HelloWorld\"", "o3": "42"}`,
		after:  `{"output": "[1,2,3]", "o2": "\"HelloWorld\"", "o3": "42"}`,
	}, {
		name:   "ISO date-times with a zone become date, without a zone stay",
		before: `{"output": "{\"StartTime\":\"2024-06-03T10:20:30.123Z\",\"Local\":\"2024-06-03T10:20:30\",\"Off\":\"2016-03-14T01:59:00+01:00\"}", "TimestampValue": "2024-06-03T10:20:30Z"}`,
		after:  `{"output": {"StartTime": "date", "Local": "2024-06-03T10:20:30", "Off": "date"}, "TimestampValue": "date"}`,
	}, {
		name:   "UUIDs under id keys are numbered everywhere",
		before: `{"cause": "{\"errorMessage\":\"x\",\"requestId\":\"0a1b2c3d-0000-4000-8000-000000000001\"}", "other": "see 0a1b2c3d-0000-4000-8000-000000000001", "RequestId": "11111111-2222-4333-8444-555555555555"}`,
		after:  `{"cause": {"errorMessage": "x", "requestId": "<uuid:2>"}, "other": "see <uuid:2>", "RequestId": "<uuid:1>"}`,
	}, {
		name:   "JSON quoted at the end of a cause",
		before: `{"cause": "Invalid path '$.x' : No results for path: $['x'] in input '{\"a\":1}'"}`,
		after:  `{"cause": "Invalid path '$.x' : No results for path: $['x'] in input '<json-input:1>'"}`,
	}, {
		name:   "ResponseMetadata reduced",
		before: `{"ResponseMetadata": {"RequestId": "r", "HTTPStatusCode": 200, "HTTPHeaders": {"a": "b"}}}`,
		after:  `{"ResponseMetadata": {"HTTPHeaders": {}, "HTTPStatusCode": 200}}`,
	}, {
		name:   "names, partition, region, request ids",
		before: `{"resource": "arn:aws:lambda:us-east-1:111111111111:function:swconflambda_function_name", "roleArn": "arn:aws:iam::111111111111:role/swconfRole", "executionArn": "arn:aws:states:us-east-1:111111111111:execution:swconfSM:swconfStdExec", "cause": "Function not found (Request ID: 9a8b-77; Proxy: null)", "mapRunArn": "arn:aws:states:us-east-1:111111111111:mapRun:swconfSM/MapState:0a1b2c3d-0000-4000-8000-000000000001"}`,
		after:  `{"resource": "arn:<partition>:lambda:<region>:111111111111:function:<lambda_function_name>", "roleArn": "snf_role_arn", "executionArn": "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:<ExecArnPart_0idx>", "cause": "Function not found (Request ID: <request_id>; Proxy: null)", "mapRunArn": "arn:<partition>:states:<region>:111111111111:mapRun:<ArnPart_0idx>/<MapRunArnPart0_0idx>:<MapRunArnPart1_0idx>"}`,
	}, {
		name:   "lists descend only into dicts",
		before: `[{"output": "{\"a\":1}"}, ["{\"b\":2}"], "{\"c\":3}"]`,
		after:  `[{"output": {"a": 1}}, ["{\"b\":2}"], "{\"c\":3}"]`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalise(mustDecode(t, tt.before), names.Reverse())
			if err != nil {
				t.Fatal(err)
			}
			if d := Compare(mustDecode(t, tt.after), got, nil); d != nil {
				t.Errorf("%s\n got %s", d, Preview(got))
			}
			// Non-object JSON text must stay text, byte for byte.
			if tt.name == "non-object JSON text stays text" {
				if got.(map[string]any)["output"] != "[1,2,3]" {
					t.Errorf("output = %#v, want the JSON text", got.(map[string]any)["output"])
				}
			}
		})
	}
}

func TestRenumber(t *testing.T) {
	a, err := Renumber(mustDecode(t, `{"a": "<uuid:4>", "b": ["<uuid:2>", "x <uuid:4>"], "c": "<json-input:3>"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := mustDecode(t, `{"a": "<uuid:1>", "b": ["<uuid:2>", "x <uuid:1>"], "c": "<json-input:1>"}`)
	if d := Compare(want, a, nil); d != nil {
		t.Error(d)
	}
}

func TestCompare(t *testing.T) {
	loose := &Options{Loose: []Loose{{Key: "StartDate", Value: mustRe(`^start-date$`)}}}
	tests := []struct {
		want, got string
		opts      *Options
		diff      string // "" = equal
	}{
		{`{"a": 1}`, `{"a": 1.0}`, nil, ""},
		{`{"a": 1e2}`, `{"a": 100}`, nil, ""},
		{`{"a": "[1, 2, 3]"}`, `{"a": "[1,2,3]"}`, nil, ""},
		{`{"a": "true"}`, `{"a": true}`, nil, ".a: want \"true\" got true"},
		{`{"a": [1, 2]}`, `{"a": [1]}`, nil, ".a: length 1, want 2 (want [1,2] got [1])"},
		{`{"a": 1, "b": 2}`, `{"a": 1}`, nil, ".b: missing, want 2"},
		{`{"a": 1}`, `{"a": 1, "c": null}`, nil, ".c: unexpected, got null"},
		{`{"StartDate": "start-date"}`, `{"StartDate": "date"}`, loose, ""},
		{`{"output": {"x": 1}}`, `{"output": "{\"x\": 1}"}`, &Options{DecodeStrings: true}, ""},
		{`{"Execution": {"Id": "a"}}`, `{"Execution": {"Id": "a", "RedriveCount": 0}}`, &Options{AllowExtra: map[string]bool{"RedriveCount": true}}, ""},
		{`{"output": {"x": 1}}`, `{"output": "{\"x\": 1}"}`, nil, `.output: want {"x":1} got "{\"x\": 1}"`},
		{`{"c": "` + strings.Repeat("a", 120) + `; Proxy: null)"}`, `{"c": "` + strings.Repeat("a", 120) + `"}`, nil,
			`.c: strings differ at byte 120: want …"` + strings.Repeat("a", 30) + `; Proxy: null)" got …"` + strings.Repeat("a", 30) + `"`},
	}
	for _, tt := range tests {
		d := Compare(mustDecode(t, tt.want), mustDecode(t, tt.got), tt.opts)
		got := ""
		if d != nil {
			got = d.String()
		}
		if got != tt.diff {
			t.Errorf("Compare(%s, %s) = %q, want %q", tt.want, tt.got, got, tt.diff)
		}
	}
}

func mustRe(s string) *regexp.Regexp { return regexp.MustCompile(s) }
