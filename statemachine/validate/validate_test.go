package validate

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDefinition(t *testing.T) {
	tests := []struct {
		name string
		def  string
		typ  string
		want []string // Diagnostic.String() of each diagnostic, in order
	}{
		{"valid", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, "", nil},
		{"unknown top field", `{"Coment":"x","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: Field 'Coment' is not supported at /"}},
		{"array is not a definition", `[]`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: Definition must be a valid JSON object"}},
		{"missing type", `{"StartAt":"A","States":{"A":{"End":true}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: These fields are required: [Type] at /States/A"}},
		{"bad type", `{"StartAt":"A","States":{"A":{"Type":"Nope","End":true}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: The value for the field 'Type' must be one of [Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map], got 'Nope' at /States/A/Type"}},
		{"unsupported field per type", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Catch":[]}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: Field 'Catch' is not supported at /States/A"}},
		{"next on succeed", `{"StartAt":"A","States":{"A":{"Type":"Succeed","Next":"A"}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: Field 'Next' is not supported at /States/A"}},
		{"no next no end", `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: One of these fields is required: [Next, End] at /States/A"}},
		{"next and end", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A","End":true}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: Only one of these fields may be set: [Next, End] at /States/A"}},
		{"missing targets and unreachable", `{"StartAt":"pass1","States":{
			"pass1":{"Type":"Pass","Next":"pass3"},
			"pass2":{"Type":"Pass","End":true}}}`, "",
			[]string{"MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at /States/pass1/Next",
				"MISSING_TRANSITION_TARGET: State \"pass2\" is not reachable. at /States/pass2"}},
		{"bad StartAt", `{"StartAt":"X","States":{"A":{"Type":"Pass","End":true}}}`, "",
			[]string{"MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /StartAt",
				"MISSING_TRANSITION_TARGET: State \"A\" is not reachable. at /States/A"}},
		{"no terminal state", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"},"C":{"Type":"Pass","Next":"A"}}}`, "",
			[]string{"MISSING_END_STATE: Workflow has no terminal state"}},
		{"choice targets", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true,"Next":"Nope"}],"Default":"Gone"},"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Lost"}],"End":true}}}`, "",
			[]string{"MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /States/C/Choices[0]/Next",
				"MISSING_TRANSITION_TARGET: Missing 'Next' target: Gone at /States/C/Default",
				"MISSING_TRANSITION_TARGET: Missing 'Next' target: Lost at /States/T/Catch[0]/Next",
				"MISSING_TRANSITION_TARGET: State \"T\" is not reachable. at /States/T"}},
		{"choice rule without operator", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","Next":"D"}],"Default":"D"},"D":{"Type":"Succeed"}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: A choice rule must have exactly one comparison operator or one of [And, Or, Not] at /States/C/Choices[0]"}},
		{"choice rule two operators", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true,"IsString":true,"Next":"D"}]},"D":{"Type":"Succeed"}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: A choice rule must have exactly one comparison operator or one of [And, Or, Not], found [IsNull, IsString] at /States/C/Choices[0]"}},
		{"choice rule missing variable and nested next", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"And":[{"NumericEquals":1},{"Variable":"$.y","StringEquals":"a","Next":"D"}],"Next":"D"}]},"D":{"Type":"Succeed"}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: These fields are required: [Variable] at /States/C/Choices[0]/And[0]",
				"SCHEMA_VALIDATION_FAILED: Field 'Next' is not supported at /States/C/Choices[0]/And[1]"}},
		{"choice operand types", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericEquals":"1","Next":"D"},{"Variable":"$.x","TimestampEquals":"yesterday","Next":"D"},{"Variable":"$.x","StringEqualsPath":"nope","Next":"D"}]},"D":{"Type":"Succeed"}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: The value for the field 'NumericEquals' must be a number at /States/C/Choices[0]/NumericEquals",
				"SCHEMA_VALIDATION_FAILED: The value for the field 'TimestampEquals' must be an RFC3339 timestamp string at /States/C/Choices[1]/TimestampEquals",
				"SCHEMA_VALIDATION_FAILED: The value for the field 'StringEqualsPath' must be a valid JSONPath at /States/C/Choices[2]/StringEqualsPath"}},
		{"jsonata choice needs condition", `{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true,"Next":"D"}]},"D":{"Type":"Succeed"}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: Field 'Variable' is not supported at /States/C/Choices[0]",
				"SCHEMA_VALIDATION_FAILED: Field 'IsNull' is not supported at /States/C/Choices[0]",
				"SCHEMA_VALIDATION_FAILED: These fields are required: [Condition] at /States/C/Choices[0]"}},
		{"bad paths", `{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.a[","ResultPath":"$.a[*]","Parameters":{"x.$":"nope","y":{"z.$":"States.Nope()"}},"End":true}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: The value for the field 'InputPath' must be a valid JSONPath at /States/A/InputPath",
				"SCHEMA_VALIDATION_FAILED: The value for the field 'ResultPath' must be a valid ReferencePath at /States/A/ResultPath",
				"SCHEMA_VALIDATION_FAILED: The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call at /States/A/Parameters",
				"SCHEMA_VALIDATION_FAILED: The value for the field 'z.$' must be a valid JSONPath or a valid intrinsic function call at /States/A/Parameters/y"}},
		{"result path roots", `{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$$.x","Next":"B"},"B":{"Type":"Pass","ResultPath":"$v","End":true}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: The value for the field 'ResultPath' must be a valid ReferencePath at /States/A/ResultPath",
				"SCHEMA_VALIDATION_FAILED: The value for the field 'ResultPath' must be a valid ReferencePath at /States/B/ResultPath"}},
		{"duplicate state names", `{"StartAt":"M","States":{"M":{"Type":"Map","Iterator":{"StartAt":"F","States":{"F":{"Type":"Succeed"}}},"End":true},"F":{"Type":"Succeed"},"F":{"Type":"Fail"}}}`, "",
			[]string{"DUPLICATE_STATE_NAME: Duplicate State name: F at /States/F",
				"DUPLICATE_STATE_NAME: Duplicate State name: F at /States/F"}},
		{"jsonpath field in jsonata state", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{},"End":true}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'Parameters' is only supported for the 'JSONPath' QueryLanguage at /States/A"}},
		{"jsonata field in jsonpath state", `{"StartAt":"A","States":{"A":{"Type":"Pass","Output":{},"End":true}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage at /States/A"}},
		{"jsonata expression", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":{"a":"{% bad %}","b":"{% 1 + "},"End":true}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: The JSONata expression '{% bad %}' is not valid: boom at /States/A/Output/a",
				"SCHEMA_VALIDATION_FAILED: The JSONata expression must be enclosed in '{%' and '%}' at /States/A/Output/b"}},
		{"wait one of", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: Exactly one of these fields must be set: [Seconds, SecondsPath, Timestamp, TimestampPath] at /States/W"}},
		{"wait negative", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":-1,"End":true}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: The value for the field 'Seconds' must be an integer between 0 and 99999999 at /States/W/Seconds"}},
		{"retry and catch", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"],"BackoffRate":0.5,"JitterStrategy":"SOME","Foo":1}],"Catch":[{"ErrorEquals":[]}],"End":true}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: States.ALL must appear alone in ErrorEquals and only in the last retrier at /States/T/Retry[0]/ErrorEquals",
				"SCHEMA_VALIDATION_FAILED: Field 'Foo' is not supported at /States/T/Retry[1]",
				"SCHEMA_VALIDATION_FAILED: The value for the field 'BackoffRate' must be a number greater than or equal to 1.0 at /States/T/Retry[1]/BackoffRate",
				"SCHEMA_VALIDATION_FAILED: The value for the field 'JitterStrategy' must be one of [FULL, NONE] at /States/T/Retry[1]/JitterStrategy",
				"SCHEMA_VALIDATION_FAILED: The value for the field 'ErrorEquals' must be a non-empty array of strings at /States/T/Catch[0]/ErrorEquals",
				"SCHEMA_VALIDATION_FAILED: These fields are required: [Next] at /States/T/Catch[0]"}},
		{"express sync", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","End":true}}}`, "EXPRESS",
			[]string{"SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service integration  at /States/T/Resource"}},
		{"express sync allowed in standard", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","End":true}}}`, "STANDARD", nil},
		{"parallel branch recursion", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Z"}}}],"End":true}}}`, "",
			[]string{"MISSING_TRANSITION_TARGET: Missing 'Next' target: Z at /States/P/Branches[0]/States/A/Next",
				"MISSING_END_STATE: Workflow has no terminal state"}},
		{"map processor", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject"},"Label":"bad label","ItemProcessor":{"QueryLanguage":"JSONata","ProcessorConfig":{"Mode":"INLINE","ExecutionType":"STANDARD"},"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},"End":true}}}`, "",
			[]string{"SCHEMA_VALIDATION_FAILED: Field 'QueryLanguage' is not supported at /States/M/ItemProcessor",
				"SCHEMA_VALIDATION_FAILED: Field 'ExecutionType' is not supported at /States/M/ItemProcessor/ProcessorConfig",
				"SCHEMA_VALIDATION_FAILED: Field 'ItemReader' is only supported when the processor mode is 'DISTRIBUTED' at /States/M",
				"SCHEMA_VALIDATION_FAILED: Field 'Label' is only supported when the processor mode is 'DISTRIBUTED' at /States/M",
				"SCHEMA_VALIDATION_FAILED: The value for the field 'Label' must be 1 to 40 characters without whitespace, control characters or any of ? * < > { } [ ] \" # % \\ ^ | ~ ` $ & , ; : / at /States/M/Label"}},
		{"distributed map", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"},"Parameters":{"Bucket.$":"$.bucket","Key.$":"$.key"}},"ItemBatcher":{"MaxItemsPerBatch":10},"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b","Prefix":"p"}},"Label":"parts","MaxConcurrency":10,"ToleratedFailurePercentage":5,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},"End":true}}}`, "", nil},
		{"credentials", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Credentials":{"RoleArn.$":"$.role"},"End":true}}}`, "", nil},
		{"too deep intrinsic is still fine", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.Format('{}', States.Array(States.Array(1)))"},"End":true}}}`, "", nil},
	}
	opts := Options{CheckJSONata: func(expr string) error {
		if strings.TrimSpace(expr) == "bad" {
			return errors.New("boom")
		}
		return nil
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts
			o.Type = tt.typ
			ds := Definition([]byte(tt.def), o)
			var got []string
			for _, d := range ds {
				got = append(got, d.String())
				if d.Severity != SeverityError {
					t.Errorf("severity %q, want ERROR", d.Severity)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("diagnostics\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestJSONSyntax(t *testing.T) {
	tests := []struct{ def, msg, loc string }{
		{"{\n  \"StartAt\": \"A\",\n  \"States\": {\n}", "Unexpected end-of-input", `line: 4, column: 2]`},
		{"{\"a\": tru}", "Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')", `line: 1, column: 10]`},
		{"{\"a\" 1}", "Unexpected character ('1' (code 49))", `line: 1, column: 7]`},
	}
	for _, tt := range tests {
		ds := Definition([]byte(tt.def), Options{})
		if len(ds) != 1 || ds[0].Code != CodeInvalidJSON {
			t.Fatalf("%q: got %v, want one INVALID_JSON_DESCRIPTION", tt.def, ds)
		}
		if !strings.HasPrefix(ds[0].Message, tt.msg+"\n at [Source: (String)\"") || !strings.HasSuffix(ds[0].Location, tt.loc) {
			t.Errorf("%q: got message %q location %q, want %q ... %q", tt.def, ds[0].Message, ds[0].Location, tt.msg, tt.loc)
		}
	}
}

func TestSizeLimit(t *testing.T) {
	big := `{"Comment":"` + strings.Repeat("x", MaxDefinitionBytes) + `","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`
	ds := Definition([]byte(big), Options{})
	if len(ds) != 1 || !strings.Contains(ds[0].Message, "maximum is 1048576 bytes") {
		t.Errorf("got %v, want one size diagnostic", ds)
	}
}

func TestInvalidDefinitionMessage(t *testing.T) {
	ds := []Diagnostic{
		{Severity: SeverityError, Code: CodeMissingTransition, Message: "Missing 'Next' target: pass3", Location: "/States/pass1/Next"},
		{Severity: SeverityWarning, Code: "W", Message: "ignored"},
		{Severity: SeverityError, Code: CodeMissingTransition, Message: `State "pass2" is not reachable.`, Location: "/States/pass2"},
	}
	want := `Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at /States/pass1/Next, MISSING_TRANSITION_TARGET: State "pass2" is not reachable. at /States/pass2'`
	if got := InvalidDefinitionMessage(ds); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := InvalidDefinitionMessage(nil); got != "" {
		t.Errorf("no diagnostics: got %q, want empty", got)
	}
}

func TestMapLabel(t *testing.T) {
	for label, ok := range map[string]bool{
		"parts": true, "part's_1-x": true, "ünïcode": true, strings.Repeat("x", 40): true,
		strings.Repeat("x", 41): false, "a/b": false, "a b": false, "a:b": false, "": false, "a\u0085b": false,
	} {
		def := `{"StartAt":"M","States":{"M":{"Type":"Map","Label":` + strconvQuote(label) + `,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},"End":true}}}`
		if got := !HasErrors(Definition([]byte(def), Options{})); got != ok {
			t.Errorf("Label %q accepted = %v, want %v", label, got, ok)
		}
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
