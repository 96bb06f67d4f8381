// The history events only the control plane records: an execution's
// start and redrive. The interpreter's events are in internal/interp's
// history.go (aliased in aliases.go).

package statemachine

import "github.com/stepwise-dev/stepwise/statemachine/internal/interp"

// ExecutionStartedEventDetails are the details of ExecutionStarted.
type ExecutionStartedEventDetails struct {
	Input        interp.JSONText            `json:"input"`
	InputDetails interp.HistoryEventDetails `json:"inputDetails"`
	RoleArn      string                     `json:"roleArn"`
	// The version and alias StartExecution went through, if any.
	StateMachineAliasArn   string `json:"stateMachineAliasArn,omitempty"`
	StateMachineVersionArn string `json:"stateMachineVersionArn,omitempty"`
}

// ExecutionRedrivenEventDetails are the details of ExecutionRedriven.
type ExecutionRedrivenEventDetails struct {
	RedriveCount int `json:"redriveCount"`
}
