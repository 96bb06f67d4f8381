package validate

import (
	"strings"
	"testing"
)

// The HTTP Task's required fields ("Call HTTPS APIs in Step Functions
// workflows": ApiEndpoint, Method and a connection in Authentication or
// InvocationConfig) and its one integration pattern.
func TestHTTPTaskFields(t *testing.T) {
	task := func(fields string) string {
		return `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::http:invoke"` + fields + `,"End":true}}}`
	}
	const conn = `"Authentication":{"ConnectionArn":"arn:aws:events:us-east-1:123456789012:connection/c/1"}`
	tests := []struct {
		name, def string
		want      []string
	}{
		{"complete", task(`,"Parameters":{"ApiEndpoint":"https://example.com","Method":"GET",` + conn + `}`), nil},
		{"paths", task(`,"Parameters":{"ApiEndpoint.$":"$.url","Method.$":"$.m","InvocationConfig":{"ConnectionArn.$":"$.c"}}`), nil},
		{"jsonata", `{"QueryLanguage":"JSONata","StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Arguments":{"ApiEndpoint":"{% $states.input.url %}","Method":"GET",` + conn + `},"End":true}}}`, nil},
		{"jsonata expression", `{"QueryLanguage":"JSONata","StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Arguments":"{% $states.input %}","End":true}}}`, nil},
		{"no parameters", task(``), []string{"SCHEMA_VALIDATION_FAILED: The field 'Parameters' is required but was missing at /States/Call"}},
		{"missing fields", task(`,"Parameters":{"Headers":{}}`), []string{
			"SCHEMA_VALIDATION_FAILED: The field 'ApiEndpoint' is required but was missing at /States/Call/Parameters",
			"SCHEMA_VALIDATION_FAILED: The field 'Method' is required but was missing at /States/Call/Parameters",
			"SCHEMA_VALIDATION_FAILED: The field 'Authentication' or 'InvocationConfig' is required but was missing at /States/Call/Parameters"}},
		{"no connection arn", task(`,"Parameters":{"ApiEndpoint":"https://example.com","Method":"GET","Authentication":{}}`), []string{
			"SCHEMA_VALIDATION_FAILED: The field 'ConnectionArn' is required but was missing at /States/Call/Parameters/Authentication"}},
		{"both connection fields", task(`,"Parameters":{"ApiEndpoint":"https://example.com","Method":"GET",` + conn + `,"InvocationConfig":{"ConnectionArn":"x"}}`), []string{
			"SCHEMA_VALIDATION_FAILED: Only one of the fields 'Authentication' and 'InvocationConfig' may be given at /States/Call/Parameters"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, d := range Definition([]byte(tc.def), Options{}) {
				got = append(got, d.String())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
	for _, r := range []string{"arn:aws:states:::http:invoke.waitForTaskToken", "arn:aws:states:::http:invoke.sync", "arn:aws:states:::http:get"} {
		def := `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"` + r + `","End":true}}}`
		ds := Definition([]byte(def), Options{})
		if len(ds) != 1 || !strings.Contains(ds[0].String(), "The resource provided "+r+" is not recognized") {
			t.Errorf("%s: %v, want it not recognized", r, ds)
		}
	}
}
