// Package statemachine is Stepwise's Amazon States Language engine: it parses
// and validates ASL definitions, runs executions with the data flow, error
// handling and execution history of AWS Step Functions, and holds the
// workflow definitions themselves (*.asl.json).
//
// The engine imports only the standard library and its own subpackages. It
// reaches Lambda, S3, time and durable storage through the interfaces in
// interfaces.go; the local stack (local/...) and tests implement them.
package statemachine
