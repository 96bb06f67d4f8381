// Package interp is the Amazon States Language interpreter: it parses and
// compiles a definition ([Parse], machine.go) and runs one execution of it
// ([Execute]) or one state alone ([TestState]), with the data flow, error
// handling and history events of AWS Step Functions.
//
// It knows nothing of the Step Functions API. Everything outside the run
// comes through [Env]: the clock, the Lambda and service invokers, the
// object store of ItemReader/ResultWriter, and a [Host] (task tokens,
// nested executions). The run writes its history and checkpoints to a
// [Run] and opens Distributed Map runs through it ([MapRunHost]). Package
// statemachine, the control plane, implements Host, Run and MapRunHost;
// TestInterpreterImportsNoControlPlane keeps this package from importing
// it.
//
// Files, in the order a state visit goes through them: machine.go
// (compiled states: what every state has, and one struct per state
// type), interp.go (the state loop, Catch, and execStep: one dispatch
// over state types for both query languages, which differ only in their
// flow), dataflow.go (the JSONPath flow: InputPath, Parameters,
// ResultSelector, ResultPath, OutputPath; the context object), jsonata.go
// (the JSONata flow: Arguments, Output, Assign), choice.go, wait.go,
// task.go and tokens.go (Task states, timeouts, heartbeats, task tokens),
// retry.go (Retry/Catch), parallel.go, map.go (inline Map), maprun.go and
// distributed.go (Distributed Map, ItemReader, ItemBatcher,
// ResultWriter), inspect.go (TestState), observer.go (TaskInfo for
// invokers), history.go (event shapes), jsontext.go (JSON text kept as
// text), env.go (the boundary).
package interp
