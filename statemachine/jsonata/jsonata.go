// Package jsonata is a JSONata 2.0.6 evaluator written for Stepwise's
// Amazon States Language engine, with the AWS Step Functions dialect
// ([StepFunctions]: $partition, $range, $hash, $random, $uuid, $parse, no
// $eval).
//
// Compile parses an expression once; the resulting [Expr] is immutable and
// safe to reuse from many goroutines. Eval takes and returns plain
// encoding/json values (map[string]any, []any, float64, string, bool, nil);
// internally objects keep insertion order, and undefined (no result,
// reported as [ErrUndefined]) is distinct from JSON null.
//
// Conformance is measured by TestSuite over the JSONata 2.0.6 test suite
// (../shared/jsonata/test-suite; STEPWISE_JSONATA_SUITE and
// STEPWISE_JSONATA_REPORT select the suite and a JSON report), by
// TestDifferential against jsonata-js through ../shared/jsonata/oracle
// (STEPWISE_JSONATA_ORACLE), and by FuzzCompile. BenchmarkEval and
// BenchmarkVersusJSONataJS measure compile-once/evaluate-many speed.
//
// The package is not the engine integration ($states, Assign, the
// States.QueryEvaluationError mapping live in package statemachine), and it
// does not format picture strings itself: that is package
// [github.com/stepwise-dev/stepwise/statemachine/jsonata/picture].
package jsonata

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrUndefined is returned by [Expr.Eval] when the expression produces no
// value (JSONata's undefined), which differs from a JSON null result.
var ErrUndefined = errors.New("jsonata: result is undefined")

// ErrFunctionResult is returned by [Expr.Eval] when the expression produces
// a function, which has no JSON form. It matches [ErrUndefined] too, as
// JSON.stringify drops functions; Step Functions reports it as an
// unsupported result type instead.
var ErrFunctionResult = fmt.Errorf("%w: it is a function", ErrUndefined)

// Error is a JSONata syntax or evaluation error. Code is JSONata's error
// code (S0xxx syntax, T0xxx/T1xxx/T2xxx type, D1xxx-D3xxx dynamic, U1001
// limits); Position is the character offset in the expression where it was
// detected; Token and Value name the offending token and value when known.
type Error struct {
	Code string
	// limit marks an error that a bound of evaluation raised.
	limit    bool
	Position int
	Token    string
	Value    any
	Message  string
	// FunctionName names the built-in function that raised the error, for
	// the few errors where JSONata reports it ($encodeUrl...).
	FunctionName string
}

// Error returns Code + ": " + Message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is reports whether the error is a limit error and target is [ErrLimit].
func (e *Error) Is(target error) bool { return target == ErrLimit && e.limit }

// Option configures [Compile].
type Option func(*config)

type config struct {
	sfn      bool
	funcs    map[string]*function
	maxDepth int
	timeout  time.Duration
	budget   Budget
}

// StepFunctions selects the AWS Step Functions dialect: it adds
// $partition, $range (inclusive end), $hash, $random([seed]), $uuid and
// $parse, and removes $eval.
func StepFunctions() Option { return func(c *config) { c.sfn = true } }

// WithLimits aborts evaluation with error U1001 when expression evaluation
// nests deeper than depth or runs longer than timeout (0: no limit), as the
// upstream test runner's guard does. Without it nesting is still capped at
// 20000 levels; infinite tail recursion is only stopped by a timeout.
func WithLimits(depth int, timeout time.Duration) Option {
	return func(c *config) { c.maxDepth = depth; c.timeout = timeout }
}

// Budget bounds the work and memory of one evaluation, so that a runaway
// expression fails with an error wrapping [ErrLimit] instead of spinning
// or exhausting memory. A zero field means no bound of that kind.
type Budget struct {
	// MaxDepth bounds expression nesting, as [WithLimits] does: past it
	// evaluation fails with U1001 "Stack overflow error: ...".
	MaxDepth int
	// MaxSteps bounds the number of expression evaluation steps (one per
	// node evaluated, and one per item for the few built-ins that loop
	// without evaluating, such as $distinct). Past it evaluation fails with
	// U1001 "Expression evaluation timeout: Check for infinite loop". It is
	// a deterministic stand-in for a time limit: the same expression and
	// input always stop at the same point.
	MaxSteps int64
	// MaxValueBytes bounds the size of any one string (in bytes) or array
	// (8 bytes an item) that evaluation builds. Past it evaluation fails
	// with U1001 "Expression evaluation memory limit exceeded: Check for
	// excessive memory usage". Oversized results are refused before they
	// are allocated where the size is known in advance ($pad, the range
	// operator, &).
	MaxValueBytes int64
}

