package jsonata_test

import (
	"errors"
	"fmt"

	"github.com/stepwise-dev/stepwise/statemachine/jsonata"
)

// A Step Functions field such as "Output": "{% ... %}" is compiled once
// and evaluated for each state entry with $states bound.
func ExampleCompile() {
	e, err := jsonata.Compile(`{"id": $states.input.order.id, "total": $sum($states.input.order.items.(price * qty))}`, jsonata.StepFunctions())
	if err != nil {
		panic(err)
	}
	input := map[string]any{"order": map[string]any{
		"id":    "o-1",
		"items": []any{map[string]any{"price": 2.5, "qty": 2.0}, map[string]any{"price": 1.0, "qty": 3.0}},
	}}
	out, err := e.Eval(nil, map[string]any{"states": map[string]any{"input": input}})
	fmt.Println(out, err)

	missing, _ := jsonata.Compile(`$states.input.missing`, jsonata.StepFunctions())
	_, err = missing.Eval(nil, map[string]any{"states": map[string]any{"input": input}})
	fmt.Println(errors.Is(err, jsonata.ErrUndefined))

	_, err = jsonata.Compile(`$states.input.a ?? 0`, jsonata.StepFunctions())
	var je *jsonata.Error
	fmt.Println(errors.As(err, &je), je.Code)
	// Output:
	// map[id:o-1 total:8] <nil>
	// true
	// true S0211
}
