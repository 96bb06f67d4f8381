package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
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
	"RemindApproval":  "waiting for approval (reminded)",
	"ApprovalExpired": "approval expired",
	"NotifyExpired":   "approval expired",
	"Decision":        "publishing",
	"Publish":         "publishing",
	"Cleanup":         "cleaning up",
}

// followExport shows an export's progress until it ends, deciding its
// approval on the way (--yes, a question on a terminal, or a pointer to
// `runner approve` otherwise).
func followExport(ctx context.Context, a *app, t *target, arn, name string, o exportOpts) (*sfn.DescribeExecutionOutput, error) {
	interactive := isTerminal(stderrFile(a))
	stage := newStageLine(a)
	defer stage.stop()
	started := time.Now()
	decided, told := false, false
	delay := 100 * time.Millisecond
	for {
		d, err := t.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			return nil, fmt.Errorf("describe %s: %w", arn, err)
		}
		if d.Status != types.ExecutionStatusRunning {
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
		stage.set(line, time.Since(started))

		if (state == "RequestApproval" || state == "RemindApproval") && !decided {
			rec, err := pendingApprovalFor(ctx, t, arn)
			if err == nil {
				// decide may print (a question, or once where to approve).
				prints := !o.yes && (interactive && isTerminal(a.stdin) || !told)
				if prints {
					stage.pause()
				}
				decision, err := a.decide(rec, o, interactive, &told)
				if prints {
					stage.resume()
				}
				if err != nil {
					return nil, err
				}
				if decision != "" {
					d := export.Decision{Decision: decision, Approver: currentUser(), Comment: "decided in runner export"}
					err := sendDecision(ctx, t, rec.TaskToken, d)
					if timedOut := (*types.TaskTimedOut)(nil); errors.As(err, &timedOut) {
						// Answered after the reminder renewed the token.
						if again, rerr := pendingApprovalFor(ctx, t, arn); rerr == nil && again.TaskToken != rec.TaskToken {
							err = sendDecision(ctx, t, again.TaskToken, d)
						}
					}
					if err != nil {
						return nil, err
					}
					decided = true
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

// stderrFile is the command's standard error as a file, or nil.
func stderrFile(a *app) io.Reader {
	if f, ok := a.stderr.(*os.File); ok {
		return f
	}
	return nil
}

// stageLine shows which stage an export is in. On a terminal (text output)
// one line is redrawn in place every stageRedraw with the time so far, so
// that a long stage (planning a large source) never looks stuck; a log gets
// one line per stage change; --output json gets nothing.
type stageLine struct {
	a        *app
	tty      bool
	mu       sync.Mutex
	line     string
	logged   string
	started  time.Time
	paused   bool
	drawn    bool
	quit     chan struct{}
	finished chan struct{}
}

const stageRedraw = 200 * time.Millisecond

func newStageLine(a *app) *stageLine {
	s := &stageLine{a: a, tty: a.showsProgress(), started: time.Now(), quit: make(chan struct{}), finished: make(chan struct{})}
	if !s.tty {
		close(s.finished)
		return s
	}
	go func() {
		defer close(s.finished)
		tick := time.NewTicker(stageRedraw)
		defer tick.Stop()
		for {
			select {
			case <-s.quit:
				return
			case <-tick.C:
				s.mu.Lock()
				s.draw()
				s.mu.Unlock()
			}
		}
	}()
	return s
}

// set records the current stage; elapsed is the time since the export
// started.
func (s *stageLine) set(line string, elapsed time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.tty:
		s.line = line
		s.draw()
	case s.a.g.output == "text" && line != s.logged:
		s.logged = line
		fmt.Fprintf(s.a.stderr, "%s (%s)\n", line, elapsed.Round(time.Millisecond))
	}
}

func (s *stageLine) draw() {
	if s.paused || s.line == "" {
		return
	}
	s.drawn = true
	fmt.Fprintf(s.a.stderr, "\r\033[K%s  %s", s.line, time.Since(s.started).Round(100*time.Millisecond))
}

// pause ends the line so that something else can be printed (the approval
// question); resume draws it again.
func (s *stageLine) pause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drawn {
		fmt.Fprintln(s.a.stderr)
		s.drawn = false
	}
	s.paused = true
}

func (s *stageLine) resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paused = false
}

// stop ends the redrawing and the line.
func (s *stageLine) stop() {
	if s.tty {
		close(s.quit)
	}
	<-s.finished
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drawn {
		fmt.Fprintln(s.a.stderr)
		s.drawn = false
	}
}
