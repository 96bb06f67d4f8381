// Package lambdalocal runs Go Lambda functions on this machine, without
// Docker, behind the engine's [statemachine.LambdaInvoker] interface.
//
// A [Runtime] serves each function in one of two modes:
//
//   - In-process: the step's plain aws-lambda-go handler func is called
//     through lambda.NewHandler(fn).Invoke, exactly the JSON encoding
//     production uses, with a real [lambdacontext.LambdaContext] (request id,
//     invoked function ARN) in the context and a deadline from the
//     function's configured timeout.
//   - Process mode: the real `bootstrap` binary that is deployed to AWS runs
//     as child processes against this package's implementation of the Lambda
//     Runtime API (2018-06-01) on 127.0.0.1. Warm instances are reused; new
//     ones start on demand for concurrent invocations, up to the function's
//     concurrency limit. A timeout kills the instance; instances idle for
//     [Options].IdleTimeout are stopped.
//
// Each instance's Runtime API answers only its own bootstrap process. Any
// local process can find the listening ports, so a port alone must not be
// enough to take an invocation (and read its payload) or to post a forged
// result. Every instance gets its own 256-bit random secret, and its
// bootstrap gets AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port>/<secret>: the
// unmodified aws-lambda-go client builds every URL as "http://" +
// AWS_LAMBDA_RUNTIME_API + "/2018-06-01/runtime/...", so it sends the secret
// as the first path segment without knowing it, and a request without it
// gets 403 and touches nothing. The secret is only in the child's
// environment, which the kernel shows (/proc/<pid>/environ) to the same user
// and root only, never on a command line or in a log. This is a
// same-user trust boundary, as for the stack's data directory: a process
// running as the same user could read the environment, or the stack's
// memory, anyway. A runtime that builds its URLs differently (not
// "http://" + the variable + path) will not work in process mode.
//
// Failures are reported as the Lambda Invoke API reports them: a handler
// error or panic is a function error (FunctionError "Unhandled", payload
// {"errorMessage","errorType","stackTrace"} with errorType the Go type name
// without the pointer, as aws-lambda-go computes it); a timeout is
// "Sandbox.Timedout" ("Task timed out after N.NN seconds"); a process that
// exits is "Runtime.ExitError"; a failed init is the runtime's init error
// document or "Runtime.InitError". An unknown function is a Go error,
// *statemachine.TaskError "Lambda.ResourceNotFoundException".
//
// Function names, memory and timeouts come from steps/steps.json, the file
// Terraform reads too ([LoadSteps], [FunctionsFromSteps]).
//
// Differences from AWS that matter for step authors:
//
//   - In-process, concurrent invocations of a function run in one process
//     and share its package-level state (caches, globals, clients). On AWS
//     one execution environment serves one invocation at a time. Steps must
//     therefore be safe for concurrent use; run their tests with -race.
//     Process mode has AWS's isolation.
//   - In-process, the lambdacontext package variables (FunctionName,
//     MemoryLimitInMB, ...) are not set, because several functions share the
//     process; use lambdacontext.FromContext. Process mode sets the
//     environment variables Lambda sets, so they are filled as on AWS.
//   - In-process, a timed-out handler cannot be killed: the invocation fails
//     with Sandbox.Timedout at the deadline, its context is cancelled, and
//     its concurrency slot is held until the handler returns.
//   - Invocations beyond a function's concurrency limit wait for a free slot
//     instead of failing with TooManyRequestsException.
//
// This package is not a Lambda service emulator: there is no Invoke HTTP
// API, no versions or aliases (only $LATEST), no layers and no memory limit
// enforcement.
package lambdalocal
