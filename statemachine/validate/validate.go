// Package validate checks Amazon States Language definitions the way AWS
// Step Functions' ValidateStateMachineDefinition and CreateStateMachine do,
// and reports what is wrong as [Diagnostic] values with AWS's codes, messages
// and locations (JSON pointers such as /States/Check/Choices[0]/Next, in
// AWS's own notation with [n] for array items).
//
// It is static analysis only: it never runs a state, resolves a path against
// data, or contacts a service. It checks JSON syntax, the fields each state
// type accepts in each query language, transitions and reachability, Choice
// rules, Retry/Catch, Wait, Map (inline and distributed) and Parallel
// recursively, JSONPath and intrinsic-function syntax, EXPRESS restrictions
// and the definition size limit. JSONata expressions are checked through the
// optional [Options.CheckJSONata] hook so that this package does not depend
// on a JSONata implementation.
//
// [Definition] answers as AWS does, word for word; [Report] finds the same
// problems and explains them to the person fixing the file.
//
// The rule is no false positives: every definition AWS accepted in the
// conformance corpus validates without ERROR diagnostics.
package validate

import (
	"strings"
)

// Severity values of a [Diagnostic].
const (
	SeverityError   = "ERROR"
	SeverityWarning = "WARNING"
)

// Diagnostic codes, as AWS names them.
const (
	CodeInvalidJSON        = "INVALID_JSON_DESCRIPTION"
	CodeSchema             = "SCHEMA_VALIDATION_FAILED"
	CodeMissingTransition  = "MISSING_TRANSITION_TARGET"
	CodeMissingEndState    = "MISSING_END_STATE"
	CodeDuplicateStateName = "DUPLICATE_STATE_NAME"
)

// MaxDefinitionBytes is the largest definition AWS accepts (1 MiB).
const MaxDefinitionBytes = 1 << 20

// Options configures [Definition].
type Options struct {
	// Type is the state machine type, "STANDARD" (the default when empty) or
	// "EXPRESS"; EXPRESS machines may not use .sync or .waitForTaskToken.
	Type string
	// CheckJSONata, if set, is called with the text between "{%" and "%}"
	// of every JSONata expression; a non-nil error becomes a diagnostic.
	// The engine passes a function that compiles the expression.
	CheckJSONata func(expr string) error
	// Source, if set, is the text the definition was rendered from, with
	// ${...} placeholders inside JSON strings: [Report] then gives lines and
	// columns in Source, the file a person edits. It is ignored when it is
	// not JSON.
	Source []byte
}

// Diagnostic is one problem found in a definition.
type Diagnostic struct {
	// Severity is "ERROR" or "WARNING".
	Severity string `json:"severity"`
	// Code is AWS's diagnostic code, e.g. "SCHEMA_VALIDATION_FAILED".
	Code string `json:"code"`
	// Message says what is wrong, in AWS's words where known.
	Message string `json:"message"`
	// Location is a JSON pointer into the definition ("/States/A/Next"), a
	// Jackson-style source position for JSON syntax errors, or "" when AWS
	// gives none. [Definition] writes pointers in AWS's notation
	// (/Choices[0]); [Report] in RFC 6901's (/Choices/0), with "/" for the
	// whole document.
	Location string `json:"location,omitempty"`
	// Line and Column (1-based, the column in characters) say where in the
	// text the problem is. Only [Report] sets them.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
}

// String formats the diagnostic as AWS does inside an InvalidDefinition
// message: "CODE: message at location" (without " at ..." when there is no
// location).
func (d Diagnostic) String() string {
	if d.Location == "" {
		return d.Code + ": " + d.Message
	}
	return d.Code + ": " + d.Message + " at " + d.Location
}

// HasErrors reports whether any diagnostic has severity ERROR.
func HasErrors(ds []Diagnostic) bool {
	for _, d := range ds {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// InvalidDefinitionMessage formats the ERROR diagnostics into the message of
// the InvalidDefinition error CreateStateMachine returns, e.g.
// "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields
// are required: [StartAt] at /'". It returns "" when there are no errors.
func InvalidDefinitionMessage(ds []Diagnostic) string {
	var parts []string
	for _, d := range ds {
		if d.Severity == SeverityError {
			parts = append(parts, d.String())
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "Invalid State Machine Definition: '" + strings.Join(parts, ", ") + "'"
}
