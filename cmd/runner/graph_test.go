package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGraphExitCodes: broken ASL is an error (1) in graph as in validate,
// a bad flag a usage error (2), as the README's exit codes say.
func TestGraphExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.asl.json", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`)
	typo := write("typo.asl.json", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Dnoe"},"Done":{"Type":"Succeed"}}}`)
	broken := write("broken.asl.json", `{"StartAt":`)
	for _, tc := range []struct {
		args []string
		code int
		out  string // in stdout
		err  string // in stderr
	}{
		{[]string{"graph", good}, exitOK, "flowchart TD", ""},
		{[]string{"graph", typo}, exitError, "", "Missing 'Next' target: Dnoe; did you mean 'Done'?"},
		{[]string{"graph", typo, "--format", "dot"}, exitError, "", "nothing drawn"},
		{[]string{"graph", broken}, exitError, "", "unexpected end of JSON input"},
		{[]string{"validate", typo}, exitError, "did you mean 'Done'?", ""},
		{[]string{"validate", broken}, exitError, "unexpected end of JSON input", ""},
		{[]string{"graph", good, "--format", "png"}, exitUsage, "", "--format must be mermaid, dot or svg"},
		{[]string{"graph", good, "--format", "svg"}, exitOK, `data-state="A"`, ""},
	} {
		code, stdout, stderr := runCLI(t, "", tc.args...)
		if code != tc.code || !strings.Contains(stdout, tc.out) || !strings.Contains(stderr, tc.err) {
			t.Errorf("runner %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(tc.args, " "), code, tc.code, stdout, stderr)
		}
		if tc.code != exitOK && tc.args[0] == "graph" && stdout != "" {
			t.Errorf("runner %s drew a graph of a broken machine:\n%s", strings.Join(tc.args, " "), stdout)
		}
	}
}

func TestChoiceLabel(t *testing.T) {
	tests := []struct{ rule, want string }{
		{`{"Variable":"$.total","NumericGreaterThan":100}`, `$.total > 100`},
		{`{"Variable":"$.total","NumericGreaterThanEquals":1.50}`, `$.total >= 1.50`},
		{`{"Variable":"$.x","StringEquals":"a"}`, `$.x == "a"`},
		{`{"Variable":"$.x","StringLessThanPath":"$.y"}`, `$.x < $.y`},
		{`{"Variable":"$.ok","BooleanEquals":false}`, `$.ok == false`},
		{`{"Variable":"$.t","TimestampLessThanEquals":"2024-01-01T00:00:00Z"}`, `$.t <= "2024-01-01T00:00:00Z"`},
		{`{"Variable":"$.n","StringMatches":"log-*.txt"}`, `$.n matches "log-*.txt"`},
		{`{"Variable":"$.n","IsNull":true}`, `$.n is null`},
		{`{"Variable":"$.n","IsPresent":false}`, `$.n is not present`},
		{`{"Variable":"$.n","IsTimestamp":true}`, `$.n is timestamp`},
		{`{"Not":{"Variable":"$.n","IsNumeric":true}}`, `!($.n is numeric)`},
		{`{"And":[{"Variable":"$.a","NumericEquals":1},{"Or":[{"Variable":"$.b","StringEquals":"x"},{"Variable":"$.c","IsString":true}]}]}`,
			`$.a == 1 && ($.b == "x" || $.c is string)`},
		{`{"Or":[{"And":[{"Variable":"$.a","NumericEquals":1},{"Variable":"$.b","NumericEquals":2}]},{"Variable":"$$.Execution.Name","StringEquals":"<x>"}]}`,
			`($.a == 1 && $.b == 2) || $$.Execution.Name == "<x>"`},
		{`{"Condition":"{%  $states.input.total   > 100\n and true %}"}`, `$states.input.total > 100 and true`},
		{`{"Condition":true}`, `true`},
	}
	for _, tt := range tests {
		dec := json.NewDecoder(strings.NewReader(tt.rule))
		dec.UseNumber()
		var rule map[string]any
		if err := dec.Decode(&rule); err != nil {
			t.Fatal(err)
		}
		if got := choiceLabel(rule); got != tt.want {
			t.Errorf("choiceLabel(%s) = %q, want %q", tt.rule, got, tt.want)
		}
	}
}

func TestTruncateLabel(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"$.a > 1 and $.b > 2 and $.c > 3", 20, "$.a > 1 and $.b > 2…"},
		{"$.a > 1 and $.b > 22 and $.c > 3", 20, "$.a > 1 and $.b >…"},
		{"averyveryverylongidentifier", 10, "averyvery…"},
		{"ééééé ééééé", 8, "ééééé…"},
	} {
		if got := truncateLabel(tt.in, tt.n); got != tt.want {
			t.Errorf("truncateLabel(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
		if n := len([]rune(truncateLabel(tt.in, tt.n))); n > tt.n {
			t.Errorf("truncateLabel(%q, %d) has %d characters", tt.in, tt.n, n)
		}
	}
}

// TestGraphEscaping: labels with the characters each format treats
// specially come out as text, in Mermaid and in DOT.
func TestGraphEscaping(t *testing.T) {
	label := "a \"b\" <c> | d & #e; `f` \\n"
	if got, want := mermaidText(label+"\nx"), "a #quot;b#quot; #lt;c#gt; #124; d #amp; #35;e; #96;f#96; \\n<br/>x"; got != want {
		t.Errorf("mermaidText = %q, want %q", got, want)
	}
	if got, want := dotQuote(label+"\nx"), `"a \"b\" <c> | d & #e; `+"`f`"+` \\n\nx"`; got != want {
		t.Errorf("dotQuote = %q, want %q", got, want)
	}

	// A state name with those characters, end to end.
	def := `{"StartAt":"A \"1\" <x>|y","States":{"A \"1\" <x>|y":{"Type":"Choice","Choices":[{"Variable":"$.s","StringEquals":"p|q\"<r>","Next":"Z"}],"Default":"Z"},"Z":{"Type":"Succeed"}}}`
	var m aslMachine
	if err := json.Unmarshal([]byte(def), &m); err != nil {
		t.Fatal(err)
	}
	g := buildGraph(&m)
	var mm, dot strings.Builder
	g.writeMermaid(&mm)
	g.writeDOT(&dot)
	for _, want := range []string{
		`{"A #quot;1#quot; #lt;x#gt;#124;y<br/>Choice"}`,
		`-->|"$.s == #quot;p#124;q\#quot;#lt;r#gt;#quot;"| s1_Z`,
	} {
		if !strings.Contains(mm.String(), want) {
			t.Errorf("Mermaid lacks %s:\n%s", want, mm.String())
		}
	}
	for _, want := range []string{
		`[label="A \"1\" <x>|y\nChoice", shape=diamond]`,
		`[label="$.s == \"p|q\\\"<r>\""]`,
	} {
		if !strings.Contains(dot.String(), want) {
			t.Errorf("DOT lacks %s:\n%s", want, dot.String())
		}
	}
}

// TestSanitizeID: distinct state names get distinct node ids.
func TestSanitizeID(t *testing.T) {
	names := []string{"a b", "a_20_b", "a__20__b", "a_b", "a-b", "a_2d_b", "Plan", "plan", "é", "_e9_"}
	seen := map[string]string{}
	for _, n := range names {
		id := sanitizeID(n)
		if prev, dup := seen[id]; dup {
			t.Errorf("%q and %q share node id %q", prev, n, id)
		}
		seen[id] = n
		for _, r := range id {
			if !(r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
				t.Errorf("id %q of %q has %q", id, n, r)
			}
		}
	}
}
