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
