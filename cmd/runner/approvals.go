package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/user"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stepwise-dev/stepwise/local/console/approval"
	"github.com/stepwise-dev/stepwise/steps/export"
)

func newApproveCmd() *command {
	return newDecisionCmd("approve", "Approve a pending export (by execution ARN or name, or by task token).", true)
}

func newRejectCmd() *command {
	return newDecisionCmd("reject", "Reject a pending export; the execution ends ExportRejected and cleans up.", false)
}

// newDecisionCmd is approve (approve true) or reject.
func newDecisionCmd(name, summary string, approve bool) *command {
	return &command{
		name: name, args: "<execution-arn|name|task-token> [--comment TEXT]",
		summary: summary,
		examples: []string{
			"runner " + name + " nightly-2026-11-23 --comment 'numbers checked'",
			"runner " + name + " AQB8AAAAKgAAAAMAAAAAAAAAAT... (a task token)",
		},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			comment := fs.String("comment", "", "a comment recorded with the decision")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 1, 1, "execution ARN, execution name or task token"); err != nil {
					return err
				}
				return a.withTarget(ctx, func(t *target) error {
					token, byName, err := a.resolveToken(ctx, t, args[0])
					if err != nil {
						return err
					}
					d := export.Decision{Decision: map[bool]string{true: "approve", false: "reject"}[approve], Approver: currentUser(), Comment: *comment}
					err = sendDecision(ctx, t, token, d)
					if timedOut := (*types.TaskTimedOut)(nil); byName && errors.As(err, &timedOut) {
						// The reminder at half the expiry renewed the token
						// between reading the record and answering: answer
						// the renewed one.
						if again, _, rerr := a.resolveToken(ctx, t, args[0]); rerr == nil && again != token {
							err = sendDecision(ctx, t, again, d)
						}
					}
					if err != nil {
						return explainSendError(err, args[0], byName)
					}
					verb := map[bool]string{true: "approved", false: "rejected"}[approve]
					return a.emit(d, func(w io.Writer) { fmt.Fprintln(w, verb) })
				})
			}
		},
	}
}

// sendDecision completes the approval task with the decision as its
// output; the export state machine routes a rejection to ExportRejected
// (after cleaning up) and records the approver either way.
func sendDecision(ctx context.Context, t *target, token string, d export.Decision) error {
	return approval.Send(ctx, t.sfn, token, d)
}

// resolveToken turns what the user typed into the task token to decide
// with: an execution ARN or name is looked up (DescribeExecution, then its
// pending approval record), and when it has nothing to decide the error
// says why — no such execution, not at the approval yet, or rejected,
// approved, failed, aborted at a given time. A reference that cannot be
// an execution name, or names no execution but has the shape of a task
// token, is taken as a task token; byName says which.
func (a *app) resolveToken(ctx context.Context, t *target, ref string) (token string, byName bool, err error) {
	isArn := strings.HasPrefix(ref, "arn:")
	if !isArn && !maybeExecutionName(ref) {
		return ref, false, nil // AWS task tokens are hundreds of characters long
	}
	arn, err := a.executionArnOn(ctx, t, ref)
	if err != nil {
		if !isArn && maybeTaskToken(ref) {
			return ref, false, nil // e.g. a token of another state machine's task
		}
		return "", true, err
	}
	d, err := t.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	var missing *types.ExecutionDoesNotExist
	switch {
	case errors.As(err, &missing) && !isArn && maybeTaskToken(ref):
		return ref, false, nil
	case errors.As(err, &missing) && isArn:
		return "", true, fmt.Errorf("no execution %s: pass the name or ARN of an export waiting for approval (see `runner approvals`), or its task token", ref)
	case errors.As(err, &missing):
		sm := arn[:strings.LastIndex(arn, ":")]
		return "", true, fmt.Errorf("no execution named %s (state machine %s): pass the name or ARN of an export waiting for approval (see `runner approvals`), or its task token", ref, strings.Replace(sm, ":execution:", ":stateMachine:", 1))
	case err != nil:
		return "", true, fmt.Errorf("describe %s: %w", arn, err)
	}
	name := aws.ToString(d.Name)
	if d.Status == types.ExecutionStatusRunning {
		rec, err := pendingApprovalFor(ctx, t, arn)
		if err == nil {
			return rec.TaskToken, true, nil
		}
		if !errors.Is(err, errNoPendingRecord) {
			return "", true, err
		}
		where := ""
		if st := currentState(ctx, t, arn); st != "" {
			where = " (in state " + st + ")"
		}
		return "", true, fmt.Errorf("no pending approval for %s: it is still running%s and has not requested approval yet; wait for it (`runner watch %s`), then run this again", name, where, name)
	}
	return "", true, fmt.Errorf("no pending approval for %s: %s", name, a.endedHow(ctx, t, d))
}

