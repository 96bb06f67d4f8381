package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

func init() {
	register(&command{
		name: "start", args: "[--input JSON|@FILE] [--name NAME] [--wait] [--state-machine ARN|NAME]",
		summary: "Start an execution (of the export state machine unless --state-machine is given).",
		examples: []string{
			`runner start --state-machine my-machine --input '{"a":1}' --wait`,
			`runner start --input @request.json --name nightly-2026-11-23`,
		},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			input := fs.String("input", "", "execution input: JSON text, or @FILE to read it from a file")
			name := fs.String("name", "", "execution name (idempotent: the same name and input returns the running execution)")
			wait := fs.Bool("wait", false, "wait for the execution to end, print its output, and exit 3 if it did not succeed")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 0, 0, ""); err != nil {
					return err
				}
				in, err := readInput(*input)
				if err != nil {
					return err
				}
				t, err := a.connect(ctx)
				if err != nil {
					return err
				}
				defer t.Close()
				sm, err := a.stateMachineArn(ctx, t, "")
				if err != nil {
					return err
				}
				req := &sfn.StartExecutionInput{StateMachineArn: aws.String(sm)}
				if in != "" {
					req.Input = aws.String(in)
				}
				if *name != "" {
					req.Name = aws.String(*name)
				}
				out, err := t.sfn.StartExecution(ctx, req)
				if err != nil {
					return fmt.Errorf("start execution of %s: %w", sm, err)
				}
				arn := aws.ToString(out.ExecutionArn)
				if !*wait {
					return a.emit(awsJSON(out), func(w io.Writer) { fmt.Fprintln(w, arn) })
				}
				fmt.Fprintln(a.stderr, "started", arn)
				d, err := waitExecution(ctx, t, arn, nil)
				if err != nil {
					return err
				}
				return a.finish(d)
			}
		},
	})
	register(&command{
		name: "list", args: "[--status STATUS] [--max N] [--state-machine ARN|NAME]",
		summary:  "List executions, newest first.",
		examples: []string{"runner list", "runner list --status FAILED --output json"},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			status := fs.String("status", "", "only executions with this status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE)")
			max := fs.Int("max", 50, "at most this many executions")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 0, 0, ""); err != nil {
					return err
				}
				t, err := a.connect(ctx)
				if err != nil {
					return err
				}
				defer t.Close()
				sm, err := a.stateMachineArn(ctx, t, "")
				if err != nil {
					return err
				}
				req := &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm)}
				if *status != "" {
					req.StatusFilter = types.ExecutionStatus(strings.ToUpper(*status))
				}
				var items []types.ExecutionListItem
				p := sfn.NewListExecutionsPaginator(t.sfn, req)
				for p.HasMorePages() && len(items) < *max {
					page, err := p.NextPage(ctx)
					if err != nil {
						return fmt.Errorf("list executions: %w", err)
					}
					items = append(items, page.Executions...)
				}
				if len(items) > *max {
					items = items[:*max]
				}
				return a.emit(map[string]any{"executions": awsJSON(items)}, func(w io.Writer) {
					rows := make([][]string, len(items))
					for i, e := range items {
						rows[i] = []string{aws.ToString(e.Name), string(e.Status), fmtTime(e.StartDate), fmtTime(e.StopDate)}
					}
					if len(rows) == 0 {
						fmt.Fprintln(w, "no executions")
						return
					}
					table(w, []string{"NAME", "STATUS", "STARTED", "STOPPED"}, rows)
				})
			}
		},
	})
	register(&command{
		name: "describe", args: "<execution-arn|name>",
		summary:  "Show an execution's status, input, output or error.",
		examples: []string{"runner describe nightly-2026-11-23", "runner describe arn:aws:states:...:execution:stepwise-export:abc --output json"},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				t, arn, err := a.openExecution(ctx, args)
				if err != nil {
					return err
				}
				defer t.Close()
				d, err := t.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
				if err != nil {
					return fmt.Errorf("describe %s: %w", arn, err)
				}
				return a.emit(awsJSON(d), func(w io.Writer) { printExecution(w, d) })
			}
		},
	})
	register(&command{
		name: "history", args: "<execution-arn|name> [--reverse]",
		summary:  "Print an execution's event history.",
		examples: []string{"runner history nightly-2026-11-23", "runner history <arn> --output json"},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			reverse := fs.Bool("reverse", false, "newest event first")
			return func(ctx context.Context, args []string) error {
				t, arn, err := a.openExecution(ctx, args)
				if err != nil {
					return err
				}
				defer t.Close()
				var events []types.HistoryEvent
				p := sfn.NewGetExecutionHistoryPaginator(t.sfn, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), ReverseOrder: *reverse})
				for p.HasMorePages() {
					page, err := p.NextPage(ctx)
					if err != nil {
						return fmt.Errorf("history of %s: %w", arn, err)
					}
					events = append(events, page.Events...)
				}
				return a.emit(map[string]any{"events": awsJSON(events)}, func(w io.Writer) {
					rows := make([][]string, len(events))
					for i, e := range events {
						rows[i] = eventRow(e)
					}
					table(w, []string{"ID", "TIME", "TYPE", "DETAIL"}, rows)
				})
			}
		},
	})
	register(&command{
		name: "watch", args: "<execution-arn|name>",
		summary:  "Follow an execution's events until it ends; exit 3 if it did not succeed.",
		examples: []string{"runner watch nightly-2026-11-23"},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				t, arn, err := a.openExecution(ctx, args)
				if err != nil {
					return err
				}
				defer t.Close()
				d, err := waitExecution(ctx, t, arn, func(e types.HistoryEvent) {
					if a.g.output == "json" {
						json.NewEncoder(a.stdout).Encode(awsJSON(e))
						return
					}
					table(a.stdout, nil, [][]string{eventRow(e)})
				})
				if err != nil {
					return err
				}
				if a.g.output == "json" {
					return a.finishStatus(d)
				}
				return a.finish(d)
			}
		},
	})
	register(&command{
		name: "stop", args: "<execution-arn|name> [--error NAME] [--cause TEXT]",
		summary:  "Stop a running execution (it ends ABORTED).",
		examples: []string{`runner stop nightly-2026-11-23 --cause "started by mistake"`},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			errName := fs.String("error", "", "error name recorded on the execution")
			cause := fs.String("cause", "", "cause recorded on the execution")
			return func(ctx context.Context, args []string) error {
				t, arn, err := a.openExecution(ctx, args)
				if err != nil {
					return err
				}
				defer t.Close()
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
			}
		},
	})
	register(&command{
		name: "redrive", args: "<execution-arn|name>",
		summary:  "Redrive a FAILED, TIMED_OUT or ABORTED execution from the state that failed.",
		examples: []string{"runner redrive nightly-2026-11-23 && runner watch nightly-2026-11-23"},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				t, arn, err := a.openExecution(ctx, args)
				if err != nil {
					return err
				}
				defer t.Close()
				out, err := t.sfn.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(arn)})
				if err != nil {
					return fmt.Errorf("redrive %s: %w", arn, err)
				}
				return a.emit(awsJSON(out), func(w io.Writer) { fmt.Fprintf(w, "redriven %s at %s\n", arn, fmtTime(out.RedriveDate)) })
			}
		},
	})
}

