package statemachine

import (
	"context"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/objects"
)

// This file holds the narrow interfaces through which the engine reaches the
// outside world. The engine itself never speaks HTTP and never imports an AWS
// SDK: the local stack (package local/...) and tests supply implementations.

// Clock is the engine's only source of time. Wait states, Retry back-off,
// TimeoutSeconds and HeartbeatSeconds all go through it, so tests can use a
// virtual clock and never sleep.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After returns a channel that receives once d has elapsed on this
	// clock. A d <= 0 fires at once.
	After(d time.Duration) <-chan time.Time
}

// LambdaInvoker invokes a Lambda function the way the Lambda Invoke API does
// (InvocationType RequestResponse). Implementations must be safe for
// concurrent use.
type LambdaInvoker interface {
	// Invoke runs function (a name, a function ARN, or a qualified ARN) with
	// payload as the event. A function error (the handler returned or
	// panicked) is not a Go error: it is reported in LambdaResult.FunctionError
	// with the error document in Payload, as the Lambda API does. A Go error
	// is a service-level failure; return a *TaskError whose Name is the name
	// Step Functions shows (for example "Lambda.ResourceNotFoundException",
	// "Lambda.TooManyRequestsException", "Lambda.ServiceException") and whose
	// Cause is the service's message.
	Invoke(ctx context.Context, function string, payload []byte) (LambdaResult, error)
}

// LambdaResult is the response of one Lambda invocation.
type LambdaResult struct {
	// Payload is the function's response document, or the error document
	// {"errorMessage","errorType","stackTrace"} when FunctionError is set.
	Payload []byte
	// FunctionError is "" on success and "Unhandled" (or "Handled") when
	// the function failed, mirroring the X-Amz-Function-Error header.
	FunctionError string
	// ExecutedVersion is the version that ran, "$LATEST" by default.
	ExecutedVersion string
	// RequestID is the invocation's request id.
	RequestID string
}

// TaskError is a failure with a Step Functions error name and cause. Task
// implementations return it to fail a task with a specific name that Retry
// and Catch can match.
type TaskError struct {
	Name  string // the error name, e.g. "States.Timeout" or "Lambda.ServiceException"
	Cause string // the cause text shown in history and DescribeExecution
}

// Error implements error.
func (e *TaskError) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

// ServiceInvoker runs Task states whose Resource is a service integration
// other than Lambda and Step Functions (which the engine handles itself),
// for example "arn:aws:states:::sqs:sendMessage.waitForTaskToken". The
// engine has already evaluated the state's Parameters/Arguments.
type ServiceInvoker interface {
	InvokeService(ctx context.Context, req ServiceRequest) (result any, err error)
}

// ServiceRequest describes one service-integration task invocation.
type ServiceRequest struct {
	Resource  string // the Resource ARN as written (placeholders substituted)
	Service   string // e.g. "sqs", "aws-sdk:s3"
	Action    string // e.g. "sendMessage", "getObject"
	Pattern   IntegrationPattern
	Input     any    // the effective parameters, decoded JSON
	TaskToken string // set for WaitForTaskToken
	Timeout   time.Duration
	Heartbeat time.Duration
}

// IntegrationPattern is how a Task waits for its service.
type IntegrationPattern int

const (
	// RequestResponse returns as soon as the service answers.
	RequestResponse IntegrationPattern = iota
	// RunJob (".sync") waits for the started job to finish.
	RunJob
	// WaitForTaskToken (".waitForTaskToken") waits for SendTaskSuccess or
	// SendTaskFailure with the task token.
	WaitForTaskToken
)

// ObjectStore is the object store a Distributed Map's ItemReader (Get,
// List) and ResultWriter (Put) use: [objects.Store], the one interface the
// engine and the steps share. Implementations must be safe for concurrent
// use.
type ObjectStore = objects.Store

// ObjectInfo is [objects.ObjectInfo]: the fields of an S3 ListObjectsV2
// entry that ItemReader passes to Map iterations.
type ObjectInfo = objects.ObjectInfo

// Store persists engine state so that Standard executions survive a crash
// of the process. The engine owns the key layout and value encoding; a
// Store is an ordered byte-oriented key/value store. Implementations must
// be safe for concurrent use and should group concurrent Commits into one
// durable write (group commit): the engine calls Commit at every state
// transition of every running execution.
type Store interface {
	// Commit applies b atomically. When it returns nil the writes are
	// durable (they survive kill -9 of the process).
	Commit(ctx context.Context, b *Batch) error
	// Get returns the value stored at key, or ok == false.
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)
	// Scan calls fn for every key with the given prefix, in ascending key
	// order, until fn returns an error (which Scan returns).
	Scan(ctx context.Context, prefix string, fn func(key string, value []byte) error) error
	// Close releases the store.
	Close() error
}

// Batch is a set of writes that a Store applies atomically.
type Batch struct {
	Puts    []KV
	Deletes []string
}

// KV is one key/value write.
type KV struct {
	Key   string
	Value []byte
}

// Put adds a write to the batch.
func (b *Batch) Put(key string, value []byte) { b.Puts = append(b.Puts, KV{Key: key, Value: value}) }

// Delete adds a deletion to the batch.
func (b *Batch) Delete(key string) { b.Deletes = append(b.Deletes, key) }

// Len reports how many writes the batch holds.
func (b *Batch) Len() int { return len(b.Puts) + len(b.Deletes) }
