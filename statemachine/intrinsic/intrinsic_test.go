package intrinsic

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine/internal/testenv"
	"github.com/stepwise-dev/stepwise/statemachine/jsonpath"
)

func decode(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON %s: %v", s, err)
	}
	return v
}

func TestEval(t *testing.T) {
	input := decode(t, `{"a": [1, 2, 2, {"x": 1}, {"x": 1}], "s": "a,b,,c", "n": 5, "o1": {"a": 1, "b": 2}, "o2": {"b": 3},
		"str": "Data to encode", "tmpl": "Hi {}!", "name": "Ann", "num": 1.5, "big": 1e300}`)
	docs := jsonpath.Docs{Input: input, Context: decode(t, `{"Execution": {"Name": "e-1"}}`),
		Variables: map[string]any{"v": "var-value"}}
	tests := []struct {
		expr string
		want string // JSON
	}{
		{`States.Format('x {} y {}', $.name, $.n)`, `"x Ann y 5"`},
		{`States.Format('\{\} {} \'q\' \\', $.name)`, `"{} Ann 'q' \\"`},
		{`States.Format($.tmpl, $$.Execution.Name)`, `"Hi e-1!"`},
		{`States.Format('{} {} {}', $.o1, $.a, null)`, `"{a=1, b=2} [1, 2, 2, {x=1}, {x=1}] null"`},
		{`States.Format('{}', $.num)`, `"1.5"`},
		{`States.Format('{} {} {} {}', 0.0001, 123456789.5, -2.5e-7, 1e300)`, `"1.0E-4 1.234567895E8 -2.5E-7 1.0E300"`},
		{`States.StringToJson('{"k": [1, -0]}')`, `{"k": [1, 0]}`},
		{`States.StringToJson('')`, `null`},
		{`States.JsonToString($.o1)`, `"{\"a\":1,\"b\":2}"`},
		{`States.JsonToString('<&>')`, `"\"<&>\""`},
		{`States.Array()`, `[]`},
		{`States.Array(1, 'two', true, null, $v)`, `[1, "two", true, null, "var-value"]`},
		{`States.ArrayPartition($.a, 2)`, `[[1, 2], [2, {"x": 1}], [{"x": 1}]]`},
		{`States.ArrayContains($.a, $.o1)`, `false`},
		{`States.ArrayContains($.a, States.StringToJson('{"x":1}'))`, `true`},
		{`States.ArrayRange(1, 9, 2)`, `[1, 3, 5, 7, 9]`},
		{`States.ArrayRange(5, 1, -2)`, `[5, 3, 1]`},
		{`States.ArrayRange(1, 0, 1)`, `[]`},
		{`States.ArrayGetItem($.a, 3)`, `{"x": 1}`},
		{`States.ArrayLength($.a)`, `5`},
		{`States.ArrayUnique($.a)`, `[1, 2, {"x": 1}]`},
		{`States.Base64Encode($.str)`, `"RGF0YSB0byBlbmNvZGU="`},
		{`States.Base64Decode('RGF0YSB0byBlbmNvZGU=')`, `"Data to encode"`},
		{`States.Hash('input data', 'SHA-256')`, `"2e07ca4fc2a5e2ed6d28d5a9ac7c5b8e5ded0cf1f7e3eaa8ef0b1c96e44a6e45"`},
		{`States.JsonMerge($.o1, $.o2, false)`, `{"a": 1, "b": 3}`},
		{`States.MathAdd($.n, -1)`, `4`},
		{`States.MathAdd(-0.5, 0.5)`, `1`},
		{`States.MathAdd(States.MathAdd(1, 2), 3)`, `6`},
		{`States.StringSplit($.s, ',')`, `["a", "b", "c"]`},
		{`States.StringSplit('a.b+c', '.+')`, `["a", "b", "c"]`},
		{`States.ArrayGetItem(States.StringSplit($$.Execution.Name, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($$.Execution.Name, '-')), -1))`, `"1"`},
		{` States.Array( 1 , 2 ) `, `[1, 2]`},
		{`States.MathRandom(1, 2)`, `1`},
		{`States.UUID()`, `"00000000-0000-4000-8000-000000000000"`},
	}
	opts := &Options{Rand: func() float64 { return 0.5 }, UUID: func() string { return "00000000-0000-4000-8000-000000000000" }}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			e, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Eval(docs, opts)
			if err != nil {
				t.Fatal(err)
			}
			if tt.expr == `States.Hash('input data', 'SHA-256')` {
				// The SHA-256 value is not in the corpus; check the length only.
				if s, _ := got.(string); len(s) != 64 {
					t.Errorf("SHA-256 hex length = %d", len(s))
				}
				return
			}
			if !reflect.DeepEqual(roundTrip(t, got), decode(t, tt.want)) {
				t.Errorf("got %s, want %s", marshal(got), tt.want)
			}
		})
	}
}

