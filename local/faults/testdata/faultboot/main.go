//go:build faults

// Command faultboot is a Lambda bootstrap for the fault suite: it serves
// the real export steps, as cmd/steps does, and makes a share of the
// invocations go wrong the three ways a Lambda invocation goes wrong:
//
//   - error: the step returns a transient error (errorType S3Unavailable,
//     what a step reports when S3 is unavailable), before doing its work;
//   - timeout: the step sleeps past its function timeout (the runtime
//     reports Sandbox.Timedout and kills the process), before or after
//     doing its work;
//   - crash: the process exits with status 3 before doing the work, or is
//     killed with SIGKILL after doing it and before answering (the runtime
//     reports Runtime.ExitError; the work is done, its result lost).
//
// The local runtime gives bootstrap processes a fixed environment, so the
// configuration comes from a file beside the binary, <binary>.json, read at
// every invocation: {"rate": 0.1, "log": "/path/to/faults.log"}. Each
// invocation appends one line to the log: "<handler> <request id> <fault>",
// fault being "none", "error", "timeout-before", "timeout-after",
// "crash-before" or "crash-after".
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/stepwise-dev/stepwise/steps"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

type config struct {
	Rate float64 `json:"rate"`
	Log  string  `json:"log"`
}

func readConfig() config {
	var c config
	exe, err := os.Executable()
	if err != nil {
		return c
	}
	b, err := os.ReadFile(exe + ".json")
	if err != nil {
		return c
	}
	json.Unmarshal(b, &c)
	return c
}

var faults = []string{"error", "timeout-before", "timeout-after", "crash-before", "crash-after"}

func main() {
	name := os.Getenv("_HANDLER")
	env, err := stepkit.FromOS(context.Background())
	if err != nil {
		fmt.Fprintf(os.Stderr, "faultboot: init: %v\n", err)
		os.Exit(1)
	}
	h, ok := steps.New(env)[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "faultboot: handler %q is not a step\n", name)
		os.Exit(2)
	}
	step := lambda.NewHandler(h)
	lambda.Start(func(ctx context.Context, event json.RawMessage) (json.RawMessage, error) {
		cfg := readConfig()
		fault := "none"
		if rand.Float64() < cfg.Rate {
			fault = faults[rand.IntN(len(faults))]
		}
		lc, _ := lambdacontext.FromContext(ctx)
		if cfg.Log != "" {
			if f, err := os.OpenFile(cfg.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
				fmt.Fprintf(f, "%s %s %s\n", name, lc.AwsRequestID, fault)
				f.Close()
			}
		}
		switch fault {
		case "error":
			return nil, messages.InvokeResponse_Error{Type: "S3Unavailable", Message: "faultboot: injected transient error"}
		case "timeout-before":
			<-ctx.Done()
			select {} // the runtime kills the process at the deadline
		case "crash-before":
			os.Exit(3)
		}
		out, err := step.Invoke(ctx, event)
		switch fault {
		case "timeout-after":
			<-ctx.Done()
			select {}
		case "crash-after":
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
		return out, err
	})
}
