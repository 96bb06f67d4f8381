// Command steps is the Lambda bootstrap of every report-export step: one
// binary, deployed once per function, serving the step its handler field
// names (_HANDLER, as on provided.al2023). Build it for Lambda with
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./cmd/steps
//
// The S3 client and the rest of the environment are created here, at init,
// once per execution environment.
package main

import (
	"context"
	"fmt"
	"os"
	"sort"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stepwise-dev/stepwise/steps"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

func main() {
	name := os.Getenv("_HANDLER")
	env, err := stepkit.FromOS(context.Background())
	if err != nil {
		fmt.Fprintf(os.Stderr, "steps: init: %v\n", err)
		os.Exit(1)
	}
	handlers := steps.New(env)
	h, ok := handlers[name]
	if !ok {
		var names []string
		for n := range handlers {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "steps: _HANDLER=%q is not a step (have: %v)\n", name, names)
		os.Exit(2)
	}
	lambda.Start(h)
}
