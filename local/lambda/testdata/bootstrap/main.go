// Command bootstrap is a tiny Lambda custom runtime for the process-mode
// tests: the real aws-lambda-go lambda.Start, with behaviours picked by the
// _HANDLER environment variable as the project's real bootstrap does.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// QuotaError is a named error type: its name must reach the caller as the
// errorType.
type QuotaError struct{ Limit int }

func (e *QuotaError) Error() string { return fmt.Sprintf("quota of %d exceeded", e.Limit) }

type barrierInput struct {
	Dir string `json:"dir"`
	N   int    `json:"n"`
}

func main() {
	switch os.Getenv("_HANDLER") {
	case "echo":
		lambda.Start(func(ctx context.Context, in json.RawMessage) (map[string]any, error) {
			lc, _ := lambdacontext.FromContext(ctx)
			dl, _ := ctx.Deadline()
			return map[string]any{
				"input":        in,
				"requestId":    lc.AwsRequestID,
				"functionArn":  lc.InvokedFunctionArn,
				"functionName": lambdacontext.FunctionName,
				"memory":       lambdacontext.MemoryLimitInMB,
				"region":       os.Getenv("AWS_REGION"),
				"extra":        os.Getenv("EXTRA"),
				"later":        os.Getenv("LATER"),
				"pid":          os.Getpid(),
				"deadlineSet":  !dl.IsZero(),
				"traceId":      ctx.Value("x-amzn-trace-id"),
			}, nil
		})
	case "barrier":
		// Every invocation registers its pid, then waits until n processes
		// have registered: it only completes if n instances run at once.
		lambda.Start(func(ctx context.Context, in barrierInput) (int, error) {
			os.WriteFile(filepath.Join(in.Dir, fmt.Sprint(os.Getpid())), nil, 0o600)
			for {
				ents, _ := os.ReadDir(in.Dir)
				if len(ents) >= in.N {
					return os.Getpid(), nil
				}
				select {
				case <-ctx.Done():
					return 0, ctx.Err()
				case <-time.After(5 * time.Millisecond):
				}
			}
		})
	case "hang":
		lambda.Start(func(ctx context.Context) error {
			select {}
		})
	case "crash":
		lambda.Start(func(ctx context.Context) error {
			os.Exit(3)
			return nil
		})
	case "fail":
		lambda.Start(func(ctx context.Context) error { return &QuotaError{Limit: 5} })
	case "panic":
		lambda.Start(func(ctx context.Context) error { panic(errors.New("boom")) })
	case "initerror":
		// What a runtime does when its init fails: report, then exit.
		body := `{"errorMessage":"config missing","errorType":"ConfigError"}`
		req, _ := http.NewRequest("POST", "http://"+os.Getenv("AWS_LAMBDA_RUNTIME_API")+"/2018-06-01/runtime/init/error", strings.NewReader(body))
		req.Header.Set("Lambda-Runtime-Function-Error-Type", "ConfigError")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		os.Exit(1)
	case "quiet":
		// Never polls the Runtime API: an invocation for it stays queued,
		// for the tests that check who else may take it.
		select {}
	case "initexit":
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "unknown handler", os.Getenv("_HANDLER"))
		os.Exit(1)
	}
}