// openExecution connects to the target and resolves the one positional
// argument of an execution command (an ARN or a name). The caller closes
// the target.
func (a *app) openExecution(ctx context.Context, args []string) (*target, string, error) {
	if err := wantArgs(args, 1, 1, "execution ARN or name"); err != nil {
		return nil, "", err
	}
	t, err := a.connect(ctx)
	if err != nil {
		return nil, "", err
	}
	arn, err := a.executionArn(ctx, t, args[0])
	if err != nil {
		t.Close()
		return nil, "", err
	}
	return t, arn, nil
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

// finish prints an ended execution's output (or error) and maps its status
// to the exit code.
func (a *app) finish(d *sfn.DescribeExecutionOutput) error {
	if err := a.emit(awsJSON(d), func(w io.Writer) {
		if d.Status == types.ExecutionStatusSucceeded {
			fmt.Fprintln(w, aws.ToString(d.Output))
			return
		}
		printExecution(w, d)
	}); err != nil {
		return err
	}
	return a.finishStatus(d)
}

func (a *app) finishStatus(d *sfn.DescribeExecutionOutput) error {
	if d.Status == types.ExecutionStatusSucceeded {
		return nil
	}
	return &exitStatus{code: exitExecFailed, msg: fmt.Sprintf("execution %s: %s %s", string(d.Status), aws.ToString(d.Error), aws.ToString(d.Cause))}
}

func printExecution(w io.Writer, d *sfn.DescribeExecutionOutput) {
	rows := [][]string{
		{"execution", aws.ToString(d.ExecutionArn)},
		{"status", string(d.Status)},
		{"started", fmtTime(d.StartDate)},
		{"stopped", fmtTime(d.StopDate)},
	}
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
		rows = append(rows, []string{"cause", aws.ToString(d.Cause)})
	}
	if d.RedriveCount != nil && *d.RedriveCount > 0 {
		rows = append(rows, []string{"redrives", fmt.Sprint(*d.RedriveCount)})
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%-10s %s\n", r[0]+":", r[1])
	}
}

// eventRow summarises one history event for the text table.
func eventRow(e types.HistoryEvent) []string {
	detail := ""
	switch {
	case e.StateEnteredEventDetails != nil:
		detail = aws.ToString(e.StateEnteredEventDetails.Name)
	case e.StateExitedEventDetails != nil:
		detail = aws.ToString(e.StateExitedEventDetails.Name)
	case e.TaskScheduledEventDetails != nil:
		detail = aws.ToString(e.TaskScheduledEventDetails.ResourceType) + ":" + aws.ToString(e.TaskScheduledEventDetails.Resource)
	case e.LambdaFunctionScheduledEventDetails != nil:
		detail = aws.ToString(e.LambdaFunctionScheduledEventDetails.Resource)
	default:
		if name, cause := failureOf(e); name != "" || cause != "" {
			detail = strings.TrimSpace(name + " " + truncate(cause, 120))
		}
	}
	return []string{fmt.Sprint(e.Id), fmtTime(e.Timestamp), string(e.Type), detail}
}

// failureOf extracts error and cause from any *Failed/*TimedOut/*Aborted event.
func failureOf(e types.HistoryEvent) (string, string) {
	m, _ := awsJSON(e).(map[string]any)
	for k, v := range m {
		if !strings.HasSuffix(k, "EventDetails") {
			continue
		}
		d, _ := v.(map[string]any)
		name, _ := d["error"].(string)
		cause, _ := d["cause"].(string)
		if name != "" || cause != "" {
			return name, cause
		}
	}
	return "", ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
