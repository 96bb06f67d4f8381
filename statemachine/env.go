// What the interpreter may use from outside itself. A runner holds an
// *env and a run; it never sees the Engine, its locks or its maps. The
// control plane implements host (the Engine), run (an execution) and
// mapRunHost (a Map Run).

package statemachine

import (
	"context"

	"github.com/stepwise-dev/stepwise/statemachine/itemio"
)

// env is the outside world of the interpreter: the interfaces the Engine
// was configured with, and the control plane behind host.
type env struct {
	clock    Clock
	rand     func() float64 // retry jitter, intrinsic States.MathRandom
	newUUID  func() string
	region   string
	lambda   LambdaInvoker  // nil fails Lambda tasks
	services ServiceInvoker // nil fails other service integrations
	objects  ObjectStore    // ItemReader/ResultWriter; may be nil
	// durable reports that top-level positions are checkpointed (the
	// host has a Store).
	durable bool
	// stopping is done when the host shuts down: a run then stops where
	// it is and leaves its execution RUNNING for a later resume.
	stopping context.Context
	host     host
}

// closing reports whether the host is shutting down.
func (v *env) closing() bool { return v.stopping.Err() != nil }

// host is the control plane as the interpreter sees it.
type host interface {
	// registerToken makes token answerable by SendTask* until release.
	registerToken(token string, w *taskWait) (release func())
	// stepFunctions runs a states:startExecution(.sync) task or an
	// aws-sdk:sfn action against the control plane. submit receives the
	// StartExecution result of a .sync call once the child started.
	stepFunctions(ctx context.Context, c sfnCall) (any, *failure)
}

// sfnCall is one Step Functions API call made by a Task state.
type sfnCall struct {
	sdk     bool // an aws-sdk:sfn action (else the optimized states:startExecution)
	pattern IntegrationPattern
	action  string
	params  map[string]any
	submit  func(started any)
}

// run is one execution as the interpreter writes to it: its history,
// its checkpoints and its context object. *execution implements it.
type run interface {
	// addEvent appends a history event and returns its id.
	addEvent(typ string, prev int64, details any) int64
	lastEventID() int64
	// overflowed reports that the history reached its event limit.
	overflowed() bool
	// checkpoint records the top-level position p (nil: only events).
	checkpoint(p *progress)
	// contextObject returns the Execution and StateMachine members of
	// the context object ($$), which do not change during a run.
	contextObject() (execution, stateMachine map[string]any)
	// openMapRun registers a Distributed Map's Map Run.
	openMapRun(spec mapRunSpec) mapRunHost
}

// mapRunSpec describes a Map Run about to start.
type mapRunSpec struct {
	label     string // the Map state's Label, or its name
	runID     string // a resumed run passes the id it had
	resumed   bool
	maxConc   int64
	tolerance failureTolerance
	total     int
	childType string // STANDARD or EXPRESS
	processor *Machine
}

// mapRunHost is a Map Run in the control plane: its child executions
// and counts.
type mapRunHost interface {
	arn() string
	// child returns the run of item i's child execution. A child that
	// succeeded before a crash is not run again: done is true and out is
	// its output.
	child(i int, name string, input any) (c run, out any, done bool)
	// endChild records how c ended: aborted (the parent stopped), failed
	// with f, or succeeded with out; prev is its last event.
	endChild(c run, out any, f *failure, aborted bool, prev int64)
	// close records the run's end.
	close(failed bool)
	// results are the children's outcomes for the ResultWriter.
	results() []itemio.Result
}