// endedHow says how an execution that is no longer running ended, for
// someone who meant to decide its approval.
func (a *app) endedHow(ctx context.Context, t *target, d *sfn.DescribeExecutionOutput) string {
	at := fmtTime(d.StopDate)
	name := aws.ToString(d.Name)
	switch d.Status {
	case types.ExecutionStatusSucceeded:
		if rec := decidedApprovalFor(ctx, t, name); rec != nil {
			return fmt.Sprintf("it was %s%s at %s and succeeded at %s", pastTense(rec.Decision), by(rec.Approver), fmtTime(&rec.DecidedAt), at)
		}
		return "it succeeded at " + at
	case types.ExecutionStatusFailed, types.ExecutionStatusPendingRedrive:
		switch e := aws.ToString(d.Error); e {
		case "ExportRejected":
			how := "it was rejected"
			if dec := decisionInHistory(ctx, t, aws.ToString(d.ExecutionArn)); dec != nil {
				how += by(dec.Approver)
				if dec.Comment != "" {
					how += fmt.Sprintf(" (%q)", dec.Comment)
				}
			}
			return how + " at " + at
		case "ApprovalExpired":
			return "its approval expired; the execution failed at " + at
		default:
			return fmt.Sprintf("it failed at %s with %s: %s", at, e, truncate(printable(causeMessage(aws.ToString(d.Cause))), 300))
		}
	case types.ExecutionStatusTimedOut:
		return "it timed out at " + at
	case types.ExecutionStatusAborted:
		return "it was aborted at " + at
	}
	return fmt.Sprintf("it is %s", d.Status)
}

func pastTense(decision string) string {
	switch decision {
	case "approve":
		return "approved"
	case "reject":
		return "rejected"
	}
	return decision
}

func by(approver string) string {
	if approver == "" {
		return ""
	}
	return " by " + approver
}

// decisionInHistory finds the decision an approver sent, in the task
// result of the execution's approval state.
func decisionInHistory(ctx context.Context, t *target, arn string) *export.Decision {
	h, err := t.sfn.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), ReverseOrder: true, MaxResults: 100})
	if err != nil {
		return nil
	}
	for _, e := range h.Events {
		if e.TaskSucceededEventDetails == nil {
			continue
		}
		var dec export.Decision
		if json.Unmarshal([]byte(aws.ToString(e.TaskSucceededEventDetails.Output)), &dec) == nil && dec.Decision != "" {
			return &dec
		}
	}
	return nil
}

// maybeExecutionName reports whether s could be a Step Functions
// execution name: 1 to 80 characters, none of whitespace, brackets,
// wildcards, control characters or "#%\^|~`$&,;:/ (AWS task
// tokens have "/" in them; the local stack's are valid names).
func maybeExecutionName(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 80 {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return false
		}
	}
	return true
}

// maybeTaskToken reports whether s has the shape of a task token (the
// local stack's are 44 characters, AWS's several hundred).
func maybeTaskToken(s string) bool {
	if len(s) < 16 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_=+/", r)) {
			return false
		}
	}
	return true
}

