package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	lambdalocal "github.com/stepwise-dev/stepwise/local/lambda"
	locals3 "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/local/sfnapi"
	"github.com/stepwise-dev/stepwise/local/stack"
	"github.com/stepwise-dev/stepwise/statemachine/workflow"
)

// Fixed default ports of `runner up`, so that endpoints in scripts and the
// README stay valid across restarts.
const (
	defaultUpAddr   = "127.0.0.1:8083"
	defaultUpS3Addr = "127.0.0.1:8084"
)

func newUpCmd() *command {
	return &command{
		name: "up", args: "[--addr 127.0.0.1:PORT] [--s3-addr 127.0.0.1:PORT] [--mock-config FILE] [--endpoint SERVICE=URL]... [--connections FILE]",
		summary: "Serve the local stack (Step Functions API, S3, Lambda steps, every workflow with its S3 trigger and schedules) in the foreground until interrupted.",
		examples: []string{
			"runner up --addr 127.0.0.1:8083 --s3-addr 127.0.0.1:8084",
			"export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test",
			"aws stepfunctions list-state-machines --endpoint-url http://stepwise@127.0.0.1:8083",
			"aws s3 ls s3://stepwise/ --endpoint-url http://127.0.0.1:8084",
			"runner up --endpoint sqs=http://127.0.0.1:5000 --endpoint dynamodb=http://127.0.0.1:5000",
		},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			addr := fs.String("addr", defaultUpAddr, "Step Functions API listen address (127.0.0.1 unless you mean otherwise; port 0: any free port)")
			s3Addr := fs.String("s3-addr", defaultUpS3Addr, "S3 API listen address (port 0: any free port)")
			mockConfig := fs.String("mock-config", "", "an AWS Step Functions Local mock config file: StartExecution on <stateMachineArn>#<TestCase> runs that test case with its mocked responses")
			connections := fs.String("connections", "", "a JSON file of EventBridge connections (ARN or name -> {AuthorizationType BASIC|API_KEY, AuthParameters}) whose auth and parameters HTTP Tasks add; without it a ConnectionArn adds nothing; "+connectionsEnv+" works too")
			var endpoints multiFlag
			fs.Var(&endpoints, "endpoint", "SERVICE=URL: where Task integrations of SERVICE (sqs, sns, events, dynamodb, s3) call, e.g. a moto_server or LocalStack; repeatable; AWS_ENDPOINT_URL_<SERVICE> works too")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 0, 0, ""); err != nil {
					return err
				}
				if err := useMockConfig(*mockConfig); err != nil {
					return err
				}
				if err := useEndpoints(endpoints); err != nil {
					return err
				}
				if err := useConnections(*connections); err != nil {
					return err
				}
				if err := checkAddrFree("--addr", *addr); err != nil {
					return err
				}
				if err := checkAddrFree("--s3-addr", *s3Addr); err != nil {
					return err
				}
				st, err := openStack(ctx, a.g.dataDir, *addr, *s3Addr, a.g.bootstrap)
				if err != nil {
					return err
				}
				ep := st.Endpoints
				usage, _ := dirUsage(st.DataDir())
				err = a.emit(ep, func(w io.Writer) {
					fmt.Fprintf(w, "stepfunctions %s\n", ep.StepFunctions)
					// The AWS CLI and boto3 reach StartSyncExecution and TestState too.
					fmt.Fprintf(w, "stepfunctions-cli %s\n", sfnapi.CLIEndpoint(ep.StepFunctions))
					fmt.Fprintf(w, "console %s/ (web console; the API keeps POST /)\n", ep.StepFunctions)
					if ep.S3 != "" {
						fmt.Fprintf(w, "s3 %s (keys %s/%s or %s/%s)\n", ep.S3,
							locals3.ConventionalAccessKey, locals3.ConventionalSecretKey, ep.S3AccessKey, ep.S3SecretKey)
					}
					if ep.StateMachineArn != "" {
						fmt.Fprintf(w, "statemachine %s\n", ep.StateMachineArn)
					}
					for _, wf := range st.Workflows {
						fmt.Fprintln(w, workflowLine(wf))
					}
					// What a Task of a state machine of one's own calls
					// (Resource, or FunctionName of lambda:invoke).
					for _, fn := range st.Functions {
						fmt.Fprintf(w, "function %s\n", fn)
					}
					// What an activity worker polls (GetActivityTask).
					for _, a := range st.Activities {
						fmt.Fprintf(w, "activity %s\n", a)
					}
					if ep.Bucket != "" {
						fmt.Fprintf(w, "bucket %s\n", ep.Bucket)
					}
					for _, e := range sortedEndpoints(serviceEndpoints()) {
						fmt.Fprintf(w, "endpoint %s\n", e)
					}
					if f := connectionsFile(); f != "" {
						fmt.Fprintf(w, "connections %s (HTTP Tasks get these connections' auth and parameters)\n", f)
					}
					if st.ApprovalURL != "" {
						fmt.Fprintf(w, "approvals %s (decision links arrive in s3://%s/approvals/outbox/ and are printed here)\n", st.ApprovalURL, ep.Bucket)
					}
					fmt.Fprintf(w, "data %s (%s; runner clean frees work files, uploads and decided approvals)\n", st.DataDir(), humanBytes(usage))
					// What the AWS CLI and SDKs need besides --endpoint-url:
					// a region and keys (the Step Functions API takes any).
					fmt.Fprintf(w, "export AWS_REGION=%s AWS_DEFAULT_REGION=%[1]s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s\n",
						ep.Region, locals3.ConventionalAccessKey, locals3.ConventionalSecretKey)
				})
				if err != nil {
					st.Close()
					return err
				}
				// Retention, as the bucket's lifecycle rules on AWS: work
				// files of finished executions after 7 days, decided
				// approvals after 30; never exports.
				watched := make(chan struct{})
				if t, err := localTarget(ctx, &st.Endpoints); err == nil {
					go retain(ctx, t, a.stderr)
					go func() {
						defer close(watched)
						watchOutbox(ctx, t, a.notificationOut())
					}()
				} else {
					close(watched)
				}
				fmt.Fprintln(a.stderr, "serving; press Ctrl-C to stop")
				<-ctx.Done()
				fmt.Fprintln(a.stderr, "stopping")
				<-watched // its last look at the outbox needs the S3 server
				return st.Close()
			}
		},
	}
}

