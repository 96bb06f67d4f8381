package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// globalFlags are the flags shared by several commands. Each command
// accepts only the ones it uses (see [commandGlobals]); they may appear
// anywhere on its command line.
type globalFlags struct {
	output       string
	dataDir      string
	aws          bool
	profile      string
	region       string
	endpointURL  string
	stateMachine string
	workflow     string
	bucket       string
	bootstrap    string

	// set holds the names of the flags given on the command line (not
	// those that took their value from a default or the environment).
	set map[string]bool
}

// globalSet is a set of global flags.
type globalSet uint16

const (
	gOutput globalSet = 1 << iota
	gDataDir
	gAWS
	gProfile
	gRegion
	gEndpoint
	gStateMachine
	gBucket
	gBootstrap
	gWorkflow

	// gRemote: the flags that choose a remote target.
	gRemote = gAWS | gProfile | gRegion | gEndpoint
	// gTarget: commands that open a target (the local stack, a running
	// `runner up`, or a remote endpoint) and may start the embedded stack,
	// whose steps --bootstrap runs.
	gTarget = gOutput | gDataDir | gRemote | gBootstrap
	// gExecutions: commands that name executions of a state machine.
	gExecutions = gTarget | gStateMachine | gWorkflow
)

// globalOrder lists the global flags in the order errors report them.
var globalOrder = []globalSet{gOutput, gDataDir, gAWS, gProfile, gRegion, gEndpoint, gStateMachine, gWorkflow, gBucket, gBootstrap}

// globalNames maps each global flag to its name.
var globalNames = map[globalSet]string{
	gOutput: "output", gDataDir: "data-dir", gAWS: "aws", gProfile: "profile", gRegion: "region",
	gEndpoint: "endpoint-url", gStateMachine: "state-machine", gBucket: "bucket", gBootstrap: "bootstrap",
	gWorkflow: "workflow",
}

// commandGlobals says which global flags each command uses: its --help
// lists only those, and any other is refused. Every command must be here
// (TestEveryCommandDeclaresItsGlobalFlags).
var commandGlobals = map[string]globalSet{
	"export":    gExecutions&^gWorkflow | gBucket,
	"start":     gExecutions,
	"list":      gExecutions,
	"describe":  gExecutions,
	"history":   gExecutions,
	"watch":     gExecutions,
	"stop":      gExecutions,
	"redrive":   gExecutions,
	"approvals": gTarget | gBucket,
	"approve":   gExecutions | gBucket,
	"reject":    gExecutions | gBucket,
	"up":        gOutput | gDataDir | gBootstrap,
	"console":   gTarget,
	"validate":  gOutput | gRemote,
	"graph":     0,
	"gen":       gOutput,
	"build":     gOutput,
	"deploy":    gOutput | gDataDir,
	"plan":      gOutput | gDataDir,
	"destroy":   gOutput | gDataDir,
	"outputs":   gOutput | gDataDir,
	"clean":     gOutput | gDataDir,
	"workflows": gTarget,
	"new":       gOutput,
	"test":      gOutput,
}

// globals is the set of global flags command c uses.
func (c *command) globals() globalSet { return commandGlobals[c.name] }

func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.output, "output", "text", "output format: text or json")
	fs.StringVar(&g.dataDir, "data-dir", envOr("STEPWISE_DATA_DIR", ".stepwise"), "local stack data directory (env STEPWISE_DATA_DIR)")
	fs.BoolVar(&g.aws, "aws", false, "target AWS through the standard credential chain instead of the local stack")
	fs.StringVar(&g.profile, "profile", "", "AWS profile (implies --aws; env AWS_PROFILE)")
	fs.StringVar(&g.region, "region", "", "AWS region (default from the AWS config chain)")
	fs.StringVar(&g.endpointURL, "endpoint-url", "", "Step Functions endpoint URL, as in the AWS CLI (implies a remote target)")
	fs.StringVar(&g.stateMachine, "state-machine", "", "state machine ARN or name (default: the export state machine)")
	fs.StringVar(&g.workflow, "workflow", "", "workflow name (statemachine/NAME.asl.json, deployed as <prefix>-NAME); picks the state machine like --state-machine")
	fs.StringVar(&g.bucket, "bucket", "", "export bucket (default: from the local stack or the saved Terraform outputs)")
	fs.StringVar(&g.bootstrap, "bootstrap", envOr("STEPWISE_BOOTSTRAP", ""), "when this command starts the embedded local stack: run the steps as this Lambda bootstrap binary behind the Lambda Runtime API, one process per concurrent invocation, instead of in-process (build it with: go build -tags lambda.norpc -o bootstrap ./cmd/steps; env STEPWISE_BOOTSTRAP)")
}

// check refuses global flags the command does not use and combinations
// that cannot apply, before anything is contacted.
func (g *globalFlags) check(c *command) error {
	uses := c.globals()
	for _, bit := range globalOrder {
		if name := globalNames[bit]; g.set[name] && uses&bit == 0 {
			return usagef("--%s does not apply to runner %s%s", name, c.name, usersOf(bit))
		}
	}
	switch g.output {
	case "text", "json":
	default:
		return usagef("--output must be text or json, not %q", g.output)
	}
	if g.stateMachine != "" && g.workflow != "" {
		return usagef("--state-machine and --workflow both pick the state machine: pass one of them")
	}
	if g.set["bootstrap"] && g.remote() {
		return usagef("--bootstrap %s does not apply with %s: the steps run where that target runs them; --bootstrap is for the embedded local stack", g.bootstrap, g.remoteFlag())
	}
	return nil
}

// usersOf lists the commands that do use a global flag, for an error message.
func usersOf(bit globalSet) string {
	var names []string
	for _, c := range commands {
		if c.globals()&bit != 0 {
			names = append(names, c.name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	return " (it is used by: " + strings.Join(names, ", ") + ")"
}

// remote reports whether the command targets something other than the
// embedded local stack.
func (g *globalFlags) remote() bool {
	return g.aws || g.profile != "" || g.endpointURL != ""
}

// remoteFlag names the flag that chose the remote target.
func (g *globalFlags) remoteFlag() string {
	switch {
	case g.endpointURL != "":
		return "--endpoint-url"
	case g.profile != "":
		return "--profile"
	}
	return "--aws"
}

func (c *command) flagSet(a *app) *flag.FlagSet {
	fs := flag.NewFlagSet("runner "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.g.register(fs)
	return fs
}

// printFlags writes the command's own flags, then the global flags it
// uses, in the --name form the examples use.
func (c *command) printFlags(w io.Writer, fs *flag.FlagSet) {
	global := map[string]bool{}
	for _, name := range globalNames {
		global[name] = true
	}
	uses := map[string]bool{}
	for bit, name := range globalNames {
		if c.globals()&bit != 0 {
			uses[name] = true
		}
	}
	var own, shared []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		switch {
		case !global[f.Name]:
			own = append(own, f)
		case uses[f.Name]:
			shared = append(shared, f)
		}
	})
	section := func(title string, flags []*flag.Flag) {
		if len(flags) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s:\n", title)
		for _, f := range flags {
			typ, usage := flag.UnquoteUsage(f)
			line := "  --" + f.Name
			if typ != "" {
				line += " " + typ
			}
			if def := f.DefValue; def != "" && def != "false" && def != "0" && def != "0s" {
				usage += fmt.Sprintf(" (default %q)", def)
			}
			fmt.Fprintf(w, "%s\n    \t%s\n", line, usage)
		}
	}
	section("Flags", own)
	section("Global flags", shared)
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

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
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
