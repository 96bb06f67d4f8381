package jsonata

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// omega never terminates: a tail call that calls itself for ever, so the
// depth never grows and only a step budget or a cancelled context ends it.
const omega = `(function($f){$f($f)})(function($f){$f($f)})`

// evalBounded runs e.EvalContext in a goroutine and fails the test, instead
// of hanging it, when the evaluation has not returned after a generous
// while. It measures nothing: it only turns a hang into a failure.
func evalBounded(t *testing.T, ctx context.Context, e *Expr, input any) (any, error) {
	t.Helper()
	type res struct {
		v   any
		err error
	}
	done := make(chan res, 1)
	go func() {
		v, err := e.EvalContext(ctx, input, nil)
		done <- res{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s: evaluation did not stop", e.String())
		return nil, nil
	}
}

// TestEvalContextCancel cancels the context from inside the evaluation
// (a Go function the expression calls first), so the runaway part starts
// with a context already done: it must stop with the context's cause.
func TestEvalContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	stop := errors.New("client went away")
	e, err := Compile(`($cancel(); `+omega+`)`, StepFunctions(), WithFunction("cancel", func([]any) (any, error) {
		cancel(stop)
		return nil, ErrUndefined
	}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = evalBounded(t, ctx, e, nil)
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want one wrapping %v", err, stop)
	}
	if errors.Is(err, ErrLimit) {
		t.Errorf("a cancelled evaluation is not a limit error: %v", err)
	}
}

// countdownCtx is a context whose Err turns to Canceled after n calls: it
// cancels an evaluation part-way through without goroutines or clocks.
type countdownCtx struct {
	context.Context
	n int
}

func (c *countdownCtx) Err() error {
	if c.n <= 0 {
		return context.Canceled
	}
	c.n--
	return nil
}

// TestEvalContextStopsLoops cancels evaluations of expressions that loop
// in different places: tail calls, non-tail recursion inside $map, $reduce
// over a range, a built-in ($distinct) that loops without evaluating, a
// string doubled until it is huge.
func TestEvalContextStopsLoops(t *testing.T) {
	for _, expr := range []string{
		omega,
		`($f := function($x){ $f($x + 1) }; $f(0))`,
		`($f := function($n){ [1..1000] ~> $map(function($v){ $f($n) }) }; $f(0))`,
		`$reduce([1..200000], function($a, $b){ $a + $b })`,
		`$distinct([1..200000])`,
		`($p := function($s){ $p($s & $s) }; $p("x"))`,
	} {
		t.Run(expr, func(t *testing.T) {
			e, err := Compile(expr, StepFunctions(), WithBudget(Budget{MaxValueBytes: 1 << 30}))
			if err != nil {
				t.Fatal(err)
			}
			// The first check is at the start; a few more let the
			// evaluation get well into its loop.
			ctx := &countdownCtx{Context: context.Background(), n: 3}
			_, err = evalBounded(t, ctx, e, nil)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want one wrapping context.Canceled", err)
			}
		})
	}
}

// TestBudget checks each bound: the error, its message (the texts AWS Step
// Functions reports in States.QueryEvaluationError causes) and that an
// expression just inside the bound still evaluates.
func TestBudget(t *testing.T) {
	sum := func(n int) string { return strings.TrimSuffix(strings.Repeat("1+", n), "+") }
	b := Budget{MaxDepth: 100, MaxSteps: 200_000, MaxValueBytes: 873782 * 8}
	for _, c := range []struct {
		expr string
		msg  string // "" when it must evaluate
	}{
		{omega, msgTimeout},
		{`($f := function($x){ $f($x + 1) }; $f(0))`, msgTimeout},
		{`$reduce([1..100000], function($a, $b){ $a + $b })`, msgTimeout},
		{`$reduce([1..1000], function($a, $b){ $a + $b })`, ""},
		{sum(200), msgStackOverflow},
		{sum(90), ""},
		{`($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(1000))`, msgStackOverflow},
		{`[1..873782] ~> $count()`, ""}, // the largest range AWS accepts
		{`[1..873783] ~> $count()`, msgMemory},
		{`$sum([1..900000])`, msgMemory},
		{`[1..10000000]`, msgMemory},
		{`$range(0, 10000000)`, msgMemory},
		{`$reduce([1..10000000], function($a, $b){ $a & "x" }, "")`, msgMemory},
		{`$reduce([1..100], function($a, $b){ $a & $a }, "x")`, msgMemory},
		{`($p := function($s, $n) { $n = 0 ? $s : $p($s & $s, $n - 1) }; $length($p("x", 22)))`, ""},
		{`($p := function($s, $n) { $n = 0 ? $s : $p($s & $s, $n - 1) }; $length($p("x", 23)))`, msgMemory},
		{`$pad("x", 1e15)`, msgMemory},
		{`$pad("x", -100000000, "ab")`, msgMemory},
		{`$length($pad("x", 1000))`, ""},
		{`$replace($pad("", 100000, "a"), "a", $pad("", 1000, "b"))`, msgMemory},
		{`$join([1..10000].$pad("", 1000, "c"))`, msgMemory},
		{`[1..1000].[1..1000]`, msgMemory},
		{`$count([1..1000].[1..100])`, ""},
		{`[[1..500000], [1..500000]]`, msgMemory},
		{`$append([1..500000], [1..500000])`, msgMemory},
		{`$string([$pad("", 4000000, "a"), $pad("", 4000000, "a")])`, msgMemory},
		{`$split($pad("", 1000000, ","), ",")`, msgMemory},
	} {
		t.Run(c.expr, func(t *testing.T) {
			e, err := Compile(c.expr, StepFunctions(), WithBudget(b))
			if err != nil {
				t.Fatal(err)
			}
			_, err = evalBounded(t, context.Background(), e, nil)
			if c.msg == "" {
				if err != nil {
					t.Fatalf("err = %v, want a result", err)
				}
				return
			}
			var je *Error
			if !errors.As(err, &je) || je.Code != "U1001" || je.Message != c.msg || !errors.Is(err, ErrLimit) {
				t.Fatalf("err = %#v, want U1001 %q matching ErrLimit", err, c.msg)
			}
		})
	}
}

// TestBudgetUnset: without a budget the same expressions keep jsonata-js's
// own limits (the range operator's 1e7, the 20000-level nesting cap).
func TestBudgetUnset(t *testing.T) {
	e, err := Compile(`[1..873783] ~> $count()`, StepFunctions())
	if err != nil {
		t.Fatal(err)
	}
	if v, err := e.Eval(nil, nil); err != nil || v != 873783.0 {
		t.Fatalf("got %v, %v; want 873783", v, err)
	}
}
