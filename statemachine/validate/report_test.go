package validate

import (
	"fmt"
	"strings"
	"testing"
)

// TestReport pins what a person sees: every problem in one pass, at the
// offending field's own JSON pointer with its line:column, sorted by
// pointer, with did-you-mean and operand-type hints. Each want line is
// "line:col pointer: message".
func TestReport(t *testing.T) {
	tests := []struct {
		name string
		def  string
		want []string
	}{
		{"valid", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, nil},
		{"schema and graph in one pass, sorted by pointer", `{"StartAt": "Frist", "Coment": "x",
 "States": {
  "First": {"Type": "Pass", "Nxt": "C"},
  "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumberEquals": "5", "Next": "Dne"}], "Default": "Done"},
  "Done": {"Type": "Succeed"}
 }}`, []string{
			`1:22 /Coment: Field 'Coment' is not supported; did you mean 'Comment'?`,
			`1:2 /StartAt: Missing 'Next' target: Frist; did you mean 'First'?`,
			`4:80 /States/C/Choices/0/Next: Missing 'Next' target: Dne; did you mean 'Done'?`,
			`4:59 /States/C/Choices/0/NumberEquals: expected a number, got string "5"; use StringEquals to compare strings ('NumberEquals' is not a Choice operator; did you mean 'NumericEquals'?)`,
			`3:3 /States/First: One of these fields is required: [Next, End]`,
			`3:29 /States/First/Nxt: Field 'Nxt' is not supported; did you mean 'Next'?`,
		}},
		{"array indexes sort as numbers", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[
{"Variable":"$.x","IsNull":true,"Next":"D"},{"Variable":"$.x","IsNull":true,"Next":"D"},{"Variable":"$.x","IsNull":true,"Next":"D"},
{"Variable":"$.x","IsNull":true,"Next":"D"},{"Variable":"$.x","IsNull":true,"Next":"D"},{"Variable":"$.x","IsNull":true,"Next":"D"},
{"Variable":"$.x","IsNull":true,"Next":"D"},{"Variable":"$.x","IsNull":true,"Next":"D"},{"Variable":"$.x","IsNull":true,"Next":"D"},
{"Variable":"$.x","IsNull":true,"Next":"Dne"},{"Variable":"$.x","IsNull":true,"Next":"D"},{"Variable":"$.x","IsNull":true,"Next":"Don"}]},
"D":{"Type":"Succeed"},"Done":{"Type":"Succeed"}}}`, []string{
			`5:33 /States/C/Choices/9/Next: Missing 'Next' target: Dne; did you mean 'Done'?`,
			`5:123 /States/C/Choices/11/Next: Missing 'Next' target: Don; did you mean 'Done'?`,
		}},
		{"operand types", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[
{"Variable":"$.x","NumericEquals":"5","Next":"D"},
{"Variable":"$.x","StringEquals":5,"Next":"D"},
{"Variable":"$.x","NumericGreaterThan":"$.limit","Next":"D"},
{"Variable":"$.x","BooleanEquals":"true","Next":"D"},
{"Variable":"$.x","TimestampLessThan":"yesterday","Next":"D"},
{"Variable":"$.x","IsPresent":1,"Next":"D"},
{"Variable":"$.x","StringMatches":null,"Next":"D"}],"Default":"D"},
"D":{"Type":"Succeed"}}}`, []string{
			`2:19 /States/C/Choices/0/NumericEquals: expected a number, got string "5"; use StringEquals to compare strings`,
			`3:19 /States/C/Choices/1/StringEquals: expected a string, got number 5; use NumericEquals to compare numbers`,
			`4:19 /States/C/Choices/2/NumericGreaterThan: expected a number, got string "$.limit"; use NumericGreaterThanPath to compare with the value at a path`,
			`5:19 /States/C/Choices/3/BooleanEquals: expected a boolean, got string "true"; write true without quotes`,
			`6:19 /States/C/Choices/4/TimestampLessThan: expected an RFC 3339 timestamp such as "2024-01-31T23:59:59Z", got string "yesterday"; use StringLessThan to compare strings`,
			`7:19 /States/C/Choices/5/IsPresent: expected a boolean, got number 1`,
			`8:19 /States/C/Choices/6/StringMatches: expected a string, got null`,
		}},
		{"misspelt operator with a fitting operand", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","NumberEquals":5,"Next":"D"}]},"D":{"Type":"Succeed"}}}`, []string{
			`1:76 /States/C/Choices/0/NumberEquals: Field 'NumberEquals' is not supported; did you mean 'NumericEquals'?`,
		}},
		{"field of another state type", `{"StartAt":"A","States":{"A":{"Type":"Pass","Retry":[],"End":true}}}`, []string{
			`1:45 /States/A/Retry: Field 'Retry' is not supported; a Pass state has no Retry, only Task, Parallel, Map states do`,
		}},
		{"misspelt Next is followed: no unreachable noise", `{"StartAt":"A","States":{"A":{"Type":"Pass","Nxt":"B"},"B":{"Type":"Succeed"}}}`, []string{
			`1:26 /States/A: One of these fields is required: [Next, End]`,
			`1:45 /States/A/Nxt: Field 'Nxt' is not supported; did you mean 'Next'?`,
		}},
		{"target in another States object", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"In","States":{"In":{"Type":"Pass","Next":"Out"}}}],"Next":"In"},"Out":{"Type":"Succeed"}}}`, []string{
			`1:137 /States/Out: State "Out" is not reachable.`,
			`1:77 /States/P/Branches/0/States: Workflow has no terminal state`,
			`1:107 /States/P/Branches/0/States/In/Next: Missing 'Next' target: Out; that state is in another States object (a Parallel branch, a Map processor or the machine around them), and a transition cannot leave its own`,
			`1:124 /States/P/Next: Missing 'Next' target: In; that state is in another States object (a Parallel branch, a Map processor or the machine around them), and a transition cannot leave its own`,
		}},
		{"no close name lists the states", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Publish"},"B":{"Type":"Succeed"}}}`, []string{
			`1:45 /States/A/Next: Missing 'Next' target: Publish; the states here are A, B`,
			`1:63 /States/B: State "B" is not reachable.`,
		}},
		{"pointer escapes", `{"StartAt":"a/b","States":{"a/b":{"Type":"Pass","Parameters":{"x~y":{"k.$":"nope"}},"End":true}}}`, []string{
			`1:63 /States/a~1b/Parameters/x~0y: The value for the field 'k.$' must be a valid JSONPath or a valid intrinsic function call`,
		}},
		{"root", `{"States":{"A":{"Type":"Pass","End":true}}}`, []string{
			`1:1 /: These fields are required: [StartAt]`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := Report([]byte(tt.def), Options{})
			var got []string
			for _, d := range ds {
				got = append(got, fmt.Sprintf("%d:%d %s: %s", d.Line, d.Column, d.Location, d.Message))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("report\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
			if HasErrors(ds) != HasErrors(Definition([]byte(tt.def), Options{})) {
				t.Errorf("Report and Definition disagree on whether %s is valid", tt.def)
			}
		})
	}
}

