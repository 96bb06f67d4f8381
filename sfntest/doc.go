// Package sfntest tests a state machine in `go test`, the way
// net/http/httptest tests an HTTP handler: load an Amazon States Language
// file, give its Lambda steps real Go handlers or mocked responses, run
// executions on a virtual clock, and inspect what happened.
//
//	w, err := sfntest.Load("order.asl.json",
//		sfntest.Handler("price", price),                        // ${PriceFunctionArn}
//		sfntest.Mock("Charge", sfntest.Throw("Declined", "card declined")),
//		sfntest.OnToken("Approve", sfntest.Succeed(map[string]string{"by": "ann"})))
//	r := w.Test(t, `{"total":12}`)
//	r.ExpectFailed(t, "OrderRejected").ExpectPath(t, "Price", "Charge", "Rejected")
//
// What it does:
//
//   - Placeholders are filled as the deployment fills them: ${XFunctionArn}
//     becomes the ARN of function "x" (lower-cased, as steps.json names
//     steps; [Steps] reads a steps.json for other names and timeouts),
//     ${BucketName} becomes [DefaultBucket]; [Vars] sets any other.
//   - [Handler] runs a typed Go func through aws-lambda-go's
//     lambda.NewHandler, via the local Lambda runtime (local/lambda), so
//     error types become the errorType names Retry and Catch match, and a
//     panic fails the task as on AWS (and is reported as a problem).
//     [Mock] answers a Task state by name with a sequence of [Return] and
//     [Throw]; [Service] implements other service integrations in Go.
//   - Every execution runs on its own engine and virtual clock that jumps
//     to the next timer when nothing else can happen: a 7-day Wait or an
//     hour of Retry back-off takes no real time, while TimeoutSeconds and
//     HeartbeatSeconds still fire in order. [Result].Elapsed is the
//     virtual time the execution took.
//   - Task tokens: [OnToken] answers a .waitForTaskToken state as soon as
//     it asks; or start with [Workflow.Start], take the token with
//     [Execution.Token] and answer it (Succeed, Fail, Heartbeat) — the
//     clock stands still meanwhile — or [Token.Release] it to let it time
//     out.
//   - Distributed Map ItemReader and ResultWriter use an in-memory S3
//     filled with [Object].
//   - A [Result] has the status, output, error and cause, the top-level
//     path, every state visit with its input, output and error (in
//     Parallel branches, Map iterations and Distributed Map children, see
//     [StateRun].Scope), and the full history in AWS's shape.
//     ExpectOutput prints a line diff of the JSON and the path taken.
//   - Mistakes never hang a test: a token nothing answers, a function
//     without a handler, a handler that panics and a mock of a state the
//     machine does not have are reported naming the state; executions are
//     bounded by the test's context ([Context] stops a little before the
//     test binary's -timeout).
//
// AWS Step Functions Local's mock config files run unchanged:
// [LoadMockConfig] reads one and [Workflow.TestCase] runs a test case, its
// mocked states answering from MockedResponses (invocation ranges such as
// "0" and "1-2" count the state's invocations in the execution, retries
// and Map iterations included) and every other Task calling its Go
// handler, like Step Functions Local's hybrid mode. Errors name the file
// and the JSON pointer.
//
// Coverage: every run counts the states entered, the Choice rules taken
// (each rule and Default), the retriers and catchers that fired and the
// Parallel branches and Map iterations that ran, per workflow. Call [Main]
// from TestMain and set STEPWISE_COVER=1 to print a table after the tests
// (go test -v; without -v, go test hides a passing package's output),
// STEPWISE_COVER_JSON=<file> for a JSON report and
// STEPWISE_COVER_SVG=<dir> for drawings of each workflow with the
// uncovered parts marked.
//
// The harness needs no file of the Stepwise repository at run time; it
// works from any module that requires github.com/stepwise-dev/stepwise.
// It is not a Step Functions emulator for other processes: for that, run
// the local stack (`runner up`).
package sfntest
