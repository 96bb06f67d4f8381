package validate_test

import (
	"fmt"

	"github.com/stepwise-dev/stepwise/statemachine/validate"
)

func ExampleDefinition() {
	def := `{"StartAt": "Plan", "States": {
	  "Plan": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Publsh"},
	  "Publish": {"Type": "Succeed"}}}`
	ds := validate.Definition([]byte(def), validate.Options{Type: "STANDARD"})
	for _, d := range ds {
		fmt.Println(d)
	}
	fmt.Println(validate.InvalidDefinitionMessage(ds))
	// Output:
	// MISSING_TRANSITION_TARGET: Missing 'Next' target: Publsh at /States/Plan/Next
	// MISSING_TRANSITION_TARGET: State "Publish" is not reachable. at /States/Publish
	// Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: Publsh at /States/Plan/Next, MISSING_TRANSITION_TARGET: State "Publish" is not reachable. at /States/Publish'
}

func ExampleReport() {
	def := `{"StartAt": "Plan", "States": {
  "Plan": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Nxt": "Publish"},
  "Publish": {"Type": "Choice", "Choices": [
    {"Variable": "$.total", "NumericGreaterThan": "100", "Next": "Dnoe"}]},
  "Done": {"Type": "Succeed"}}}`
	for _, d := range validate.Report([]byte(def), validate.Options{}) {
		fmt.Printf("%d:%d: %s: %s\n", d.Line, d.Column, d.Location, d.Message)
	}
	// Output:
	// 2:3: /States/Plan: One of these fields is required: [Next, End]
	// 2:74: /States/Plan/Nxt: Field 'Nxt' is not supported; did you mean 'Next'?
	// 4:58: /States/Publish/Choices/0/Next: Missing 'Next' target: Dnoe; did you mean 'Done'?
	// 4:29: /States/Publish/Choices/0/NumericGreaterThan: expected a number, got string "100"; use StringGreaterThan to compare strings
}
