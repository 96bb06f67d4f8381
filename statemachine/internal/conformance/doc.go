// Package conformance replays the Step Functions conformance corpus
// (shared/conformance: executions recorded against real AWS) against an
// engine and explains every difference.
//
// It loads case files ([Load]), turns the placeholders the corpus uses into
// real names and back ([Names]), normalises engine results into the corpus's
// snapshot form exactly as the recording tool did ([Normalise]), compares
// them with the recorded values ([Compare]), emulates the corpus's trivial
// Python Lambda handlers ([Lambdas]) and aggregates a [Report].
//
// The package does not import the engine: the test in package statemachine
// drives the engine through the [Driver] interface, so this package's own
// tests run even while the engine is mid-edit. It is not a general snapshot
// library: it implements only the transformations the corpus needs.
package conformance
