package statemachine

import (
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/validate"
)

// Execution statuses.
const (
	StatusRunning        = "RUNNING"
	StatusSucceeded      = "SUCCEEDED"
	StatusFailed         = "FAILED"
	StatusTimedOut       = "TIMED_OUT"
	StatusAborted        = "ABORTED"
	StatusPendingRedrive = "PENDING_REDRIVE"
)

// State machine types.
const (
	TypeStandard = "STANDARD"
	TypeExpress  = "EXPRESS"
)

// Diagnostic is one problem found in a definition by [Engine.ValidateDefinition].
type Diagnostic = validate.Diagnostic

// CreateStateMachineInput is the request of [Engine.CreateStateMachine].
type CreateStateMachineInput struct {
	Name       string
	Definition string
	Type       string // STANDARD (default) or EXPRESS
	RoleArn    string
	// Publish also publishes version 1 (see [Engine.PublishStateMachineVersion]),
	// with VersionDescription.
	Publish            bool
	VersionDescription string
	// Tags are attached to the new machine (see [Engine.TagResource]);
	// creating an existing machine again ignores them, as AWS does.
	Tags []Tag
	// Logging and Tracing are the machine's settings; nil is logging OFF
	// and tracing disabled.
	Logging *LoggingConfiguration
	Tracing *TracingConfiguration
}

// Tag is a key-value pair attached to a state machine.
type Tag struct {
	Key, Value string
}

// LoggingConfiguration is a state machine's CloudWatch Logs setting. The
// local stack stores and returns it; it does not send logs anywhere.
type LoggingConfiguration struct {
	Level                string // ALL, ERROR, FATAL or OFF
	IncludeExecutionData bool
	// Destinations are CloudWatch Logs log group ARNs ending in ":*": nil
	// when the request had none, empty when it had an empty list (AWS
	// describes the two differently).
	Destinations []string
}

// TracingConfiguration is a state machine's X-Ray setting, stored and
// returned only.
type TracingConfiguration struct {
	Enabled bool
}

// UpdateStateMachineInput is the request of [Engine.UpdateStateMachine]; nil
// fields are left unchanged.
type UpdateStateMachineInput struct {
	StateMachineArn string
	Definition      *string
	RoleArn         *string
	Logging         *LoggingConfiguration
	Tracing         *TracingConfiguration
	// Publish also publishes a version of the updated revision.
	Publish            bool
	VersionDescription string
}

// StateMachine describes a registered state machine.
type StateMachine struct {
	Arn          string
	Name         string
	Definition   string
	Type         string
	RoleArn      string
	Status       string // ACTIVE
	CreationDate time.Time
	UpdateDate   time.Time
	RevisionID   string
	// Description is a version's description (versions only).
	Description string
	// Logging and Tracing are the machine's settings (a version keeps those
	// of the revision it snapshots). Logging.Level is "OFF" by default.
	Logging LoggingConfiguration
	Tracing TracingConfiguration
	// VersionArn is set in the results of CreateStateMachine and
	// UpdateStateMachine with Publish: the version they published.
	VersionArn string `json:"-"`
}

// StateMachineAlias is a named pointer to one or two versions of a state
// machine, with the share of executions each gets.
type StateMachineAlias struct {
	AliasArn     string
	Name         string
	Description  string
	Routing      []RoutingConfig
	CreationDate time.Time
	UpdateDate   time.Time
}

// RoutingConfig is one version of an alias and its weight (percent).
type RoutingConfig struct {
	VersionArn string
	Weight     int
}

// CreateStateMachineAliasInput is the request of
// [Engine.CreateStateMachineAlias].
type CreateStateMachineAliasInput struct {
	Name        string
	Description string
	Routing     []RoutingConfig
}

// UpdateStateMachineAliasInput is the request of
// [Engine.UpdateStateMachineAlias]; nil fields are left unchanged.
type UpdateStateMachineAliasInput struct {
	AliasArn    string
	Description *string
	Routing     []RoutingConfig
}

// StartExecutionInput is the request of [Engine.StartExecution] and
// [Engine.StartSyncExecution].
type StartExecutionInput struct {
	StateMachineArn string
	Name            string // empty: a generated UUID
	Input           string
	InputSet        bool // false: the input is "{}"
	TraceHeader     string
}

// ListExecutionsInput filters [Engine.ListExecutions].
type ListExecutionsInput struct {
	StateMachineArn string
	StatusFilter    string
	MapRunArn       string
}

// Execution describes one execution, as DescribeExecution does.
type Execution struct {
	ExecutionArn        string
	StateMachineArn     string
	Name                string
	Status              string // RUNNING SUCCEEDED FAILED TIMED_OUT ABORTED PENDING_REDRIVE
	Input               *string
	Output              *string // nil unless SUCCEEDED
	Error               *string
	Cause               *string
	StartDate           time.Time
	StopDate            *time.Time
	RedriveCount        int
	RedriveDate         *time.Time
	RedriveStatus       string // REDRIVABLE, NOT_REDRIVABLE, REDRIVABLE_BY_MAP_RUN
	RedriveStatusReason string
	MapRunArn           string
	TraceHeader         string
	// StateMachineVersionArn and StateMachineAliasArn name the version and
	// the alias the execution was started through, if any.
	StateMachineVersionArn string
	StateMachineAliasArn   string
}

// MapRunCounts holds the item or execution counters of a Map Run.
type MapRunCounts struct {
	Pending, Running, Succeeded, Failed, TimedOut, Aborted, Total int64
	ResultsWritten, FailuresNotRedrivable, PendingRedrive         int64
}

// MapRun describes a Distributed Map run, as DescribeMapRun does.
type MapRun struct {
	MapRunArn                  string
	ExecutionArn               string
	Status                     string // RUNNING SUCCEEDED FAILED ABORTED
	StartDate                  time.Time
	StopDate                   *time.Time
	MaxConcurrency             int
	ToleratedFailurePercentage float64
	ToleratedFailureCount      int64
	ItemCounts                 MapRunCounts
	ExecutionCounts            MapRunCounts
	RedriveCount               int
	RedriveDate                *time.Time
}

// UpdateMapRunInput is the request of [Engine.UpdateMapRun]; nil fields are
// left unchanged.
type UpdateMapRunInput struct {
	MapRunArn                  string
	MaxConcurrency             *int
	ToleratedFailurePercentage *float64
	ToleratedFailureCount      *int64
}

// TestStateInput is the request of [Engine.TestState] (the AWS TestState
// API); JSON documents are JSON text as on the wire.
type TestStateInput struct {
	Definition      string
	RoleArn         string
	Input           string
	InspectionLevel string
	RevealSecrets   bool
	Variables       string
	StateName       string
	Mock            *TestStateMock
	// StateConfiguration sets the situation the state runs in (retries
	// made, failed Map iterations, ItemReader data, the sub-state that
	// raised a mocked error).
	StateConfiguration TestStateConfiguration
}