// TestReportSyntax: a JSON syntax error is one diagnostic, with the
// parser's message once, the line:column of the error and a hint.
func TestReportSyntax(t *testing.T) {
	tests := []struct {
		def, msg  string
		line, col int
	}{
		{"{\"StartAt\": \"A\",\n", "unexpected end of JSON input; the object that starts at 1:1 is not closed (a '}' is missing)", 2, 1},
		{"{\"States\": {\"A\": [1, 2\n", "unexpected end of JSON input; the array that starts at 1:18 is not closed (a ']' is missing)", 2, 1},
		{"{\"StartAt\": \"A", "unexpected end of JSON input; the string that starts at 1:13 is not closed", 1, 15},
		{"{\n  \"a\": 1,\n}", "invalid character '}' looking for beginning of object key string; remove the trailing comma before it", 3, 1},
		{"{\"a\": 1\n \"b\": 2}", "invalid character '\"' after object key:value pair; a comma is missing before it", 2, 2},
		{"{\"a\" 1}", "invalid character '1' after object key; a colon is missing before it", 1, 6},
		{"{'a': 1}", "invalid character '\\'' looking for beginning of object key string; JSON strings use double quotes", 1, 2},
		{"{\"é\": tru}", "invalid character '}' in literal true (expecting 'e')", 1, 10},
	}
	for _, tt := range tests {
		ds := Report([]byte(tt.def), Options{})
		if len(ds) != 1 || ds[0].Code != CodeInvalidJSON {
			t.Fatalf("%q: got %v, want one INVALID_JSON_DESCRIPTION", tt.def, ds)
		}
		d := ds[0]
		if d.Message != tt.msg || d.Line != tt.line || d.Column != tt.col || d.Location != "" {
			t.Errorf("%q:\n got %d:%d %q (location %q)\nwant %d:%d %q", tt.def, d.Line, d.Column, d.Message, d.Location, tt.line, tt.col, tt.msg)
		}
	}
}

