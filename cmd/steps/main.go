// Command steps is the Lambda bootstrap of every report-export step: one
// binary, deployed once per function, serving the step its handler field
// names (_HANDLER, as on provided.al2023). Build it for Lambda with
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./cmd/steps
//
// The S3 client and the rest of the environment are created here, at init,
// once per execution environment.
//
// For debugging and measurement outside Lambda, `steps invoke HANDLER`
// runs one invocation with the event read from stdin and prints the
// response, through the same aws-lambda-go JSON path.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stepwise-dev/stepwise/steps"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

func main() {
	name := os.Getenv("_HANDLER")
	invoke := len(os.Args) > 1 && os.Args[1] == "invoke"
	if invoke && len(os.Args) > 2 {
		name = os.Args[2]
	}
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
		fmt.Fprintf(os.Stderr, "steps: handler %q is not a step (have: %v); set _HANDLER or run: steps invoke HANDLER < event.json\n", name, names)
		os.Exit(2)
	}
	if !invoke {
		lambda.Start(h)
		return
	}
	env.Log = os.Stderr
	event, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "steps: read event: %v\n", err)
		os.Exit(1)
	}
	out, err := lambda.NewHandler(h).Invoke(context.Background(), event)
	if err != nil {
		fmt.Fprintf(os.Stderr, "steps: %s: %v\n", name, err)
		os.Exit(1)
	}
	os.Stdout.Write(append(out, '\n'))
	// The peak resident set of this process (Linux), for measurements:
	// a child's rusage would include its parent's high-water mark.
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "VmHWM:") {
				fmt.Fprintf(os.Stderr, "steps: peak RSS %s\n", strings.Join(strings.Fields(line)[1:], " "))
			}
		}
	}
}
