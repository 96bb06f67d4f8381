package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"

	"github.com/stepwise-dev/stepwise/local/console"
)

func newConsoleCmd() *command {
	return &command{
		name: "console", args: "[--listen 127.0.0.1:8085]",
		summary: "Serve the web console, a client of the Step Functions API of the chosen target (local, --aws, --profile, --endpoint-url).",
		examples: []string{
			"runner console --endpoint-url http://127.0.0.1:8083",
		},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			listen := fs.String("listen", "127.0.0.1:8085", "address to serve the console on (keep it on 127.0.0.1)")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 0, 0, ""); err != nil {
					return err
				}
				return a.withTarget(ctx, func(t *target) error {
					ln, err := net.Listen("tcp", *listen)
					if err != nil {
						return fmt.Errorf("console: --listen %s: %w", *listen, err)
					}
					srv := &http.Server{Handler: &console.Handler{API: t.sfn}}
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
