package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// liveAlias is the alias every deploy points at the workflow's newest
// version (Terraform and the local stack); executions start through it.
const liveAlias = "live"

func newStartCmd() *command {
	return &command{
		name: "start", args: "[<workflow>] [--input JSON|@FILE] [--name NAME] [--wait]",
		summary: "Start an execution of a workflow (statemachine/<workflow>.asl.json, deployed as <prefix>-<workflow>), through its live alias when it has one; the export workflow when none is named.",
		examples: []string{
			`runner start demo --input '{"a":1}' --wait`,
			`runner start report --input @testdata/report/request.json --name weekly-2026-11-23`,
			`runner start --state-machine arn:aws:states:eu-west-1:123456789012:stateMachine:my-machine`,
		},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			input := fs.String("input", "", "execution input: JSON text, or @FILE to read it from a file")
			name := fs.String("name", "", "execution name (idempotent: the same name and input returns the running execution)")
			wait := fs.Bool("wait", false, "wait for the execution to end, print its output, and exit 3 if it did not succeed")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 0, 1, ""); err != nil {
					return err
				}
				if len(args) == 1 && (a.g.stateMachine != "" || a.g.workflow != "") {
					return usagef("name the workflow once: either %q or --state-machine/--workflow", args[0])
				}
				in, err := readInput(*input)
				if err != nil {
					return err
				}
				return a.withTarget(ctx, func(t *target) error {
					sm, err := a.startArn(ctx, t, args)
					if err != nil {
						return err
					}
					return a.start(ctx, t, sm, in, *name, *wait)
				})
			}
		},
	}
}

// startArn is the ARN to start: the named workflow's, or the one the
// global flags pick; its live alias when it has one.
func (a *app) startArn(ctx context.Context, t *target, args []string) (string, error) {
	var sm string
	var err error
	if len(args) == 1 {
		sm, err = a.workflowArn(ctx, t, args[0])
	} else {
		sm, err = a.stateMachineArn(ctx, t, "")
	}
	if err != nil {
		return "", err
	}
	if strings.Count(sm, ":") != 6 {
		return sm, nil // a version or alias ARN: started as given
	}
	alias := sm + ":" + liveAlias
	if _, err := t.sfn.DescribeStateMachineAlias(ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: aws.String(alias)}); err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return "", err
		}
		// No alias (a machine created by hand, an older deploy) or an
		// endpoint without aliases: start the state machine itself, as
		// it would be started before aliases existed.
		return sm, nil
	}
	return alias, nil
}

// start starts one execution of sm and prints its ARN, or with wait, waits
// for it to end and prints its output.
func (a *app) start(ctx context.Context, t *target, sm, input, name string, wait bool) error {
	req := &sfn.StartExecutionInput{StateMachineArn: aws.String(sm)}
	if input != "" {
		req.Input = aws.String(input)
	}
	if name != "" {
		req.Name = aws.String(name)
	}
	out, err := t.sfn.StartExecution(ctx, req)
	if err != nil {
		return fmt.Errorf("start execution of %s: %w", sm, err)
	}
	arn := aws.ToString(out.ExecutionArn)
	if !wait {
		return a.emit(awsJSON(out), func(w io.Writer) { fmt.Fprintln(w, arn) })
	}
	fmt.Fprintln(a.stderr, "started", arn)
	d, err := waitExecution(ctx, t, arn, nil)
	if err != nil {
		return err
	}
	return a.finish(ctx, t, d, nil)
}
