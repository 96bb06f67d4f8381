package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stepwise-dev/stepwise/steps/export"
)

// stageNames maps the export workflow's states to what the user sees.
var stageNames = map[string]string{
	"Plan":            "planning",
	"ExportParts":     "exporting parts",
	"Merge":           "merging",
	"NeedsApproval":   "merging",
	"RequestApproval": "waiting for approval",
	"Decision":        "publishing",
	"Publish":         "publishing",
	"Cleanup":         "cleaning up",
}

// followExport shows an export's progress until it ends, deciding its
// approval on the way (--yes, a question on a terminal, or a pointer to
// `runner approve` otherwise).
func followExport(ctx context.Context, a *app, t *target, arn, name string, o exportOpts) (*sfn.DescribeExecutionOutput, error) {
	tty := isTerminal(os.Stderr)
	var lastLine string
	// On a terminal one line is redrawn in place, with the elapsed time; a
	// log gets a line only when the stage or the part count changes.
	show := func(line string, elapsed time.Duration) {
		if tty {
			fmt.Fprintf(a.stderr, "\r\033[K%s  [%s]", line, elapsed.Round(time.Second))
			lastLine = line
			return
		}
		if line != lastLine {
			lastLine = line
			fmt.Fprintf(a.stderr, "%s (%s)\n", line, elapsed.Round(time.Millisecond))
		}
	}
	started := time.Now()
	decided, told := false, false
	delay := 100 * time.Millisecond
	for {
		d, err := t.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			return nil, fmt.Errorf("describe %s: %w", arn, err)
		}
		if d.Status != types.ExecutionStatusRunning {
			if tty && lastLine != "" {
				fmt.Fprintln(a.stderr)
			}
			return d, nil
		}
		state := currentState(ctx, t, arn)
		line := stageNames[state]
		if line == "" {
			line = state
		}
		if done, total, ok := mapProgress(ctx, t, arn); ok && (state == "ExportParts" || total > 0 && done < total) {
			line = fmt.Sprintf("exporting parts %s %d/%d", bar(done, total, 20), done, total)
		}
		show(line, time.Since(started))

		if state == "RequestApproval" && !decided {
			rec, err := pendingApprovalFor(ctx, t, arn)
			if err == nil {
				decision, err := a.decide(rec, o, tty, &told)
				if err != nil {
					return nil, err
				}
				if decision != "" {
					if err := sendDecision(ctx, t, rec.TaskToken, export.Decision{Decision: decision, Approver: currentUser(), Comment: "decided in runner export"}); err != nil {
						return nil, err
					}
					decided = true
					lastLine = ""
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped following %s (the export keeps running; see `runner watch %s`): %w", name, name, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*2, time.Second)
	}
}

// decide returns "approve", "reject", or "" to keep waiting (someone else
// decides with `runner approve`).
func (a *app) decide(rec *pendingApproval, o exportOpts, tty bool, told *bool) (string, error) {
	if o.yes {
		return "approve", nil
	}
	if tty && isTerminal(a.stdin) {
		fmt.Fprintln(a.stderr)
		printApproval(a.stderr, rec.ApprovalRecord)
		fmt.Fprint(a.stderr, "Approve this export? [y/N] ")
		line, err := bufio.NewReader(a.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		if ans := strings.ToLower(strings.TrimSpace(line)); ans == "y" || ans == "yes" {
			return "approve", nil
		}
		return "reject", nil
	}
	if !*told {
		*told = true
		fmt.Fprintf(a.stderr, "export %s waits for approval: run `runner approve %s` or `runner reject %s` (or pass --yes)\n", rec.Execution, rec.Execution, rec.Execution)
	}
	return "", nil
}

// currentState is the name of the most recently entered top-level state.
func currentState(ctx context.Context, t *target, arn string) string {
	out, err := t.sfn.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), ReverseOrder: true, MaxResults: 25})
	if err != nil {
		return ""
	}
	for _, e := range out.Events {
		if e.StateEnteredEventDetails != nil {
			return aws.ToString(e.StateEnteredEventDetails.Name)
		}
	}
	return ""
}

// mapProgress reads the Distributed Map run's item counts.
func mapProgress(ctx context.Context, t *target, arn string) (done, total int64, ok bool) {
	runs, err := t.sfn.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(arn)})
	if err != nil || len(runs.MapRuns) == 0 {
		return 0, 0, false
	}
	d, err := t.sfn.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: runs.MapRuns[0].MapRunArn})
	if err != nil || d.ItemCounts == nil {
		return 0, 0, false
	}
	c := d.ItemCounts
	return c.Succeeded + c.Failed + c.TimedOut + c.Aborted, c.Total, true
}

func bar(done, total int64, width int) string {
	if total <= 0 {
		return "[" + strings.Repeat(" ", width) + "]"
	}
	n := int(done * int64(width) / total)
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}
