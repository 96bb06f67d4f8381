package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

func newDescribeCmd() *command {
	return &command{
		name: "describe", args: "<execution-name|workflow|execution-arn>",
		summary:  "Show an execution's status, input, output or error.",
		examples: []string{"runner describe nightly-2026-11-23", "runner describe report   # the report workflow's latest execution", "runner describe ok-1 --workflow export", "runner describe arn:aws:states:...:execution:stepwise-export:abc --output json"},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				return a.withExecution(ctx, args, func(t *target, arn string) error {
					d, err := t.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
					if err != nil {
						return fmt.Errorf("describe %s: %w", arn, err)
					}
					var f *failure
					if a.g.output == "text" && ended(d.Status) && d.Status != types.ExecutionStatusSucceeded {
						f = explainExecution(ctx, t, arn)
					}
					return a.emit(awsJSON(d), func(w io.Writer) { printExecution(w, d, f) })
				})
			}
		},
	}
}

func newHistoryCmd() *command {
	return &command{
		name: "history", args: "<execution-name|workflow|execution-arn> [--reverse]",
		summary:  "Print an execution's event history.",
		examples: []string{"runner history nightly-2026-11-23", "runner history <arn> --output json"},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			reverse := fs.Bool("reverse", false, "newest event first")
			return func(ctx context.Context, args []string) error {
				return a.withExecution(ctx, args, func(t *target, arn string) error {
					events, err := readHistory(ctx, t, arn)
					if err != nil {
						return err
					}
					shown := events
					if *reverse {
						shown = slices.Clone(events)
						slices.Reverse(shown)
					}
					return a.emit(map[string]any{"events": awsJSON(shown)}, func(w io.Writer) {
						// Lanes and durations are worked out oldest first.
						var rows strings.Builder
						tab := newEventTable(&rows)
						for _, e := range events {
							tab.event(e)
						}
						lines := strings.SplitAfter(rows.String(), "\n")
						if *reverse {
							slices.Reverse(lines)
						}
						tab.w = w
						tab.header()
						fmt.Fprint(w, strings.Join(lines, ""))
					})
				})
			}
		},
	}
}

func newWatchCmd() *command {
	return &command{
		name: "watch", args: "<execution-name|workflow|execution-arn>",
		summary:  "Follow an execution's events until it ends; exit 3 if it did not succeed.",
		examples: []string{"runner watch nightly-2026-11-23"},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				return a.withExecution(ctx, args, func(t *target, arn string) error {
					tab := newEventTable(a.stdout)
					if a.g.output == "text" {
						tab.header()
					}
					d, err := waitExecution(ctx, t, arn, func(e types.HistoryEvent) {
						if a.g.output == "json" {
							tab.view.add(e)
							json.NewEncoder(a.stdout).Encode(awsJSON(e))
							return
						}
						tab.event(e)
					})
					if err != nil {
						return err
					}
					if a.g.output == "json" {
						return a.finishStatus(t, d, tab.view.explain())
					}
					return a.finish(ctx, t, d, tab.view)
				})
			}
		},
	}
}

func newStopCmd() *command {
	return &command{
		name: "stop", args: "<execution-name|workflow|execution-arn> [--error NAME] [--cause TEXT]",
		summary:  "Stop a running execution (it ends ABORTED).",
		examples: []string{`runner stop nightly-2026-11-23 --cause "started by mistake"`},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			errName := fs.String("error", "", "error name recorded on the execution")
			cause := fs.String("cause", "", "cause recorded on the execution")
			return func(ctx context.Context, args []string) error {
				return a.withExecution(ctx, args, func(t *target, arn string) error {
					req := &sfn.StopExecutionInput{ExecutionArn: aws.String(arn)}
					if *errName != "" {
						req.Error = errName
					}
					if *cause != "" {
						req.Cause = cause
					}
					out, err := t.sfn.StopExecution(ctx, req)
					if err != nil {
						return fmt.Errorf("stop %s: %w", arn, err)
					}
					return a.emit(awsJSON(out), func(w io.Writer) { fmt.Fprintf(w, "stopped %s at %s\n", arn, fmtTime(out.StopDate)) })
				})
			}
		},
	}
}