func roundTrip(t testing.TB, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, string(b))
}

func TestFunctions(t *testing.T) {
	fs := Functions()
	if len(fs) != 18 || fs[0] != "States.Array" || fs[17] != "States.UUID" {
		t.Errorf("Functions() = %v, want the 18 intrinsics sorted", fs)
	}
}

func TestMathRandomSeeded(t *testing.T) {
	e, _ := Parse(`States.MathRandom(0, 999, 3)`)
	a, err := e.Eval(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.Eval(nil, nil)
	if a != b {
		t.Errorf("seeded MathRandom differs between runs: %v, %v", a, b)
	}
	if f := a.(float64); f < 0 || f >= 999 {
		t.Errorf("MathRandom(0, 999) = %v, out of range", f)
	}
}

func TestEvalErrors(t *testing.T) {
	docs := jsonpath.Docs{Input: decode(t, `{"a": [1], "s": "x", "o": {}}`)}
	tests := []struct{ expr, msg string }{
		{`States.ArrayGetItem($.a, 1)`, `States.ArrayGetItem: index 1 is out of bounds for an array of length 1`},
		{`States.ArrayGetItem($.s, 0)`, `States.ArrayGetItem: argument 1 must be an array, got string ("x")`},
		{`States.ArrayPartition($.a, 0)`, `States.ArrayPartition: the chunk size must be a positive integer, got 0`},
		{`States.ArrayRange(0, 2000, 1)`, `States.ArrayRange: the range would have 2001 items; at most 1000 are allowed`},
		{`States.ArrayRange(0, 1, 0)`, `States.ArrayRange: the step (third argument) must not be 0`},
		{`States.ArrayRange(0, 1.5, 1)`, `States.ArrayRange: argument 2 must be an integer, got number (1.5)`},
		{`States.Format('{} {}', 1)`, `States.Format: the template has more placeholders than the 1 arguments given`},
		{`States.Format('{}', 1, 2)`, `States.Format: the template has 1 placeholders but 2 arguments were given`},
		{`States.StringToJson('{')`, `States.StringToJson: the argument is not valid JSON text: "{"`},
		{`States.Base64Decode('!!')`, `States.Base64Decode: the argument is not valid base64: "!!"`},
		{`States.Hash('x', 'SHA-3')`, `States.Hash: unsupported hash algorithm "SHA-3"; use MD5, SHA-1, SHA-256, SHA-384 or SHA-512`},
		{`States.JsonMerge($.o, $.a, false)`, `States.JsonMerge: argument 2 must be a JSON object, got array ([1])`},
		{`States.JsonMerge($.o, $.o, true)`, `States.JsonMerge: deep merge is not supported; the third argument must be false`},
		{`States.MathAdd('1', 2)`, `States.MathAdd: argument 1 must be a number, got string ("1")`},
		{`States.MathRandom(5, 5)`, `States.MathRandom: the end (5) must be greater than the start (5)`},
		{`States.StringSplit($.a, ',')`, `States.StringSplit: argument 1 must be a string, got array ([1])`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			e, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.Eval(docs, nil)
			var ie *Error
			if !errors.As(err, &ie) || ie.Syntax() {
				t.Fatalf("error = %v, want an evaluation *Error", err)
			}
			if err.Error() != tt.msg {
				t.Errorf("error\n got %s\nwant %s", err, tt.msg)
			}
		})
	}
	e, _ := Parse(`States.Array($.missing)`)
	_, err := e.Eval(docs, nil)
	if !errors.Is(err, jsonpath.ErrNotFound) {
		t.Errorf("missing path error = %v, want one matching jsonpath.ErrNotFound", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		expr   string
		offset int
	}{
		{`States.StringToJson('{"text":"An \"escaped\" here"}')`, 33},
		{`States.Nope()`, 0},
		{`States.UUID(1)`, 0},
		{`States.Array(1`, 0},
		{`States.Array(1 2)`, 15},
		{`States.Array('x)`, 13},
		{`States.Array($.a[)`, 17},
		{`States.Array(x)`, 13},
		{`States.Array(1) x`, 16},
		{`Format('x')`, 0},
		{`States.Format()`, 0},
		{`States.MathAdd(1)`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := Parse(tt.expr)
			var ie *Error
			if !errors.As(err, &ie) || !ie.Syntax() {
				t.Fatalf("Parse error = %v, want a syntax *Error", err)
			}
			if ie.Offset != tt.offset {
				t.Errorf("offset = %d, want %d (%v)", ie.Offset, tt.offset, err)
			}
		})
	}
}

