package jsonpath

import (
	"errors"
	"fmt"
)

// ErrNotFound matches (with errors.Is) every [*Error] that means "the path
// selects nothing in this document": a missing property, an index out of
// range, a step into a value of the wrong type on a definite path.
var ErrNotFound = errors.New("jsonpath: no results")

// ErrSet matches (with errors.Is) every [*Error] returned by [Path.Set] when
// the value cannot be placed (AWS States.ResultPathMatchFailure).
var ErrSet = errors.New("jsonpath: cannot set")

// ErrLimit matches (with errors.Is) the [*Error] of a [Path.GetContext]
// that passed [MaxSteps] or was stopped.
var ErrLimit = errors.New("jsonpath: evaluation limit exceeded")

// Error is a JSONPath syntax or evaluation error.
type Error struct {
	// Path is the path as written.
	Path string
	// Offset is the byte offset in Path of a syntax error, or -1 for
	// evaluation errors.
	Offset int
	// Reason is the bare message. For evaluation failures it is Jayway's
	// wording, e.g. "No results for path: $['a']" or "Missing property in
	// path $['no']", which AWS quotes after "Invalid path '<path>' : ".
	Reason string

	kind errKind
}

type errKind int

const (
	kindSyntax errKind = iota
	kindNotFound
	kindSet
	kindLimit
)

// Error formats a syntax error as "jsonpath: <reason> at offset N in '<path>'"
// and an evaluation error exactly as AWS words it in States.Runtime causes:
// "Invalid path '<path>' : <reason>".
func (e *Error) Error() string {
	if e.kind == kindSyntax {
		return fmt.Sprintf("jsonpath: %s at offset %d in '%s'", e.Reason, e.Offset, e.Path)
	}
	return fmt.Sprintf("Invalid path '%s' : %s", e.Path, e.Reason)
}

// Is reports whether target is [ErrNotFound] (for "no results" errors) or
// [ErrSet] (for [Path.Set] failures).
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.kind == kindNotFound
	case ErrSet:
		return e.kind == kindSet
	case ErrLimit:
		return e.kind == kindLimit
	}
	return false
}

// Syntax reports whether the error is a compile-time syntax error.
func (e *Error) Syntax() bool { return e.kind == kindSyntax }
