package intrinsic

import "fmt"

// ErrorName is the AWS error name for a failed intrinsic function
// evaluation (bad argument type or value).
const ErrorName = "States.IntrinsicFailure"

// Error is a syntax error found by [Parse] or an evaluation failure from
// [Expr.Eval].
type Error struct {
	// Expr is the whole expression as written.
	Expr string
	// Offset is the byte offset in Expr of a syntax error, or of the call
	// that failed to evaluate.
	Offset int
	// Func is the function whose evaluation failed, e.g. "States.ArrayGetItem"
	// (empty for syntax errors).
	Func string
	// Message says what is wrong, without location.
	Message string

	syntax bool
	err    error
}

// Error formats the error as "intrinsic: <message> at offset N in '<expr>'"
// for syntax errors and as "<Func>: <message>" for evaluation errors (the
// form the engine puts into a States.Runtime cause).
func (e *Error) Error() string {
	if e.syntax {
		return fmt.Sprintf("intrinsic: %s at offset %d in '%s'", e.Message, e.Offset, e.Expr)
	}
	if e.Func == "" {
		return e.Message
	}
	return fmt.Sprintf("%s: %s", e.Func, e.Message)
}

// Unwrap returns the underlying error, if any: a path argument that could
// not be resolved unwraps to the [Resolver]'s error, so errors.Is(err,
// jsonpath.ErrNotFound) works.
func (e *Error) Unwrap() error { return e.err }

// Syntax reports whether the error was found by [Parse].
func (e *Error) Syntax() bool { return e.syntax }