// TestCorpus evaluates the Parameters of every intrinsic corpus case whose
// machine is one Pass state with Parameters (nothing else shaping the
// output) and compares them with the output AWS recorded.
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "cases", "intrinsic", "*.json"))
	if len(files) == 0 {
		t.Skipf("SKIPPED: no intrinsic cases under %s (set STEPWISE_CONFORMANCE_DIR)", dir)
	}
	checked := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Definition struct {
				StartAt string
				States  map[string]map[string]any
			}
			Input    any
			Expected struct {
				Status string
				Output any
			}
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		st := c.Definition.States[c.Definition.StartAt]
		params, ok := st["Parameters"].(map[string]any)
		if len(c.Definition.States) != 1 || !ok || len(st) != 3 || c.Expected.Status != "SUCCEEDED" {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			out := map[string]any{}
			for k, v := range params {
				s, isStr := v.(string)
				if !strings.HasSuffix(k, ".$") || !isStr {
					out[k] = v
					continue
				}
				e, err := Parse(s)
				if err != nil {
					t.Fatal(err)
				}
				// The context object as the corpus masks it.
				ctx := map[string]any{
					"Execution": map[string]any{"Name": "<ExecArnPart_0idx>", "Input": c.Input},
					"StateMachine": map[string]any{"Name": "<ArnPart_0idx>",
						"Id": "arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_0idx>"},
				}
				got, err := e.Eval(jsonpath.Docs{Input: c.Input, Context: ctx}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if e.Name() == "States.MathRandom" {
					// The corpus masks the number as "RandomNumberGenerated".
					if _, isNum := got.(float64); !isNum {
						t.Fatalf("MathRandom returned %v, want a number", got)
					}
					got = "RandomNumberGenerated"
				}
				out[strings.TrimSuffix(k, ".$")] = got
			}
			if !reflect.DeepEqual(roundTrip(t, out), c.Expected.Output) {
				t.Errorf("got %s, want %s", marshal(out), marshal(c.Expected.Output))
			}
		})
		checked++
	}
	if checked < 80 {
		t.Errorf("only %d corpus cases were checked; expected most of the intrinsic category", checked)
	}
}

func corpusDir(testing.TB) string {
	if d := testenv.Path("STEPWISE_CONFORMANCE_DIR"); d != "" {
		return d
	}
	return testenv.Shared("conformance")
}
