package eventtype

// The events of a Task state whose Resource is an activity
// (arn:aws:states:<region>:<account>:activity:<name>).
const (
	ActivityScheduled      = "ActivityScheduled"
	ActivityScheduleFailed = "ActivityScheduleFailed"
	ActivityStarted        = "ActivityStarted"
	ActivitySucceeded      = "ActivitySucceeded"
	ActivityFailed         = "ActivityFailed"
	ActivityTimedOut       = "ActivityTimedOut"
)
