// Command runner is the Stepwise CLI: it runs report exports, drives the
// executions of every workflow (statemachine/<name>.asl.json), scaffolds
// new workflows and steps, and drives approvals, the local stack, builds
// and deployments. Every command works against the embedded local stack (the
// default), a running `runner up`, or AWS (--aws), with the same
// aws-sdk-go-v2 clients; only the endpoint differs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit codes, documented in `runner --help` and the README.
const (
	exitOK         = 0 // success
	exitError      = 1 // the command could not do its work (bad input, unreachable endpoint, ...)
	exitUsage      = 2 // wrong command line
	exitExecFailed = 3 // the execution ended FAILED, TIMED_OUT or ABORTED
	exitRejected   = 4 // the export was rejected by an approver
)

func main() { os.Exit(mainCode()) }

// mainCode runs the command line of this process; SIGINT and SIGTERM
// cancel the command's context so that it can stop cleanly.
func mainCode() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}

// command is one runner subcommand.
type command struct {
	name     string
	args     string // synopsis of positional arguments
	summary  string
	examples []string
	// setup registers the command's flags on fs (bound to variables it
	// closes over) and returns the function that runs the command with its
	// positional arguments.
	setup func(a *app, fs *flag.FlagSet) func(ctx context.Context, args []string) error
}

// commands is every runner command, each built by its constructor. The
// order is the one [suggest] tries them in; --help sorts them by name.
// Which global flags each one takes is said in [commandGlobals].
var commands = []*command{
	newApproveCmd(), newRejectCmd(), newApprovalsCmd(),
	newBuildCmd(),
	newCleanCmd(),
	newStartCmd(), newListCmd(), newDescribeCmd(), newHistoryCmd(), newWatchCmd(), newStopCmd(), newRedriveCmd(),
	newExportCmd(),
	newGenCmd(),
	newGraphCmd(),
	newConsoleCmd(),
	newDeployCmd(), newPlanCmd(), newDestroyCmd(), newOutputsCmd(),
	newUpCmd(),
	newValidateCmd(),
	newWorkflowsCmd(), newNewCmd(), newTestCmd(),
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// app carries what every command needs: streams and the global flags.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	g      globalFlags
}

// run executes one runner invocation and returns its exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 && args[0] == "help" {
			if c := lookup(args[1]); c != nil {
				c.usage(a.stdout)
				return exitOK
			}
		}
		a.usage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "--version" || args[0] == "version" {
		fmt.Fprintln(stdout, "runner", buildVersion())
		return exitOK
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(stderr, "runner: unknown command %q\n", args[0])
		if s := suggest(args[0]); s != "" {
			fmt.Fprintf(stderr, "Did you mean %q?\n", s)
		}
		fmt.Fprintln(stderr, "Run 'runner --help' for the list of commands.")
		return exitUsage
	}
	fs := c.flagSet(a)
	runFn := c.setup(a, fs)
	positional, err := parseInterleaved(fs, args[1:])
	if err == nil {
		a.g.set = setFlags(fs)
		err = a.g.check(c)
	}
	if err == nil {
		err = runFn(ctx, positional)
	}
	return a.exitCode(c, err)
}

func (a *app) exitCode(c *command, err error) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	var ee *exitStatus
	switch {
	case errors.Is(err, errHelp):
		c.usage(a.stdout)
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(a.stderr, "runner %s: %s\n", c.name, ue.msg)
		fmt.Fprintf(a.stderr, "Run 'runner %s --help' for usage.\n", c.name)
		return exitUsage
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintf(a.stderr, "runner %s: %s\n", c.name, ee.msg)
		}
		return ee.code
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(a.stderr, "runner %s: interrupted\n", c.name)
		return exitError
	default:
		fmt.Fprintf(a.stderr, "runner %s: %v\n", c.name, err)
		return exitError
	}
}

// usageError is a wrong command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

// exitStatus ends the command with a specific exit code (execution failed,
// rejected) after the command has printed its result.
type exitStatus struct {
	code int
	msg  string
}

func (e *exitStatus) Error() string { return e.msg }

var errHelp = errors.New("help requested")

func (a *app) usage(w io.Writer) {
	fmt.Fprint(w, `runner — run Stepwise report exports and Step Functions workflows

Usage:
  runner <command> [arguments] [flags]

Commands:
`)
	cs := append([]*command(nil), commands...)
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Targets (commands that run or inspect executions):
  (default)          the embedded local stack, data in .stepwise/ (--data-dir, STEPWISE_DATA_DIR);
                     if 'runner up' is running on that data directory, its server is used;
                     otherwise the command starts the stack, with the steps in-process or,
                     with --bootstrap FILE, as a Lambda bootstrap binary
  --aws              AWS through the standard credential chain (--profile, --region, AWS_PROFILE)
  --endpoint-url URL any Step Functions-compatible endpoint, as in the AWS CLI

Each command accepts only the flags its --help lists; most take --output text|json.

Exit codes:
  0 success   1 error   2 usage error   3 execution failed/timed out/aborted   4 export rejected

Examples:
  runner export testdata/orders.csv --where 'total > 100' --yes
  runner workflows
  runner start report --input @request.json --wait
  runner list
  runner history <execution-name|workflow|arn> --output json
  runner validate statemachine/export.asl.json

Run 'runner <command> --help' for a command's flags and examples.
`)
}

func (c *command) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: runner %s %s\n\n%s\n", c.name, c.args, c.summary)
	fs := c.flagSet(&app{})
	c.setup(&app{}, fs)
	c.printFlags(w, fs)
	if len(c.examples) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for _, e := range c.examples {
			fmt.Fprintln(w, "  "+e)
		}
	}
}

func suggest(name string) string {
	best, bestD := "", 3
	for _, c := range commands {
		if d := editDistance(name, c.name); d < bestD {
			best, bestD = c.name, d
		}
		if strings.HasPrefix(c.name, name) && len(name) >= 2 {
			return c.name
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
