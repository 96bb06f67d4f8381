package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os/user"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stepwise-dev/stepwise/steps/export"
)

func init() {
	for _, c := range []struct {
		name, summary string
		approve       bool
	}{
		{"approve", "Approve a pending export (by execution ARN or name, or by task token).", true},
		{"reject", "Reject a pending export; the execution ends ExportRejected and cleans up.", false},
	} {
		c := c
		register(&command{
			name: c.name, args: "<execution-arn|name|task-token> [--comment TEXT]",
			summary: c.summary,
			examples: []string{
				"runner " + c.name + " nightly-2026-11-23 --comment 'numbers checked'",
				"runner " + c.name + " AQB8AAAAKgAAAAMAAAAAAAAAAT... (a task token)",
			},
			setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
				comment := fs.String("comment", "", "a comment recorded with the decision")
				return func(ctx context.Context, args []string) error {
					if err := wantArgs(args, 1, 1, "execution ARN, execution name or task token"); err != nil {
						return err
					}
					t, err := a.connect(ctx)
					if err != nil {
						return err
					}
					defer t.Close()
					token, err := a.resolveToken(ctx, t, args[0])
					if err != nil {
						return err
					}
					d := export.Decision{Decision: map[bool]string{true: "approve", false: "reject"}[c.approve], Approver: currentUser(), Comment: *comment}
					if err := sendDecision(ctx, t, token, d); err != nil {
						return err
					}
					verb := map[bool]string{true: "approved", false: "rejected"}[c.approve]
					return a.emit(d, func(w io.Writer) { fmt.Fprintln(w, verb) })
				}
			},
		})
	}
}

// sendDecision completes the approval task with the decision as its
// output; the export state machine routes a rejection to ExportRejected
// (after cleaning up) and records the approver either way.
func sendDecision(ctx context.Context, t *target, token string, d export.Decision) error {
	out, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if _, err := t.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(out))}); err != nil {
		return fmt.Errorf("send the %s decision: %w", d.Decision, err)
	}
	return nil
}

// resolveToken turns an execution reference (ARN or name) into the task
// token of its pending approval. A reference that names no execution with
// a pending approval is taken as a task token itself.
func (a *app) resolveToken(ctx context.Context, t *target, ref string) (string, error) {
	isArn := strings.HasPrefix(ref, "arn:")
	if !isArn && len(ref) > 80 { // longer than any execution name
		return ref, nil
	}
	arn, err := a.executionArn(ctx, t, ref)
	if err != nil {
		if isArn {
			return "", err
		}
		return ref, nil
	}
	p, err := pendingApprovalFor(ctx, t, arn)
	if err != nil {
		if isArn {
			return "", err
		}
		return ref, nil
	}
	return p.TaskToken, nil
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

func init() {
	register(&command{
		name: "approvals", args: "[--bucket BUCKET]",
		summary:  "List exports waiting for approval, with their row counts, columns, filter and sample rows.",
		examples: []string{"runner approvals", "runner approvals --output json"},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 0, 0, ""); err != nil {
					return err
				}
				t, err := a.connect(ctx)
				if err != nil {
					return err
				}
				defer t.Close()
				all, err := pendingApprovals(ctx, t)
				if err != nil {
					return err
				}
				recs := make([]export.ApprovalRecord, len(all))
				for i, p := range all {
					recs[i] = p.ApprovalRecord
					recs[i].TaskToken = "" // tokens stay out of listings; approve by execution name
				}
				return a.emit(map[string]any{"approvals": recs}, func(w io.Writer) {
					if len(recs) == 0 {
						fmt.Fprintln(w, "no pending approvals")
						return
					}
					for _, r := range recs {
						printApproval(w, r)
					}
				})
			}
		},
	})
}

// printApproval shows what an approver needs to decide.
func printApproval(w io.Writer, r export.ApprovalRecord) {
	fmt.Fprintf(w, "%s  (%s)\n", r.Execution, r.Name)
	fmt.Fprintf(w, "  rows %d, %d bytes, %d rejected rows; expires %s\n", r.Rows, r.Bytes, r.Rejected, r.ExpiresAt.Local().Format("2006-01-02 15:04"))
	fmt.Fprintf(w, "  columns: %s\n", strings.Join(r.Columns, ", "))
	if r.Where != "" {
		fmt.Fprintf(w, "  where:   %s\n", r.Where)
	}
	fmt.Fprintf(w, "  output:  %s\n", r.Output)
	if len(r.SampleRows) > 0 {
		fmt.Fprintln(w, "  sample:")
		rows := make([][]string, len(r.SampleRows))
		for i, row := range r.SampleRows {
			rows[i] = append([]string{"   "}, row...)
		}
		table(w, append([]string{"   "}, r.Columns...), rows)
	}
}
