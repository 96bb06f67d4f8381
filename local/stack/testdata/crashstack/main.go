// Command crashstack runs a local stack for the crash tests: it serves the
// Step Functions API on the address given, with two in-process functions,
// prints "ready <url>" when it is up and runs until killed.
//
//	crashstack <data dir> <addr> <repo>
//
// With a fourth argument "trigger" it runs the S3 server, the export
// workflow and the S3 trigger instead, and prints
// "ready <Step Functions URL> <S3 URL> <state machine ARN>". Its plan step
// fails at once: the test only counts the executions the trigger started.
//
//	crashstack <data dir> <addr> <repo> trigger
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	lambdalocal "github.com/stepwise-dev/stepwise/local/lambda"
	"github.com/stepwise-dev/stepwise/local/stack"
)

type workIn struct {
	ID   string `json:"id"`
	Step int    `json:"step"`
}

func main() {
	dataDir, addr, repo := os.Args[1], os.Args[2], os.Args[3]
	invocations, err := os.OpenFile(filepath.Join(dataDir, "invocations.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if len(os.Args) > 4 && os.Args[4] == "trigger" {
		st, err := stack.Open(context.Background(), stack.Options{
			DataDir: dataDir, Addr: addr, Repo: os.DirFS(repo), NoProcessEnv: true,
			Steps: map[string]any{"plan": func(map[string]any) (any, error) { return nil, fmt.Errorf("crash test: no plan") }},
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("ready", st.Endpoints.StepFunctions, st.Endpoints.S3, st.Endpoints.StateMachineArn)
		select {}
	}
	tokens := filepath.Join(dataDir, "tokens")
	os.MkdirAll(tokens, 0o700)
	st, err := stack.Open(context.Background(), stack.Options{
		DataDir: dataDir, Addr: addr, Repo: os.DirFS(repo), NoS3: true, NoDeploy: true, NoTrigger: true,
		ExtraFunctions: []lambdalocal.Function{
			{Name: "crash-work", Handler: "work", Timeout: 10 * time.Second},
			{Name: "crash-approve", Handler: "approve", Timeout: 10 * time.Second},
		},
		Steps: map[string]any{
			// Deterministic: same input, same output (steps are idempotent).
			// Slow enough (300 ms) that kills land while tasks are in flight.
			"work": func(ctx context.Context, in workIn) (map[string]any, error) {
				lc, _ := lambdacontext.FromContext(ctx)
				fmt.Fprintf(invocations, "%s %d %s\n", in.ID, in.Step, lc.AwsRequestID)
				select {
				case <-time.After(300 * time.Millisecond):
				case <-ctx.Done():
					return nil, ctx.Err()
				}
				return map[string]any{"id": in.ID, "step": in.Step, "result": len(in.ID) * (in.Step + 1)}, nil
			},
			// Records the task token where the test picks it up.
			"approve": func(in struct{ ID, Token string }) error {
				tmp := filepath.Join(tokens, in.ID+".tmp")
				if err := os.WriteFile(tmp, []byte(in.Token), 0o600); err != nil {
					return err
				}
				return os.Rename(tmp, filepath.Join(tokens, in.ID))
			},
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ready", st.Endpoints.StepFunctions)
	select {}
}
