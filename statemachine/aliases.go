// The interpreter's types that are part of this package's API. They are
// defined in internal/interp, which runs executions; these aliases keep
// them where the API's users look for them.

package statemachine

import "github.com/stepwise-dev/stepwise/statemachine/internal/interp"

// Machine is a parsed, validated state machine definition. It is
// immutable and safe for concurrent use.
type Machine = interp.Machine

// StateInfo describes one state for tools that draw or walk a machine.
type StateInfo = interp.StateInfo

// Clock is the engine's only source of time. Wait states, Retry back-off,
// TimeoutSeconds and HeartbeatSeconds all go through it, so tests can use
// a virtual clock and never sleep.
type Clock = interp.Clock

// LambdaInvoker invokes a Lambda function the way the Lambda Invoke API
// does (InvocationType RequestResponse); see [interp.LambdaInvoker].
type LambdaInvoker = interp.LambdaInvoker

// LambdaResult is the response of one Lambda invocation.
type LambdaResult = interp.LambdaResult

// TaskError is a failure with a Step Functions error name and cause. Task
// implementations return it to fail a task with a specific name that
// Retry and Catch can match.
type TaskError = interp.TaskError

// ServiceInvoker runs Task states whose Resource is a service integration
// other than Lambda and Step Functions (which the engine handles itself).
type ServiceInvoker = interp.ServiceInvoker

// ServiceRequest describes one service-integration task invocation.
type ServiceRequest = interp.ServiceRequest

// HTTPTrace is an HTTP Task's raw exchange, which an invoker reports to
// [ServiceRequest].Trace for TestState at inspection level TRACE.
type HTTPTrace = interp.HTTPTrace

// HTTPTraceRequest is the request of an [HTTPTrace].
type HTTPTraceRequest = interp.HTTPTraceRequest

// HTTPTraceResponse is the response of an [HTTPTrace].
type HTTPTraceResponse = interp.HTTPTraceResponse

// IntegrationPattern is how a Task waits for its service.
type IntegrationPattern = interp.IntegrationPattern

// The integration patterns.
const (
	RequestResponse  = interp.RequestResponse
	RunJob           = interp.RunJob
	WaitForTaskToken = interp.WaitForTaskToken
)

// ObjectStore is the object store a Distributed Map's ItemReader and
// ResultWriter use: [objects.Store].
type ObjectStore = interp.ObjectStore

// ObjectInfo is [objects.ObjectInfo]: the fields of an S3 ListObjectsV2
// entry that ItemReader passes to Map iterations.
type ObjectInfo = interp.ObjectInfo

// JSONText is a JSON document kept as text; see [interp.JSONText].
type JSONText = interp.JSONText

// History events, in the shapes of GetExecutionHistory.
type (
	HistoryEvent                        = interp.HistoryEvent
	HistoryEventDetails                 = interp.HistoryEventDetails
	OutputEventDetails                  = interp.OutputEventDetails
	FailureEventDetails                 = interp.FailureEventDetails
	StateEnteredEventDetails            = interp.StateEnteredEventDetails
	StateExitedEventDetails             = interp.StateExitedEventDetails
	MapStateStartedEventDetails         = interp.MapStateStartedEventDetails
	MapIterationEventDetails            = interp.MapIterationEventDetails
	MapRunStartedEventDetails           = interp.MapRunStartedEventDetails
	TaskScheduledEventDetails           = interp.TaskScheduledEventDetails
	TaskEventDetails                    = interp.TaskEventDetails
	TaskOutputEventDetails              = interp.TaskOutputEventDetails
	TaskFailureEventDetails             = interp.TaskFailureEventDetails
	LambdaFunctionScheduledEventDetails = interp.LambdaFunctionScheduledEventDetails
	EvaluationFailedEventDetails        = interp.EvaluationFailedEventDetails
	ActivityScheduledEventDetails       = interp.ActivityScheduledEventDetails
	ActivityStartedEventDetails         = interp.ActivityStartedEventDetails
)

// InspectionData is what TestState reports at InspectionLevel DEBUG.
type InspectionData = interp.InspectionData

// TestStateMock answers the tested Task instead of invoking it.
type TestStateMock = interp.Mock

// TestStateMockError is a mocked task failure.
type TestStateMockError = interp.MockError

// TestStateConfiguration is TestState's stateConfiguration: the retries,
// the failed Map iterations and the ItemReader data the tested state runs
// with, and the state inside a Map or Parallel a mocked error comes from.
type TestStateConfiguration = interp.StateConfig

// InspectionErrorDetails names the Retry or Catch that handled a tested
// state's error.
type InspectionErrorDetails = interp.InspectionErrorDetails

// TestStateOutput is the answer of [Engine.TestState].
type TestStateOutput = interp.TestResult

// Parse validates definition (see [validate.Definition]) and compiles it.
// The error is an *APIError with Code "InvalidDefinition" whose message
// lists every diagnostic with its location.
func Parse(definition []byte) (*Machine, error) {
	return parse(definition, TypeStandard)
}

func parse(definition []byte, typ string) (*Machine, error) {
	m, err := interp.Parse(definition, typ)
	if err != nil {
		return nil, &APIError{Code: "InvalidDefinition", Message: err.Error()}
	}
	return m, nil
}

// marshal writes v as compact JSON without HTML escaping, as AWS does.
func marshal(v any) string { return interp.Marshal(v) }

const maxPayload = interp.MaxPayload