// TestReportSource: with placeholders filled, lines and columns still
// refer to the file as written.
func TestReportSource(t *testing.T) {
	src := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"${F}","Nxt":"B"},"B":{"Type":"Succeed"}}}`
	rendered := strings.Replace(src, "${F}", "arn:aws:lambda:us-east-1:123456789012:function:long-name", 1)
	for _, tc := range []struct {
		opts Options
		col  int
	}{{Options{}, 115}, {Options{Source: []byte(src)}, 63}} {
		ds := Report([]byte(rendered), tc.opts)
		if len(ds) != 2 || ds[1].Location != "/States/A/Nxt" || ds[1].Column != tc.col {
			t.Errorf("Source %q: got %#v, want /States/A/Nxt at column %d", tc.opts.Source, ds, tc.col)
		}
	}
}

// TestReportAgreesWithDefinition: over every corpus definition (accepted
// and rejected by AWS), Report rejects exactly what Definition rejects.
func TestReportAgreesWithDefinition(t *testing.T) {
	n := 0
	for _, c := range loadCases(t, "*/*.json") {
		def := c.definitionText(t)
		typ := c.StateMachineType
		if typ == "" && strings.HasPrefix(c.ExecutionType, "EXPRESS") {
			typ = "EXPRESS"
		}
		d := Definition(def, Options{Type: typ})
		r := Report(def, Options{Type: typ})
		if HasErrors(d) != HasErrors(r) {
			t.Errorf("%s: Definition %v, Report %v", c.Name, d, r)
		}
		if HasErrors(d) && len(r) < len(d) {
			t.Errorf("%s: Report found %d problems, Definition %d", c.Name, len(r), len(d))
		}
		n++
	}
	t.Logf("compared %d definitions", n)
}

func TestComparePointers(t *testing.T) {
	in := []string{"/States/B", "/States/A/Choices/10", "/", "/States/A/Choices/2/Next", "/States/A", "/Comment", "/States/A/Choices/2", "/States/A/Choices/x"}
	want := []string{"/", "/Comment", "/States/A", "/States/A/Choices/2", "/States/A/Choices/2/Next", "/States/A/Choices/10", "/States/A/Choices/x", "/States/B"}
	got := append([]string(nil), in...)
	for i := range got { // insertion sort, to test the comparison alone
		for j := i; j > 0 && comparePointers(got[j-1], got[j]) > 0; j-- {
			got[j-1], got[j] = got[j], got[j-1]
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestSuggest(t *testing.T) {
	states := []string{"First", "Done", "Publish", "Plan"}
	for word, want := range map[string]string{
		"Frist": "First", "Dne": "Done", "Publsh": "Publish", "publish": "Publish", "Pln": "Plan",
		"Zebra": "", "X": "", "Finish": "",
	} {
		if got := suggest(word, states); got != want {
			t.Errorf("suggest(%q) = %q, want %q", word, got, want)
		}
	}
	if got := suggest("NumberEquals", keys(choiceOperators)); got != "NumericEquals" {
		t.Errorf("suggest(NumberEquals) = %q", got)
	}
	if got := suggest("Nxt", []string{"Next", "End", "Type"}); got != "Next" {
		t.Errorf("suggest(Nxt) = %q", got)
	}
}
