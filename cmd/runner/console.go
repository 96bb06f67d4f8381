package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/stepwise-dev/stepwise/local/console"
)

func newConsoleCmd() *command {
	return &command{
		name: "console", args: "[--listen 127.0.0.1:8085]",
		summary: "Serve the web console, a client of the Step Functions API of the chosen target (local, --aws, --profile, --endpoint-url); --bucket enables export approvals.",
		examples: []string{
			"runner console --endpoint-url http://127.0.0.1:8083 --bucket stepwise",
			"runner console --profile prod --region eu-west-1 --bucket my-export-bucket",
		},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			listen := fs.String("listen", "127.0.0.1:8085", "address to serve the console on (keep it on 127.0.0.1; port 0: any free port)")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 0, 0, ""); err != nil {
					return err
				}
				return a.withTarget(ctx, func(t *target) error {
					ln, err := net.Listen("tcp", *listen)
					if err != nil {
						return fmt.Errorf("console: --listen %s: %w", *listen, err)
					}
					opts := console.Options{SFN: t.sfn, Approver: currentUser()}
					if t.bucket != "" {
						opts.S3, opts.Bucket, opts.ApprovalsPrefix = t.s3, t.bucket, t.approvalsPrefix()
					}
					if host, _, err := net.SplitHostPort(*listen); err == nil && host != "" {
						opts.Hosts = []string{host} // the address the user chose to serve on
					}
					srv := &http.Server{Handler: console.New(opts), ReadHeaderTimeout: readHeaderTimeout}
					fmt.Fprintf(a.stdout, "console: http://%s/\n", ln.Addr())
					go func() { <-ctx.Done(); srv.Close() }()
					if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
						return err
					}
					return nil
				})
			}
		},
	}
}

// readHeaderTimeout bounds a client that never finishes its headers.
const readHeaderTimeout = 10 * time.Second
