package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"strings"
)

// globalFlags are accepted by every command, anywhere on the command line.
type globalFlags struct {
	output       string
	dataDir      string
	aws          bool
	profile      string
	region       string
	endpointURL  string
	stateMachine string
	bucket       string
	bootstrap    string
}

func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.output, "output", "text", "output format: text or json")
	fs.StringVar(&g.dataDir, "data-dir", envOr("STEPWISE_DATA_DIR", ".stepwise"), "local stack data directory (env STEPWISE_DATA_DIR)")
	fs.BoolVar(&g.aws, "aws", false, "target AWS through the standard credential chain instead of the local stack")
	fs.StringVar(&g.profile, "profile", "", "AWS profile (implies --aws; env AWS_PROFILE)")
	fs.StringVar(&g.region, "region", "", "AWS region (default from the AWS config chain; us-east-1 locally)")
	fs.StringVar(&g.endpointURL, "endpoint-url", "", "Step Functions endpoint URL, as in the AWS CLI (implies a remote target)")
	fs.StringVar(&g.stateMachine, "state-machine", "", "state machine ARN or name (default: the export state machine)")
	fs.StringVar(&g.bucket, "bucket", "", "export bucket (default: from the local stack or the saved Terraform outputs)")
	fs.StringVar(&g.bootstrap, "bootstrap", envOr("STEPWISE_BOOTSTRAP", ""), "local stack: run the steps as this Lambda bootstrap binary behind the Lambda Runtime API, one process per concurrent invocation, instead of in-process (build it with: go build -tags lambda.norpc -o bootstrap ./cmd/steps; env STEPWISE_BOOTSTRAP)")
}

func (g *globalFlags) check() error {
	switch g.output {
	case "text", "json":
	default:
		return usagef("--output must be text or json, not %q", g.output)
	}
	return nil
}

// remote reports whether the command targets something other than the
// embedded local stack.
func (g *globalFlags) remote() bool {
	return g.aws || g.profile != "" || g.endpointURL != ""
}

func (c *command) flagSet(a *app) *flag.FlagSet {
	fs := flag.NewFlagSet("runner "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.g.register(fs)
	return fs
}

// parseInterleaved parses flags that may come before, between or after
// positional arguments (runner export FILE --where ... --yes), as users of
// the AWS CLI expect. "--" ends flag parsing.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			msg := err.Error()
			if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
				msg = "unknown flag " + name
			}
			return nil, &usageError{msg: msg}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// wantArgs checks the number of positional arguments.
func wantArgs(args []string, min, max int, what string) error {
	switch {
	case len(args) < min:
		return usagef("missing %s", what)
	case max >= 0 && len(args) > max:
		return usagef("unexpected argument %q", args[max])
	}
	return nil
}
