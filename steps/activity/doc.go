// Package activity runs Step Functions activity workers in Go: the way to
// run a step that outgrows Lambda's 15 minutes (a long export, a video
// encode) on any machine — an EC2 instance, a container, a laptop — while
// the state machine keeps orchestrating it.
//
// A Task state whose Resource is an activity ARN
// (arn:aws:states:<region>:<account>:activity:<name>) waits until a worker
// polls GetActivityTask, hands it the state's input and a task token, and
// continues when the worker sends SendTaskSuccess or SendTaskFailure with
// that token. A [Worker] does the polling with an aws-sdk-go-v2 Step
// Functions client, runs a [Handler] per task, heartbeats while the
// handler runs (so that the state's HeartbeatSeconds notices a dead worker
// within seconds, not hours), reports the handler's result or error, and
// stops gracefully: it stops polling, lets running tasks finish within
// [Worker].StopTimeout, then cancels them.
//
// A handler's error becomes SendTaskFailure's error and cause: the error
// name is the name of the error's type (pointer stripped), as AWS Lambda
// names a Go error, or [Error].Name; Retry and Catch match it. Name error
// types for what the state machine should match.
//
// The same worker runs against AWS and against the local stack (`runner
// up`): only the client's endpoint differs.
//
// It is not a general job queue: tasks live in Step Functions, and a task
// whose worker dies is retried by the state machine's Retry on
// States.HeartbeatTimeout, not by this package.
package activity
