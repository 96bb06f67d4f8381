// Package statemachine is Stepwise's Amazon States Language engine: it parses
// and validates ASL definitions, runs executions with the data flow, error
// handling and execution history of AWS Step Functions, and holds the
// workflow definitions themselves (*.asl.json).
//
// [Engine] is the whole service in one value: the control plane of the Step
// Functions API (CreateStateMachine, StartExecution, DescribeExecution,
// GetExecutionHistory, StopExecution, RedriveExecution, SendTask*, TestState,
// DescribeMapRun, ...) with AWS's error codes ([APIError]) and history events
// in AWS's shapes ([HistoryEvent]). Both query languages run: JSONPath
// (InputPath, Parameters, intrinsic functions, ResultSelector, ResultPath,
// OutputPath) and JSONata (Arguments, Output, Assign, $states), with workflow
// variables in either. Time comes from [Options.Clock] ([NewVirtualClock] in
// tests), chance from [Options.Rand].
//
// With [Options.Store], Standard executions are durable: every transition of
// an execution's top-level thread is one Commit, and [New] resumes RUNNING
// executions where they were (a Wait keeps its deadline, a waitForTaskToken
// task its token, other tasks run again, a Distributed Map keeps the children
// that already succeeded; a Parallel or inline Map state runs again from its
// start).
//
// Expression evaluation is bounded and cancellable: JSONata, JSONPath and
// intrinsic functions run on the execution's context, so StopExecution, the
// machine's TimeoutSeconds, [Engine.Close] and a TestState caller that goes
// away stop an evaluation in progress. A runaway JSONata expression (too
// deep, too long, or building a value too large) fails its state with
// States.QueryEvaluationError and AWS's cause texts; see interp.JSONataBudget.
//
// Layers: the interpreter (internal/interp) parses definitions and runs
// one execution, or one state for TestState, against narrow interfaces
// (interp.Env: clock, invokers, object store, and a Host for task tokens
// and nested executions) and writes history events to an interp.Run. This
// package is the control plane on top: engine.go (state machines,
// executions registry, the API), exec.go (an execution's record and
// lifecycle, the Run the interpreter writes to), versions.go, tags.go,
// teststate.go, store.go (the durable schema), registry.go (the Host,
// Run and MapRunHost implementations: task tokens, Map Run children),
// nested.go and sfnsdk.go (nested executions and aws-sdk:sfn). The
// interpreter's public types (Machine, HistoryEvent, Clock, TaskError,
// TaskInfo, ...) are aliases here (aliases.go, observer.go); events.go
// holds the events only the control plane records. Leaf packages hold what both share: arn
// (ARNs), states (States.* error names), eventtype (history event types),
// objects (the object store of ItemReader/ResultWriter), vclock (the
// virtual clock).
//
// The engine imports only the standard library and its own subpackages
// (TestEngineImportsOnlyStdlib). It reaches Lambda, S3 and time through
// the interfaces of internal/interp/interfaces.go (aliased here) and
// durable storage through [Store]; the local stack (local/...) and tests
// implement them. It is not an HTTP server and not an AWS client.
package statemachine
