package statemachine

import "testing"

func TestServiceErrorName(t *testing.T) {
	for _, c := range [][3]string{
		{"Sfn", "ExecutionDoesNotExist", "Sfn.ExecutionDoesNotExistException"},
		{"Sfn", "ValidationException", "Sfn.ValidationException"},
		{"StepFunctions", "StateMachineDoesNotExist", "StepFunctions.StateMachineDoesNotExistException"},
	} {
		if got := serviceErrorName(c[0], c[1]); got != c[2] {
			t.Errorf("serviceErrorName(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}
