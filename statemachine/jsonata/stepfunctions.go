package jsonata

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"strings"

	"github.com/stepwise-dev/stepwise/statemachine/internal/jsonvalue"
)

// stepFunctionsBuiltins are the functions AWS Step Functions adds to
// JSONata 2.0.6.
func stepFunctionsBuiltins() []builtin {
	return []builtin{
		{"partition", "<an:a>", 2, fnPartition},
		{"range", "<nnn?:a>", 3, fnRange},
		{"hash", "<s-s?:s>", 2, fnHash},
		{"random", "<n?:n>", 1, fnRandomSeeded},
		{"uuid", "<:s>", 0, fnUUID},
		{"parse", "<s-:j>", 1, fnParse},
	}
}

func fnPartition(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	size := num(a[1])
	if size < 1 || size != math.Trunc(size) {
		return nil, &Error{Code: "D3050", Value: a[1], Message: "The size argument of $partition must be a positive integer"}
	}
	items := a[0].(*array).items
	out := &array{items: []any{}}
	n := int(size)
	for i := 0; i < len(items); i += n {
		end := min(i+n, len(items))
		out.items = append(out.items, &array{items: append([]any(nil), items[i:end]...)})
	}
	return out, nil
}

func fnRange(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	start, end := num(a[0]), num(a[1])
	step := 1.0
	if a[2] != nil {
		step = num(a[2])
	}
	if step == 0 {
		return nil, &Error{Code: "D3050", Value: a[2], Message: "The step argument of $range must not be zero"}
	}
	n := math.Floor((end-start)/step) + 1
	if ev.maxBytes > 0 && n*8 > float64(ev.maxBytes) {
		return nil, limitError(0, msgMemory)
	}
	if n > 1e7 {
		return nil, &Error{Code: "D2014", Value: n, Message: "The size of the sequence allocated by $range must not exceed 1e7"}
	}
	out := seqOf(nil)
	for v := start; (step > 0 && v <= end) || (step < 0 && v >= end); v += step {
		out.items = append(out.items, v)
	}
	return out, nil
}

func fnHash(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	alg := "SHA-256"
	if s, ok := arg(a, 1).(string); ok {
		alg = s
	}
	// Unlike States.Hash, $hash takes the algorithm name in any case.
	digest, ok := jsonvalue.Hash(strings.ToUpper(alg), a[0].(string))
	if !ok {
		return nil, &Error{Code: "D3137", Value: alg, Message: "Unsupported hash algorithm " + alg + ": use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"}
	}
	return digest, nil
}

func fnRandomSeeded(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	if a[0] == nil {
		return mrand.Float64(), nil
	}
	seed := math.Float64bits(num(a[0]))
	return mrand.New(mrand.NewPCG(seed, seed^0x9E3779B97F4A7C15)).Float64(), nil
}

func fnUUID(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	return jsonvalue.UUID(), nil
}

func fnParse(ev *evaluator, a []any, _ any, _ *frame) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	s := a[0].(string)
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = fmt.Errorf("unexpected data after the JSON value")
		}
	}
	if err != nil {
		return nil, &Error{Code: "D3140", Value: s, FunctionName: "parse", Message: "$parse(): invalid JSON: " + err.Error()}
	}
	return v, nil
}

// decodeOrdered reads one JSON value keeping object key order.
func decodeOrdered(dec *json.Decoder) (any, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := t.(type) {
	case json.Delim:
		switch x {
		case '{':
			o := newObject(4)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				o.set(kt.(string), v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			arr := &array{items: []any{}}
			for dec.More() {
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				arr.items = append(arr.items, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return nil, err
		}
		if f == 0 {
			f = 0 // $parse("-0") is 0
		}
		return f, nil
	case nil:
		return null, nil
	}
	return t, nil
}
