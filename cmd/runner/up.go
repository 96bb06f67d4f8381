package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/stepwise-dev/stepwise/local/sfnapi"
)

func init() {
	register(&command{
		name: "up", args: "[--addr 127.0.0.1:PORT]",
		summary: "Serve the local stack (Step Functions API, S3, Lambda steps, S3 trigger) in the foreground until interrupted.",
		examples: []string{
			"runner up --addr 127.0.0.1:8083",
			"aws stepfunctions list-state-machines --endpoint-url http://stepwise@127.0.0.1:8083",
		},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			addr := fs.String("addr", "127.0.0.1:8083", "Step Functions API listen address (127.0.0.1 unless you mean otherwise)")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 0, 0, ""); err != nil {
					return err
				}
				st, err := openStack(ctx, a.g.dataDir, *addr, a.g.bootstrap)
				if err != nil {
					return err
				}
				ep := st.Endpoints
				err = a.emit(ep, func(w io.Writer) {
					fmt.Fprintf(w, "stepfunctions %s\n", ep.StepFunctions)
					// The AWS CLI and boto3 reach StartSyncExecution and TestState too.
					fmt.Fprintf(w, "stepfunctions-cli %s\n", sfnapi.CLIEndpoint(ep.StepFunctions))
					if ep.S3 != "" {
						fmt.Fprintf(w, "s3 %s\n", ep.S3)
					}
					if ep.StateMachineArn != "" {
						fmt.Fprintf(w, "statemachine %s\n", ep.StateMachineArn)
					}
					if ep.Bucket != "" {
						fmt.Fprintf(w, "bucket %s\n", ep.Bucket)
					}
					fmt.Fprintf(w, "data %s\n", st.DataDir())
				})
				if err != nil {
					st.Close()
					return err
				}
				fmt.Fprintln(a.stderr, "serving; press Ctrl-C to stop")
				<-ctx.Done()
				fmt.Fprintln(a.stderr, "stopping")
				return st.Close()
			}
		},
	})
}
