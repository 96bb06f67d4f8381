// Package states names the errors that AWS Step Functions itself raises
// (the "States." prefix of the Amazon States Language). Retry and Catch
// match on these names, so the engine must spell them exactly as AWS does;
// use these constants instead of string literals.
//
// It is a leaf package: it imports nothing.
package states

// Error names of the Amazon States Language.
const (
	// ALL matches any error in Retry and Catch (except States.Runtime in Retry).
	ALL                             = "States.ALL"
	Aborted                         = "States.Aborted"
	BranchFailed                    = "States.BranchFailed"
	DataLimitExceeded               = "States.DataLimitExceeded"
	ExceedToleratedFailureThreshold = "States.ExceedToleratedFailureThreshold"
	HeartbeatTimeout                = "States.HeartbeatTimeout"
	IntrinsicFailure                = "States.IntrinsicFailure"
	ItemReaderFailed                = "States.ItemReaderFailed"
	NoChoiceMatched                 = "States.NoChoiceMatched"
	ParameterPathFailure            = "States.ParameterPathFailure"
	Permissions                     = "States.Permissions"
	QueryEvaluationError            = "States.QueryEvaluationError"
	ResultPathMatchFailure          = "States.ResultPathMatchFailure"
	ResultWriterFailed              = "States.ResultWriterFailed"
	Runtime                         = "States.Runtime"
	TaskFailed                      = "States.TaskFailed"
	Timeout                         = "States.Timeout"
)

// Prefix starts every error name that Step Functions reserves.
const Prefix = "States."
