package interp

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
	// Trace is set when TestState runs the task at inspection level TRACE:
	// an invoker that speaks HTTP for the task (the HTTP Task,
	// arn:aws:states:::http:invoke) calls it with the raw request and
	// response, which TestState returns as inspectionData.request and
	// .response. Nil otherwise.
	Trace func(HTTPTrace)
	// RevealSecrets says whether Trace may show what a connection added
	// to the request (its headers, query parameters and body members),
	// TestState's revealSecrets. What the state itself gave and the whole
	// response are always shown.
	RevealSecrets bool
}

// HTTPTrace is one HTTP exchange as TestState's inspectionData shows it
// at inspection level TRACE. Every member is text, as in the API.
type HTTPTrace struct {
	Request HTTPTraceRequest
	// Response is nil when no answer came (a refused connection, a
	// timeout).
	Response *HTTPTraceResponse
}

// HTTPTraceRequest is the request of an [HTTPTrace] (the API's
// InspectionDataRequest).
type HTTPTraceRequest struct {
	Protocol, Method, URL, Headers, Body string
}

// HTTPTraceResponse is the response of an [HTTPTrace] (the API's
// InspectionDataResponse).
type HTTPTraceResponse struct {
	Protocol, StatusCode, StatusMessage, Headers, Body string
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