// explainSendError turns the API's answer to a decision sent with a bad
// token into what the user needs to know.
func explainSendError(err error, ref string, byName bool) error {
	var invalid *types.InvalidToken
	var gone *types.TaskDoesNotExist
	var timedOut *types.TaskTimedOut
	switch {
	case !errors.As(err, &invalid) && !errors.As(err, &gone) && !errors.As(err, &timedOut):
		return err
	case byName:
		return fmt.Errorf("the approval of %s is no longer pending (decided, expired or stopped meanwhile; see `runner describe %s`): %w", ref, ref, err)
	case maybeExecutionName(ref):
		return fmt.Errorf("%s is neither the name of an export execution nor the task token of a waiting task (see `runner approvals`)", ref)
	default:
		return fmt.Errorf("no waiting task has the task token %s (decided, expired or mistyped; see `runner approvals`)", truncate(ref, 24))
	}
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

func newApprovalsCmd() *command {
	return &command{
		name: "approvals", args: "[--bucket BUCKET]",
		summary:  "List exports waiting for approval, with their row counts, columns, filter and sample rows.",
		examples: []string{"runner approvals", "runner approvals --output json"},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 0, 0, ""); err != nil {
					return err
				}
				return a.withTarget(ctx, func(t *target) error {
					all, skipped, err := pendingApprovals(ctx, t)
					if err != nil {
						return err
					}
					// One unreadable record must not hide the others: warn, list the rest.
					for _, s := range skipped {
						fmt.Fprintf(a.stderr, "warning: skipped s3://%s/%s: %s\n", t.bucket, s.Key, s.Error)
					}
					recs := make([]export.ApprovalRecord, len(all))
					for i, p := range all {
						recs[i] = p.ApprovalRecord
						recs[i].TaskToken = "" // tokens stay out of listings; approve by execution name
					}
					v := map[string]any{"approvals": recs}
					links := approvalLinks(ctx, t, recs)
					if len(links) > 0 {
						v["links"] = links // execution → decision link (from the outbox)
					}
					if len(skipped) > 0 {
						v["skipped"] = skipped
					}
					return a.emit(v, func(w io.Writer) {
						if len(recs) == 0 {
							fmt.Fprintln(w, "no pending approvals")
							return
						}
						for _, r := range recs {
							printApproval(w, r)
							if link := links[r.Execution]; link != "" {
								fmt.Fprintf(w, "  decide:  %s\n", link)
							}
						}
					})
				})
			}
		},
	}
}

// printApproval shows what an approver needs to decide. Every value is
// shown on one line (control characters escaped, see [printable]); sample
// values are cut to [sampleCell] characters so the table stays aligned.
func printApproval(w io.Writer, r export.ApprovalRecord) {
	head := printable(r.Execution)
	if r.Name != "" {
		head += "  (" + printable(r.Name) + ")"
	}
	fmt.Fprintln(w, head)
	fmt.Fprintf(w, "  rows %d, %d bytes, %d rejected rows; expires %s\n", r.Rows, r.Bytes, r.Rejected, r.ExpiresAt.Local().Format("2006-01-02 15:04"))
	cols := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		cols[i] = printable(c)
	}
	more := ""
	if r.ColumnCount > len(r.Columns) {
		more = fmt.Sprintf(", … (%d of %d listed)", len(r.Columns), r.ColumnCount)
	}
	fmt.Fprintf(w, "  columns: %s%s\n", strings.Join(cols, ", "), more)
	if r.Where != "" {
		fmt.Fprintf(w, "  where:   %s\n", printable(r.Where))
	}
	fmt.Fprintf(w, "  output:  %s\n", printable(r.Output))
	if r.StartedBy != "" {
		fmt.Fprintf(w, "  started by: %s\n", printable(r.StartedBy))
	}
	if !r.RemindedAt.IsZero() {
		fmt.Fprintf(w, "  reminder sent %s\n", r.RemindedAt.Local().Format("2006-01-02 15:04"))
	}
	if len(r.SampleRows) > 0 {
		fmt.Fprintln(w, "  sample:")
		width := 0
		for _, row := range r.SampleRows {
			width = max(width, len(row))
		}
		header := []string{"   "}
		for i := 0; i < width; i++ {
			c := ""
			if i < len(r.Columns) {
				c = r.Columns[i]
			}
			header = append(header, cell(c))
		}
		rows := make([][]string, len(r.SampleRows))
		for i, row := range r.SampleRows {
			rows[i] = []string{"   "}
			for _, v := range row {
				rows[i] = append(rows[i], cell(v))
			}
		}
		table(w, header, rows)
	}
	if r.Truncated {
		fmt.Fprintf(w, "  (shortened record: %s)\n", printable(strings.Join(r.Truncation, "; ")))
	}
}

// sampleCell is how many characters of a sample value the table shows.
const sampleCell = 40

// cell renders a sample value for the table: on one line, at most
// sampleCell characters, a cut value ending in "…".
func cell(v string) string {
	v = printable(v)
	if utf8.RuneCountInString(v) <= sampleCell {
		return v
	}
	n, i := 0, 0
	for n < sampleCell-1 {
		_, size := utf8.DecodeRuneInString(v[i:])
		i += size
		n++
	}
	return v[:i] + "…"
}

// printable shows s on one line of a terminal: newlines, carriage returns
// and tabs as \n, \r and \t, other control characters as \u escapes and
// invalid UTF-8 bytes as \x escapes. Everything else is left as it is (the
// JSON output, --output json, has the exact values).
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