// WithBudget bounds every evaluation of the expression by b.
func WithBudget(b Budget) Option { return func(c *config) { c.budget = b } }

// ErrLimit is matched (errors.Is) by the *[Error] an evaluation fails with
// when it passes a bound of [Budget] or [WithLimits]: too deep, too many
// steps (or too long), or a value too large.
var ErrLimit = errors.New("jsonata: evaluation limit exceeded")

// WithFunction binds a Go function as $name. fn receives the evaluated
// arguments as plain JSON values (undefined arguments are nil) and returns
// a plain JSON value; returning [ErrUndefined] as the error yields
// undefined.
func WithFunction(name string, fn func(args []any) (any, error)) Option {
	return func(c *config) {
		if c.funcs == nil {
			c.funcs = map[string]*function{}
		}
		c.funcs[name] = goFunction(name, fn)
	}
}

// Expr is a compiled JSONata expression. It is immutable and safe to
// reuse from goroutines.
type Expr struct {
	src  string
	root *node
	cfg  config
}

// Compile parses expr. Syntax errors are returned as *[Error] with an
// S0xxx code.
func Compile(expr string, opts ...Option) (*Expr, error) {
	e := &Expr{src: expr}
	for _, o := range opts {
		o(&e.cfg)
	}
	root, err := parse(expr)
	if err != nil {
		return nil, err
	}
	e.root = root
	return e, nil
}

// String returns the source text of the expression.
func (e *Expr) String() string { return e.src }

// Eval evaluates the expression against input (nil means JSON null; use
// [Undefined] for no input) with vars bound as $name. It returns
// [ErrUndefined] when the result is undefined and *[Error] on evaluation
// errors.
func (e *Expr) Eval(input any, vars map[string]any) (result any, err error) {
	return e.EvalContext(context.Background(), input, vars)
}

// EvalContext is [Expr.Eval] that stops when ctx is done: evaluation checks
// ctx every few thousand steps and returns an error wrapping
// context.Cause(ctx), so errors.Is(err, context.Canceled) or
// context.DeadlineExceeded tell a stopped evaluation from a failed one.
func (e *Expr) EvalContext(ctx context.Context, input any, vars map[string]any) (result any, err error) {
	defer func() {
		// An evaluator bug must fail the one evaluation, not the process.
		if r := recover(); r != nil {
			result, err = nil, &Error{Code: "U1002", Message: fmt.Sprintf("internal error evaluating %q: %v", e.src, r)}
		}
	}()
	v, err := e.eval(ctx, input, vars)
	if err != nil {
		var je *Error
		if errors.As(err, &je) {
			je.fillToken()
			if je.Value != nil {
				je.Value = export(je.Value)
			}
		}
		return nil, err
	}
	if v == nil {
		return nil, ErrUndefined
	}
	if isFunc(v) {
		return nil, ErrFunctionResult
	}
	return export(v), nil
}

// Undefined is an input value meaning "no input document": paths evaluate
// to undefined, unlike with a JSON null input.
var Undefined any = undefinedInput{}

type undefinedInput struct{}

// DecodeJSON parses one JSON document into a value for [Expr.Eval]'s input
// or vars in which objects keep the document's key order, so that $keys,
// $string, $each and wildcards see keys as jsonata-js does. (Plain
// map[string]any inputs are iterated in sorted key order instead.) Object
// values it returns are opaque; use them only as Eval inputs.
func DecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = fmt.Errorf("unexpected data after the JSON value at offset %d", dec.InputOffset())
		}
	}
	if err != nil {
		return nil, fmt.Errorf("jsonata: decode JSON: %w", err)
	}
	if v == null {
		return nil, nil
	}
	return v, nil
}
