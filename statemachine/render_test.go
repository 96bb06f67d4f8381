package statemachine

import (
	"reflect"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	vars := map[string]string{"PlanFunctionArn": "arn:aws:lambda:us-east-1:1:function:p", "Bucket": "b"}
	tests := []struct {
		name, in, want, err string
	}{
		{name: "substitutes", in: `{"Resource":"${PlanFunctionArn}","B":"${ Bucket }"}`, want: `{"Resource":"arn:aws:lambda:us-east-1:1:function:p","B":"b"}`},
		{name: "escaped dollar", in: `"$${NotAVar}"`, want: `"${NotAVar}"`},
		{name: "escaped percent", in: `"%%{x}"`, want: `"%{x}"`},
		{name: "jsonata untouched", in: `"{% $states.input.a %}"`, want: `"{% $states.input.a %}"`},
		{name: "jsonpath untouched", in: `"$.a", "$$.Execution.Id"`, want: `"$.a", "$$.Execution.Id"`},
		{name: "unknown", in: "{\n  \"R\": \"${Nope}\"}", err: "render: 2:9: no value for placeholder ${Nope}"},
		{name: "unterminated", in: `"${Plan`, err: "unterminated"},
		{name: "expression", in: `"${a + b}"`, err: "not a plain name"},
		{name: "directive", in: `"%{ if x }"`, err: "directives"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render([]byte(tt.in), vars)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Render(%q) error = %v, want containing %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("Render(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPlaceholders(t *testing.T) {
	got := Placeholders([]byte(`"${B}" "${A}" "$${C}" "${B}"`))
	if want := []string{"A", "B"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Placeholders = %v, want %v", got, want)
	}
}
