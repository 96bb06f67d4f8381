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
// States.QueryEvaluationError and AWS's cause texts; see jsonataBudget.
//
// Files: the interpreter runs one execution (interp.go, and by topic
// dataflow.go, choice.go, task.go, tokens.go, retry.go, wait.go, map.go,
// maprun.go, parallel.go, nested.go); it reaches the control plane's
// registries only through registry.go. The control plane is engine.go,
// versions.go, teststate.go and store.go. Leaf packages hold what both
// share: arn (ARNs), states (States.* error names), eventtype (history
// event types), objects (the object store of ItemReader/ResultWriter),
// vclock (the virtual clock).
//
// The engine imports only the standard library and its own subpackages
// (TestEngineImportsOnlyStdlib). It
// reaches Lambda, S3, time and durable storage through the interfaces in
// interfaces.go; the local stack (local/...) and tests implement them. It is
// not an HTTP server and not an AWS client.
package statemachine
