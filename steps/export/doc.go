// Package export defines the report-export request — its Go type, its
// published JSON Schema (request.schema.json) and its validation — together
// with the pieces every export step shares: the S3 key layout, the plan and
// part documents the steps pass to each other through S3, the filter
// compiler, row decoding and encoding, and the error types that the state
// machine's Retry and Catch match by name.
//
// It is not a Lambda handler and does no I/O of its own: the step packages
// (steps/plan, steps/exportpart, ...) do the reading and writing through
// [github.com/stepwise-dev/stepwise/steps/objstore].
package export
