package jsonata

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func evalString(t *testing.T, expr string, input any, vars map[string]any, opts ...Option) (any, error) {
	t.Helper()
	e, err := Compile(expr, opts...)
	if err != nil {
		return nil, err
	}
	return e.Eval(input, vars)
}

func TestStepFunctionsFunctions(t *testing.T) {
	input := map[string]any{"items": []any{1.0, 2.0, 3.0, 4.0, 5.0}, "s": "input data"}
	tests := []struct {
		expr string
		want string // JSON of the result, or "undefined" or "error CODE"
	}{
		{`$partition($states.input.items, 2)`, `[[1,2],[3,4],[5]]`},
		{`$partition([0], 1)`, `[[0]]`},
		{`$partition([], 1)`, `[]`},
		{`$range(0, 10, 3)`, `[0,3,6,9]`},
		{`$range(1, 9, 9)`, `1`},
		{`$range(5, 1, -2)`, `[5,3,1]`},
		{`$hash($states.input.s, "SHA-1")`, `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},
		{`$hash("abc", "MD5")`, `"900150983cd24fb0d6963f7d28e17f72"`},
		{`$hash("abc", "SHA-256")`, `"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`},
		{`$hash("abc", "SHA-3")`, `error D3137`},
		{`$random(42) = $random(42)`, `true`},
		{`$random(42) = $random(43)`, `false`},
		{`$random() < 1`, `true`},
		{`$parse("-0")`, `0`},
		{`$parse("1.1")`, `1.1`},
		{`$parse("\"HelloWorld\"")`, `"HelloWorld"`},
		{`$keys($parse('{"b":1,"a":2}'))`, `["b","a"]`},
		{`$parse("{")`, `error D3140`},
		{`$eval("1+1")`, `error T1006`},
		{`$states.input.nothing`, `undefined`},
		{`$count($states.input.items[$ > 2])`, `3`},
		{`$states.input.items ?? 1`, `error S0211`},
		{`$states.input.items ?: 1`, `error S0211`},
		{`$string(5890840712243076)`, `"5890840712243080"`},
		{`$string(1e21) & "," & $string(0.0000001) & "," & $string(123.456)`, `"1e+21,1e-7,123.456"`},
	}
	vars := map[string]any{"states": map[string]any{"input": input}}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := evalString(t, tt.expr, nil, vars, StepFunctions())
			if s := show(got, err); s != tt.want {
				var je *Error
				if errors.As(err, &je) && "error "+je.Code == tt.want {
					return
				}
				t.Errorf("%s = %s, want %s", tt.expr, s, tt.want)
			}
		})
	}
}

func TestUUID(t *testing.T) {
	got, err := evalString(t, `$uuid()`, nil, nil, StepFunctions())
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if s, _ := got.(string); !re.MatchString(s) {
		t.Errorf("$uuid() = %v, not a v4 UUID", got)
	}
}

func TestEvalBoundary(t *testing.T) {
	tests := []struct {
		expr  string
		input any
		want  string
	}{
		{`a`, map[string]any{"a": nil}, `null`},
		{`a`, map[string]any{}, `undefined`},
		{`a`, nil, `undefined`},
		{`$`, nil, `null`},
		{`$`, Undefined, `undefined`},
		{`{"z": 1, "a": [1, null]}`, nil, `{"a":[1,null],"z":1}`},
		{`[a]`, map[string]any{"a": []any{1, 2}}, `[1,2]`},
		{`a[0].b`, map[string]any{"a": []any{map[string]any{"b": "x"}}}, `"x"`},
		{`1/0`, nil, `null`},
		{`1/0 + 1`, nil, `error D1001: Number out of range: Infinity`},
		{`$x + 1`, nil, `error T2001: The left side of the "+" operator must evaluate to a number`},
		{`(1`, nil, `error S0203: Expected ")" before end of expression`},
		{`function($x){$x}`, nil, `undefined`},
		{`[$uppercase, 1]`, nil, `[null,1]`},
		{`{"f": $uppercase, "n": 1}`, nil, `{"n":1}`},
	}
	for _, tt := range tests {
		got, err := evalString(t, tt.expr, tt.input, map[string]any{"x": "s"})
		if s := show(got, err); s != tt.want {
			t.Errorf("%s = %s, want %s", tt.expr, s, tt.want)
		}
		// Only a function result is told apart from plain undefined.
		if isFn := errors.Is(err, ErrFunctionResult); isFn != strings.HasPrefix(tt.expr, "function") {
			t.Errorf("%s: errors.Is(err, ErrFunctionResult) = %v", tt.expr, isFn)
		}
	}
}