func newRedriveCmd() *command {
	return &command{
		name: "redrive", args: "<execution-name|workflow|execution-arn>",
		summary:  "Redrive a FAILED, TIMED_OUT or ABORTED execution from the state that failed.",
		examples: []string{"runner redrive nightly-2026-11-23 && runner watch nightly-2026-11-23"},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				return a.withExecution(ctx, args, func(t *target, arn string) error {
					out, err := t.sfn.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(arn)})
					if err != nil {
						return fmt.Errorf("redrive %s: %w", arn, err)
					}
					return a.emit(awsJSON(out), func(w io.Writer) { fmt.Fprintf(w, "redriven %s at %s\n", arn, fmtTime(out.RedriveDate)) })
				})
			}
		},
	}
}

// withExecution checks that args is one execution ARN or name or a
// workflow name (its latest execution), opens the target (see
// [app.withTarget]), resolves the execution on it (across every state
// machine unless --state-machine or --workflow picks one), and runs fn.
func (a *app) withExecution(ctx context.Context, args []string, fn func(t *target, arn string) error) error {
	if err := wantArgs(args, 1, 1, "execution ARN or name"); err != nil {
		return err
	}
	return a.withTarget(ctx, func(t *target) error {
		arn, err := a.executionArn(ctx, t, args[0])
		if err != nil {
			return err
		}
		return fn(t, arn)
	})
}

// readInput returns JSON text from --input (literal or @file), checked.
func readInput(in string) (string, error) {
	if in == "" {
		return "", nil
	}
	text := in
	if strings.HasPrefix(in, "@") {
		data, err := os.ReadFile(in[1:])
		if err != nil {
			return "", usagef("--input: %v", err)
		}
		text = string(data)
	}
	if !json.Valid([]byte(text)) {
		var v any
		err := json.Unmarshal([]byte(text), &v)
		return "", usagef("--input is not valid JSON: %v", err)
	}
	return text, nil
}

// waitExecution polls the history until the execution ends, reporting each
// new event to onEvent (if set), and returns the final description.
func waitExecution(ctx context.Context, t *target, arn string, onEvent func(types.HistoryEvent)) (*sfn.DescribeExecutionOutput, error) {
	var seen int64
	delay := 50 * time.Millisecond
	for {
		if onEvent != nil {
			p := sfn.NewGetExecutionHistoryPaginator(t.sfn, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, fmt.Errorf("history of %s: %w", arn, err)
				}
				for _, e := range page.Events {
					if e.Id > seen {
						seen = e.Id
						onEvent(e)
					}
				}
			}
		}
		d, err := t.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			return nil, fmt.Errorf("describe %s: %w", arn, err)
		}
		if d.Status != types.ExecutionStatusRunning && d.Status != types.ExecutionStatusPendingRedrive {
			if onEvent != nil {
				// Print the events that arrived between the last history read and the end.
				p := sfn.NewGetExecutionHistoryPaginator(t.sfn, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
				for p.HasMorePages() {
					page, err := p.NextPage(ctx)
					if err != nil {
						return nil, err
					}
					for _, e := range page.Events {
						if e.Id > seen {
							seen = e.Id
							onEvent(e)
						}
					}
				}
			}
			return d, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, time.Second)
	}
}

// readHistory reads an execution's whole history, oldest event first.
func readHistory(ctx context.Context, t *target, arn string) ([]types.HistoryEvent, error) {
	var events []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(t.sfn, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", arn, err)
		}
		events = append(events, page.Events...)
	}
	return events, nil
}

// explainExecution reads the history of a failed execution and says which
// state failed; nil if the history cannot be read.
func explainExecution(ctx context.Context, t *target, arn string) *failure {
	events, err := readHistory(ctx, t, arn)
	if err != nil {
		return nil
	}
	v := newHistoryView()
	for _, e := range events {
		v.add(e)
	}
	return v.explain()
}

func ended(s types.ExecutionStatus) bool {
	return s != types.ExecutionStatusRunning && s != types.ExecutionStatusPendingRedrive
}

// finish prints an ended execution's output (or its failure) and maps its
// status to the exit code. view holds the history when the caller has
// followed it already.
func (a *app) finish(ctx context.Context, t *target, d *sfn.DescribeExecutionOutput, view *historyView) error {
	var f *failure
	if d.Status != types.ExecutionStatusSucceeded {
		if view != nil {
			f = view.explain()
		} else {
			f = explainExecution(ctx, t, aws.ToString(d.ExecutionArn))
		}
	}
	if err := a.emit(awsJSON(d), func(w io.Writer) {
		if d.Status == types.ExecutionStatusSucceeded {
			fmt.Fprintln(w, aws.ToString(d.Output))
			return
		}
		printExecution(w, d, f)
	}); err != nil {
		return err
	}
	return a.finishStatus(t, d, f)
}

