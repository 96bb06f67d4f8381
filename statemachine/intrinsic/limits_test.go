package intrinsic

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/internal/jsonvalue"
	"github.com/stepwise-dev/stepwise/statemachine/jsonpath"
)

// evalBounded evaluates expr against input and fails the test, instead of
// running for minutes, when it has not returned after a generous while.
func evalBounded(t *testing.T, expr string, input any) (any, error) {
	t.Helper()
	e, err := Parse(expr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	type res struct {
		v   any
		err error
	}
	done := make(chan res, 1)
	go func() {
		v, err := e.Eval(jsonpath.Docs{Input: input}, nil)
		done <- res{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		t.Fatalf("%s did not return within a minute", expr)
		return nil, nil
	}
}

// TestRunawayIntrinsics: intrinsics over inputs as large as a payload can
// be stay linear, and those that could multiply their input into
// gigabytes fail with States.IntrinsicFailure instead.
func TestRunawayIntrinsics(t *testing.T) {
	// 200,000 distinct numbers: the quadratic ArrayUnique took about 2e10
	// comparisons.
	nums := make([]any, 200_000)
	for i := range nums {
		nums[i] = float64(i)
	}
	nums = append(nums, 0.0, math.Copysign(0, -1), 5.0)
	v, err := evalBounded(t, `States.ArrayUnique($.nums)`, map[string]any{"nums": nums})
	if err != nil || len(v.([]any)) != 200_000 {
		t.Fatalf("ArrayUnique: %d items, %v", len(v.([]any)), err)
	}

	// A 200,000-character string split on a 50,000-character separator set.
	s := strings.Repeat("ab", 100_000)
	sep := strings.Repeat("xyz,", 12_500) + "b"
	v, err = evalBounded(t, `States.StringSplit($.s, $.sep)`, map[string]any{"s": s, "sep": sep})
	if err != nil || len(v.([]any)) != 100_000 {
		t.Fatalf("StringSplit: %v", err)
	}

	big := strings.Repeat("x", 200*1024)
	args := strings.TrimSuffix(strings.Repeat("$.big, ", 5000), ", ")
	for _, expr := range []string{
		`States.JsonToString(States.Array(` + args + `))`,
		`States.Format('{}', States.Array(` + args + `))`,
		`States.Format('{}{}', $.big, $.big)`,
		`States.ArrayRange(0, 100000000, 1)`,
		`States.ArrayRange(-9007199254740992, 9007199254740992, 1)`,
	} {
		_, err := evalBounded(t, expr, map[string]any{"big": big})
		var ie *Error
		if !errors.As(err, &ie) || ie.Syntax() {
			t.Errorf("%.60s...: err = %v, want an evaluation error", expr, err)
		}
	}
	if v, err := evalBounded(t, `States.Format('{}', $.big)`, map[string]any{"big": big}); err != nil || v != big {
		t.Errorf("a 200 KiB Format: %v", err)
	}
}

// TestUniqueKey: equal and uniqueKey agree.
func TestUniqueKey(t *testing.T) {
	vals := []any{0.0, math.Copysign(0, -1), 1.0, "1", true, nil, []any{1.0}, []any{"1"},
		map[string]any{"a": 1.0, "b": []any{}}, map[string]any{"b": []any{}, "a": 1.0}, map[string]any{"a": 2.0}}
	for _, a := range vals {
		for _, b := range vals {
			var ka, kb strings.Builder
			uniqueKey(&ka, a)
			uniqueKey(&kb, b)
			if (ka.String() == kb.String()) != jsonvalue.Equal(a, b) {
				t.Errorf("%s vs %s: same key %v, equal %v", fmt.Sprint(a), fmt.Sprint(b), ka.String() == kb.String(), jsonvalue.Equal(a, b))
			}
		}
	}
}