// workflowLine describes a deployed workflow on one line: its name, the
// alias executions start through, its trigger and its schedules.
//
//	workflow report arn:aws:states:us-east-1:123456789012:stateMachine:stepwise-report:live schedules weekly=cron(0 6 ? * MON *) Europe/Berlin
func workflowLine(w stack.Workflow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "workflow %s %s", w.Name, w.AliasArn)
	if w.TriggerFile != "" {
		fmt.Fprintf(&b, " trigger %s", w.TriggerFile)
	}
	if len(w.Schedules) > 0 {
		b.WriteString(" schedules")
		for i, s := range w.Schedules {
			sep := " "
			if i > 0 {
				sep = ", "
			}
			fmt.Fprintf(&b, "%s%s=%s %s", sep, s.Name, s.Expression, s.Timezone)
			if !s.Enabled {
				b.WriteString(" (disabled)")
			}
		}
	}
	return b.String()
}

// retain applies the local retention now and every retentionInterval
// until ctx is done.
func retain(ctx context.Context, t *target, log io.Writer) {
	p := cleanPolicy{work: workRetention, decided: decidedRetention, uploads: -1}
	for {
		if res, err := cleanStack(ctx, t, p, time.Now()); err != nil && ctx.Err() == nil {
			fmt.Fprintf(log, "retention: %v\n", err)
		} else if err == nil && res.Objects > 0 {
			fmt.Fprintf(log, "retention: removed %d old work files and decided approvals (%s)\n", res.Objects, humanBytes(res.Bytes))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(retentionInterval):
		}
	}
}