// finishStatus ends the command with exit code 3 unless the execution
// succeeded, saying which state failed, why, and how to see more.
func (a *app) finishStatus(t *target, d *sfn.DescribeExecutionOutput, f *failure) error {
	if d.Status == types.ExecutionStatusSucceeded {
		return nil
	}
	arn := aws.ToString(d.ExecutionArn)
	return &exitStatus{code: exitExecFailed, msg: a.failureMessage("execution "+executionName(arn), d, f) + "\nsee its history: " + a.historyCommand(t, arn)}
}

// failureMessage is "<what> FAILED in state S: Error: message".
func (a *app) failureMessage(what string, d *sfn.DescribeExecutionOutput, f *failure) string {
	msg := what + " " + string(d.Status)
	errName, cause := aws.ToString(d.Error), causeMessage(aws.ToString(d.Cause))
	if f != nil {
		if f.State != "" {
			msg += " in state " + f.State
			if f.Lane != "" {
				msg += " (" + f.Lane + ")"
			}
		}
		if f.Error != "" {
			errName, cause = f.Error, f.Message
		}
	}
	if errName != "" {
		msg += ": " + errName
	}
	if cause != "" {
		msg += ": " + cause
	}
	return msg
}

// executionName is the last part of an execution ARN.
func executionName(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) >= 8 {
		return parts[7]
	}
	return arn
}

// historyCommand is the runner command line that shows the execution's
// history on the same target: by name for the default state machine, by
// ARN otherwise.
func (a *app) historyCommand(t *target, arn string) string {
	ref := arn
	parts := strings.Split(arn, ":")
	if len(parts) >= 8 {
		machine := exportStateMachineName
		if t != nil && t.smArn != "" {
			machine = t.smArn[strings.LastIndex(t.smArn, ":")+1:]
		}
		switch {
		case a.g.stateMachine != "" && (a.g.stateMachine == parts[6] || strings.HasSuffix(a.g.stateMachine, ":stateMachine:"+parts[6])):
			ref = parts[7] + " --state-machine " + parts[6]
		case a.g.stateMachine == "" && parts[6] == machine:
			ref = parts[7]
		}
	}
	cmd := "runner history " + ref
	for _, f := range []struct{ name, value string }{
		{"data-dir", a.g.dataDir}, {"profile", a.g.profile}, {"region", a.g.region}, {"endpoint-url", a.g.endpointURL},
	} {
		if a.g.set[f.name] {
			cmd += " --" + f.name + " " + f.value
		}
	}
	if a.g.aws && a.g.profile == "" {
		cmd += " --aws"
	}
	return cmd
}

// printExecution shows an execution; f, when known, names the state that
// failed, and the cause is shown unwrapped from a Lambda error document
// (--output json keeps it as recorded).
func printExecution(w io.Writer, d *sfn.DescribeExecutionOutput, f *failure) {
	rows := [][]string{
		{"execution", aws.ToString(d.ExecutionArn)},
		{"status", string(d.Status)},
	}
	if f != nil && f.State != "" {
		state := f.State
		if f.Lane != "" {
			state += " (" + f.Lane + ")"
		}
		rows = append(rows, []string{"state", state})
	}
	rows = append(rows, [][]string{
		{"started", fmtTime(d.StartDate)},
		{"stopped", fmtTime(d.StopDate)},
	}...)
	if d.StateMachineVersionArn != nil {
		rows = append(rows, []string{"version", aws.ToString(d.StateMachineVersionArn)})
	}
	if d.StateMachineAliasArn != nil {
		rows = append(rows, []string{"alias", aws.ToString(d.StateMachineAliasArn)})
	}
	if d.Input != nil {
		rows = append(rows, []string{"input", aws.ToString(d.Input)})
	}
	if d.Output != nil {
		rows = append(rows, []string{"output", aws.ToString(d.Output)})
	}
	if d.Error != nil {
		rows = append(rows, []string{"error", aws.ToString(d.Error)})
	}
	if d.Cause != nil {
		rows = append(rows, []string{"cause", causeMessage(aws.ToString(d.Cause))})
	}
	if d.RedriveCount != nil && *d.RedriveCount > 0 {
		rows = append(rows, []string{"redrives", fmt.Sprint(*d.RedriveCount)})
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%-10s %s\n", r[0]+":", r[1])
	}
}
