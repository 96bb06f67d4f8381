package jsonpath_test

import (
	"errors"
	"fmt"

	"github.com/stepwise-dev/stepwise/statemachine/jsonpath"
)

func ExamplePath_Get() {
	input := map[string]any{"order": map[string]any{"items": []any{
		map[string]any{"sku": "a", "qty": 1.0},
		map[string]any{"sku": "b", "qty": 3.0},
	}}}
	p := jsonpath.MustCompile(`$.order.items[?(@.qty > 2)].sku`)
	v, _ := p.Get(input)
	fmt.Println(v, p.Definite())

	_, err := jsonpath.MustCompile(`$.order.customer`).Get(input)
	fmt.Println(errors.Is(err, jsonpath.ErrNotFound), err)
	// Output:
	// [b] false
	// true Invalid path '$.order.customer' : No results for path: $['order']['customer']
}

func ExamplePath_Set() {
	input := map[string]any{"id": 7.0}
	out, _ := jsonpath.MustCompile(`$.result.status`).Set(input, "done")
	fmt.Println(out, input)
	// Output: map[id:7 result:map[status:done]] map[id:7]
}