// checkAddrFree fails with a message naming the flag when addr is taken.
// It retries for a moment: the S3 server of a stack killed a moment ago
// releases its port as soon as it notices.
func checkAddrFree(flagName, addr string) error {
	for i := 0; ; i++ {
		l, err := net.Listen("tcp", addr)
		if err == nil {
			l.Close()
			return nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return usagef("%s %s: %v", flagName, addr, err)
		}
		if i == 20 {
			return fmt.Errorf("%s %s is in use (another `runner up`? its data directory's endpoints.json names it): stop that process, or pass %s 127.0.0.1:PORT (port 0 for any free port)", flagName, addr, flagName)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// userStepsBootstrap makes the steps of steps/steps.json that this
// runner's own step registry lacks runnable: a team's new step is
// registered in steps/steps.go and listed in steps.json of its checkout,
// but a runner built before it does not have it in process. When the
// checkout has cmd/steps, it builds the bootstrap from it
// (go build -tags lambda.norpc -o <dataDir>/bootstrap ./cmd/steps) and
// returns its path: the stack serves the missing steps from it through
// the local Lambda Runtime API, as Lambda would, and the others in
// process. It returns "" when nothing is missing, and an error saying
// which steps are missing and what to do when it cannot build one.
func userStepsBootstrap(ctx context.Context, dataDir string, registry map[string]any, repo fs.FS, note io.Writer) (string, error) {
	if _, err := workflow.Load(repo); err != nil {
		return "", nil // the stack reports every problem of the files first
	}
	b, err := fs.ReadFile(repo, stack.StepsFile)
	if err != nil {
		return "", nil // likewise
	}
	listed, err := lambdalocal.ParseSteps(stack.StepsFile, b)
	if err != nil {
		return "", nil // likewise
	}
	var missing []string
	for _, name := range listed.StepNames() {
		if _, ok := registry[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return "", nil
	}
	what := fmt.Sprintf("step %s listed in %s is not built into this runner", strings.Join(missing, ", "), stack.StepsFile)
	if len(missing) > 1 {
		what = fmt.Sprintf("steps %s listed in %s are not built into this runner", strings.Join(missing, ", "), stack.StepsFile)
	}
	_, dir, err := checkoutFiles()
	if err != nil {
		return "", fmt.Errorf("%s, and there is no checkout to build them from: run the runner in your checkout (or set STEPWISE_REPO to it) so that it builds cmd/steps, or pass --bootstrap with a bootstrap built with: go build -tags lambda.norpc -o bootstrap ./cmd/steps", what)
	}
	if fi, err := os.Stat(filepath.Join(dir, "cmd", "steps")); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("%s, and %s has no cmd/steps to build a bootstrap from: register the step in steps/steps.go and keep the bootstrap command in cmd/steps, or pass --bootstrap with a bootstrap that serves it", what, dir)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("%s; building them from %s/cmd/steps needs the Go toolchain, which is not on PATH: install Go, or pass --bootstrap", what, dir)
	}
	out, err := filepath.Abs(filepath.Join(dataDir, "bootstrap"))
	if err != nil {
		return "", err
	}
	them := "it"
	if len(missing) > 1 {
		them = "them"
	}
	fmt.Fprintf(note, "runner: %s; building %s from %s/cmd/steps to serve %s\n", what, out, dir, them)
	cmd := exec.CommandContext(ctx, goTool, "build", "-trimpath", "-tags", "lambda.norpc", "-o", out, "./cmd/steps")
	cmd.Dir = dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s; building them (go build -tags lambda.norpc -o %s ./cmd/steps in %s) failed: %v\n%s", what, out, dir, err, msg)
	}
	return out, nil
}