func TestWithFunction(t *testing.T) {
	double := func(args []any) (any, error) {
		f, _ := args[0].(float64)
		return f * 2, nil
	}
	none := func(args []any) (any, error) { return nil, ErrUndefined }
	e, err := Compile(`[$double(21), $none()]`, WithFunction("double", double), WithFunction("none", none))
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Eval(nil, nil)
	if s := show(got, err); s != `[42]` {
		t.Errorf("got %s, want [42]", s)
	}
}

// TestConcurrentEval checks that one compiled Expr can be shared by
// goroutines (run with -race).
func TestConcurrentEval(t *testing.T) {
	e, err := Compile(`($n := $states.input.n; {"n": $n, "sq": [1..$n].($ * $)} )`)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			got, err := e.Eval(nil, map[string]any{"states": map[string]any{"input": map[string]any{"n": float64(n + 1)}}})
			if err != nil {
				t.Error(err)
				return
			}
			if sq := got.(map[string]any)["sq"]; n > 0 && len(sq.([]any)) != n+1 {
				t.Errorf("n=%d: sq=%v", n+1, sq)
			}
		}(i)
	}
	wg.Wait()
}

// TestRegressions pins behaviour that differed from jsonata-js 2.0.6 at
// some point (found by TestDifferential); expected values come from the
// reference implementation.
func TestRegressions(t *testing.T) {
	input := map[string]any{"items": []any{map[string]any{"p": 1.0}}, "n": map[string]any{"a": 1.0}, "s": "abc"}
	tests := []struct{ expr, want string }{
		// Native results returned through a tail call keep their sequence.
		{`$map("x", function($e){$filter([1], function($v){false})})`, `[]`},
		{`$map(null, function($e){$map(1, function($v){{"k": $v}})})`, `[{"k":1}]`},
		{`$reverse($map("x", function($e){$map(null, function($v){"a"})}))`, `"a"`},
		// $spread of an array gives an array; $each of nothing an empty sequence.
		{`$spread([false])`, `[false]`},
		{`$map("x", function($e){$each($nothing, function($v){$v})})`, `[]`},
		// in compares objects by identity.
		{`{"a": 1} in [{"a": 1}]`, `false`},
		{`$.n in [$.n]`, `true`},
		// Infinity compares; a non-finite result reads as null.
		{`1/0 < 2`, `false`},
		{`1 % 0`, `null`},
		// Transforms clone through JSON text: 15 significant digits.
		{`{"b": 1/7} ~> |$|{}|`, `{"b":0.142857142857143}`},
		// Deep non-tail recursion fails with U1001, not a stack overflow.
		{`($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; $f(100000))`, `error U1001`},
		{`$substring(?, 1)($.s)`, `"bc"`},
		// $keys of an array recurses into nested arrays.
		{`$keys([[{"a":1}], {"b":2}, null, 1])`, `["a","b"]`},
		// $boolean: NaN is false, Infinity is out of range.
		{`$boolean(0/0)`, `false`},
		{`(1/0) ? 1 : 2`, `error D1001`},
	}
	for _, tt := range tests {
		got, err := evalString(t, tt.expr, input, nil)
		s := show(got, err)
		var je *Error
		if errors.As(err, &je) {
			s = "error " + je.Code
		}
		if s != tt.want {
			t.Errorf("%s = %s, want %s", tt.expr, s, tt.want)
		}
	}
	if _, err := Compile(strings.Repeat("(", 100000)); err == nil {
		t.Error("deeply nested expression compiled")
	}
}

func TestDecodeJSON(t *testing.T) {
	in, err := DecodeJSON([]byte(`{"b": 1, "a": {"d": [1, null], "c": true}}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := evalString(t, `[$keys($), $keys(a), $string($)]`, in, nil)
	if s := show(got, err); s != `["b","a","d","c","{\"b\":1,\"a\":{\"d\":[1,null],\"c\":true}}"]` {
		t.Errorf("got %s", s)
	}
	for _, bad := range []string{`{"a":`, `[1] 2`, ``} {
		if _, err := DecodeJSON([]byte(bad)); err == nil {
			t.Errorf("DecodeJSON(%q) succeeded", bad)
		}
	}
	if v, err := DecodeJSON([]byte(`null`)); v != nil || err != nil {
		t.Errorf("DecodeJSON(null) = %v, %v", v, err)
	}
}
