// Package eventtype names the history event types of AWS Step Functions
// (the "type" field of GetExecutionHistory's events) that the engine
// records. Use these constants instead of string literals.
//
// It is a leaf package: it imports nothing.
package eventtype

// Execution events.
const (
	ExecutionStarted   = "ExecutionStarted"
	ExecutionSucceeded = "ExecutionSucceeded"
	ExecutionFailed    = "ExecutionFailed"
	ExecutionTimedOut  = "ExecutionTimedOut"
	ExecutionAborted   = "ExecutionAborted"
	ExecutionRedriven  = "ExecutionRedriven"
	EvaluationFailed   = "EvaluationFailed"
)

// Task (service integration) events.
const (
	TaskScheduled = "TaskScheduled"
	TaskStarted   = "TaskStarted"
	TaskSubmitted = "TaskSubmitted"
	TaskSucceeded = "TaskSucceeded"
	TaskFailed    = "TaskFailed"
	TaskTimedOut  = "TaskTimedOut"
)

// Lambda (legacy function ARN as Resource) events.
const (
	LambdaFunctionScheduled = "LambdaFunctionScheduled"
	LambdaFunctionStarted   = "LambdaFunctionStarted"
	LambdaFunctionSucceeded = "LambdaFunctionSucceeded"
	LambdaFunctionFailed    = "LambdaFunctionFailed"
	LambdaFunctionTimedOut  = "LambdaFunctionTimedOut"
)

// Parallel, Map and Map Run events.
const (
	ParallelStateStarted   = "ParallelStateStarted"
	ParallelStateSucceeded = "ParallelStateSucceeded"
	ParallelStateFailed    = "ParallelStateFailed"
	MapStateStarted        = "MapStateStarted"
	MapStateSucceeded      = "MapStateSucceeded"
	MapStateFailed         = "MapStateFailed"
	MapStateExited         = "MapStateExited"
	MapIterationStarted    = "MapIterationStarted"
	MapIterationSucceeded  = "MapIterationSucceeded"
	MapIterationFailed     = "MapIterationFailed"
	MapRunStarted          = "MapRunStarted"
	MapRunSucceeded        = "MapRunSucceeded"
	MapRunFailed           = "MapRunFailed"
)

// Suffixes of the per-state events: a state of type T records
// T+"StateEntered", T+"StateExited" and T+"StateAborted" (for example
// "PassStateEntered").
const (
	StateEnteredSuffix = "StateEntered"
	StateExitedSuffix  = "StateExited"
	StateAbortedSuffix = "StateAborted"
)

// StateEntered is the type of the event recorded when a state of type
// stateType ("Pass", "Task", ...) is entered.
func StateEntered(stateType string) string { return stateType + StateEnteredSuffix }

// StateExited is the type of the event recorded when a state of type
// stateType is left.
func StateExited(stateType string) string { return stateType + StateExitedSuffix }

// StateAborted is the type of the event recorded when a state of type
// stateType is stopped by its execution's end.
func StateAborted(stateType string) string { return stateType + StateAbortedSuffix }
