package intrinsic_test

import (
	"fmt"

	"github.com/stepwise-dev/stepwise/statemachine/intrinsic"
	"github.com/stepwise-dev/stepwise/statemachine/jsonpath"
)

func ExampleExpr_Eval() {
	e, err := intrinsic.Parse(`States.Format('Hello {}, you have {} items', $.name, States.ArrayLength($.items))`)
	if err != nil {
		panic(err)
	}
	docs := jsonpath.Docs{Input: map[string]any{"name": "Ann", "items": []any{1.0, 2.0}}}
	v, _ := e.Eval(docs, nil)
	fmt.Println(v)
	// Output: Hello Ann, you have 2 items
}
