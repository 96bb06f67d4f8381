package sfntest_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/stepwise-dev/stepwise/sfntest"
)

// SoldOut is a step's error type: Step Functions sees its name.
type SoldOut struct{ SKU string }

func (e *SoldOut) Error() string { return e.SKU + " is sold out" }

// Example runs a workflow with a real Go handler, a retry on a mocked
// step, a caught error and a day-long Wait, without sleeping.
func Example() {
	asl := []byte(`{
	  "StartAt": "Reserve",
	  "States": {
	    "Reserve": {"Type": "Task", "Resource": "${ReserveFunctionArn}",
	      "Catch": [{"ErrorEquals": ["SoldOut"], "Next": "Apologise"}], "Next": "Ship"},
	    "Ship": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
	      "Parameters": {"FunctionName": "${ShipFunctionArn}", "Payload.$": "$"},
	      "Retry": [{"ErrorEquals": ["CarrierDown"], "IntervalSeconds": 600, "BackoffRate": 2}],
	      "OutputPath": "$.Payload", "Next": "Deliver"},
	    "Deliver": {"Type": "Wait", "Seconds": 86400, "End": true},
	    "Apologise": {"Type": "Fail", "Error": "OrderFailed"}}}`)
	reserve := func(_ context.Context, in struct{ SKU string }) (map[string]string, error) {
		if strings.HasPrefix(in.SKU, "gone") {
			return nil, &SoldOut{SKU: in.SKU}
		}
		return map[string]string{"sku": in.SKU}, nil
	}
	w, err := sfntest.New("shop", asl,
		sfntest.Handler("reserve", reserve),
		sfntest.Mock("Ship",
			sfntest.Throw("CarrierDown", "try later"),
			sfntest.Return(map[string]any{"StatusCode": 200, "Payload": map[string]string{"tracking": "T1"}})))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, in := range []string{`{"SKU":"book"}`, `{"SKU":"gone-lamp"}`} {
		r, err := w.Run(context.Background(), in)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(r.Status, r.Output, r.Error, strings.Join(r.Path, " → "), r.Elapsed)
	}
	// Output:
	// SUCCEEDED {"tracking":"T1"}  Reserve → Ship → Deliver 24h10m0s
	// FAILED  OrderFailed Reserve → Apologise 0s
}
