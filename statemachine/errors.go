package statemachine

import "fmt"

// APIError is an error of the engine's control plane, shaped like the Step
// Functions API's errors: Code is the AWS exception name (for example
// "ExecutionDoesNotExist") and Message its text. Compare with errors.Is
// against the Err* variables, which match on Code.
type APIError struct {
	Code    string
	Message string
}

// Error returns "Code: Message".
func (e *APIError) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// Is reports whether target is an *APIError with the same Code.
func (e *APIError) Is(target error) bool {
	t, ok := target.(*APIError)
	return ok && t.Code == e.Code
}

func apiErr(code, format string, a ...any) *APIError {
	return &APIError{Code: code, Message: fmt.Sprintf(format, a...)}
}

// Sentinel API errors for use with errors.Is.
var (
	ErrStateMachineDoesNotExist     = &APIError{Code: "StateMachineDoesNotExist"}
	ErrStateMachineAlreadyExists    = &APIError{Code: "StateMachineAlreadyExists"}
	ErrStateMachineTypeNotSupported = &APIError{Code: "StateMachineTypeNotSupported"}
	ErrExecutionDoesNotExist        = &APIError{Code: "ExecutionDoesNotExist"}
	ErrExecutionAlreadyExists       = &APIError{Code: "ExecutionAlreadyExists"}
	ErrExecutionNotRedrivable       = &APIError{Code: "ExecutionNotRedrivable"}
	ErrInvalidDefinition            = &APIError{Code: "InvalidDefinition"}
	ErrInvalidArn                   = &APIError{Code: "InvalidArn"}
	ErrInvalidName                  = &APIError{Code: "InvalidName"}
	ErrInvalidExecutionInput        = &APIError{Code: "InvalidExecutionInput"}
	ErrInvalidOutput                = &APIError{Code: "InvalidOutput"}
	ErrInvalidToken                 = &APIError{Code: "InvalidToken"}
	ErrTaskDoesNotExist             = &APIError{Code: "TaskDoesNotExist"}
	ErrTaskTimedOut                 = &APIError{Code: "TaskTimedOut"}
	ErrValidation                   = &APIError{Code: "ValidationException"}
	ErrResourceNotFound             = &APIError{Code: "ResourceNotFound"}
	ErrNotImplemented               = &APIError{Code: "NotImplemented"}
)
