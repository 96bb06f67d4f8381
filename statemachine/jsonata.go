package statemachine

import "github.com/stepwise-dev/stepwise/statemachine/jsonata"

// checkJSONata compiles a JSONata expression for validation.
func checkJSONata(expr string) error {
	_, err := jsonata.Compile(expr, jsonata.StepFunctions())
	return err
}
