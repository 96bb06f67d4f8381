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
)

// The decision document an approval task receives on approve. The export
// state machine reads it after its approval task; rejection fails the task
// with ExportRejected so that the workflow's Catch cleans up.
type decision struct {
	Approved bool   `json:"approved"`
	Approver string `json:"approver,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

const rejectedError = "ExportRejected"

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
					d := decision{Approved: c.approve, Approver: currentUser(), Comment: *comment}
					if err := sendDecision(ctx, t, token, d); err != nil {
						return err
					}
					verb := map[bool]string{true: "approved", false: "rejected"}[c.approve]
					return a.emit(map[string]any{"decision": verb, "approver": d.Approver, "comment": d.Comment}, func(w io.Writer) {
						fmt.Fprintln(w, verb)
					})
				}
			},
		})
	}
}

// sendDecision completes the approval task: success with the decision on
// approve, failure named ExportRejected on reject.
func sendDecision(ctx context.Context, t *target, token string, d decision) error {
	if d.Approved {
		out, _ := json.Marshal(d)
		_, err := t.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(out))})
		if err != nil {
			return fmt.Errorf("approve: %w", err)
		}
		return nil
	}
	cause := "rejected"
	if d.Approver != "" {
		cause += " by " + d.Approver
	}
	if d.Comment != "" {
		cause += ": " + d.Comment
	}
	_, err := t.sfn.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token), Error: aws.String(rejectedError), Cause: aws.String(cause)})
	if err != nil {
		return fmt.Errorf("reject: %w", err)
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
	return p.Token, nil
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}
