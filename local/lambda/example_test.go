package lambdalocal_test

import (
	"context"
	"errors"
	"fmt"

	lambdalocal "github.com/stepwise-dev/stepwise/local/lambda"
	"github.com/stepwise-dev/stepwise/statemachine"
)

// QuotaError is a step's error type: Step Functions sees its name as the
// error, so Retry and Catch can match "QuotaError".
type QuotaError struct{}

func (*QuotaError) Error() string { return "quota exceeded" }

// In-process functions run through aws-lambda-go's handler machinery and
// fail the way Lambda reports failures.
func ExampleNew() {
	rt, _ := lambdalocal.New(lambdalocal.Options{
		Functions: []lambdalocal.Function{{Name: "stepwise-add", Handler: "add"}, {Name: "stepwise-quota", Handler: "quota"}},
		Handlers: map[string]any{
			"add":   func(ctx context.Context, in struct{ A, B int }) (int, error) { return in.A + in.B, nil },
			"quota": func() error { return &QuotaError{} },
		},
	})
	defer rt.Close()
	ctx := context.Background()

	res, _ := rt.Invoke(ctx, "arn:aws:lambda:us-east-1:123456789012:function:stepwise-add", []byte(`{"A":2,"B":3}`))
	fmt.Println(string(res.Payload))

	res, _ = rt.Invoke(ctx, "stepwise-quota", []byte(`{}`))
	fmt.Println(res.FunctionError, string(res.Payload))

	_, err := rt.Invoke(ctx, "stepwise-missing", nil)
	var te *statemachine.TaskError
	fmt.Println(errors.As(err, &te), te.Name)
	// Output:
	// 5
	// Unhandled {"errorMessage":"quota exceeded","errorType":"QuotaError"}
	// true Lambda.ResourceNotFoundException
}
