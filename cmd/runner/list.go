package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

func newListCmd() *command {
	return &command{
		name: "list", args: "[<workflow>] [--status STATUS] [--max N]",
		summary: "List executions, newest first: of one workflow, or of every state machine when none is named.",
		examples: []string{
			"runner list",
			"runner list report --status FAILED --output json",
			"runner list --state-machine arn:aws:states:eu-west-1:123456789012:stateMachine:my-machine",
		},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			status := fs.String("status", "", "only executions with this status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE)")
			max := fs.Int("max", 50, "at most this many executions")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 0, 1, ""); err != nil {
					return err
				}
				if len(args) == 1 && (a.g.stateMachine != "" || a.g.workflow != "") {
					return usagef("name the workflow once: either %q or --state-machine/--workflow", args[0])
				}
				st := types.ExecutionStatus(strings.ToUpper(*status))
				return a.withTarget(ctx, func(t *target) error {
					var sms []machine
					all := len(args) == 0 && a.g.stateMachine == "" && a.g.workflow == ""
					switch {
					case all:
						ms, err := machines(ctx, t)
						if err != nil {
							return err
						}
						for _, m := range ms {
							if !m.express {
								sms = append(sms, m)
							}
						}
					default:
						var ref string
						if len(args) == 1 {
							ref = args[0]
						}
						arn, err := a.stateMachineArn(ctx, t, ref)
						if err != nil {
							return err
						}
						sms = []machine{{name: arn[strings.LastIndex(arn, ":")+1:], arn: arn}}
					}
					items, err := listExecutions(ctx, t, sms, st, *max)
					if err != nil {
						return err
					}
					return a.emit(map[string]any{"executions": awsJSON(items)}, func(w io.Writer) { printExecutions(w, t, items, all) })
				})
			}
		},
	}
}

// listExecutions lists up to max executions of each machine (in parallel,
// at most [lookupConcurrency] at once) and returns the newest max of all.
func listExecutions(ctx context.Context, t *target, sms []machine, status types.ExecutionStatus, max int) ([]types.ExecutionListItem, error) {
	lists := make([][]types.ExecutionListItem, len(sms))
	errs := make([]error, len(sms))
	sem := make(chan struct{}, lookupConcurrency)
	var wg sync.WaitGroup
	for i, m := range sms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			req := &sfn.ListExecutionsInput{StateMachineArn: aws.String(m.arn), StatusFilter: status}
			p := sfn.NewListExecutionsPaginator(t.sfn, req)
			for p.HasMorePages() && len(lists[i]) < max {
				page, err := p.NextPage(ctx)
				if err != nil {
					errs[i] = fmt.Errorf("list executions of %s: %w", m.name, err)
					return
				}
				lists[i] = append(lists[i], page.Executions...)
			}
		}()
	}
	wg.Wait()
	var items []types.ExecutionListItem
	for i := range sms {
		if errs[i] != nil {
			return nil, errs[i]
		}
		items = append(items, lists[i]...)
	}
	if len(sms) > 1 {
		sort.SliceStable(items, func(i, j int) bool {
			return aws.ToTime(items[i].StartDate).After(aws.ToTime(items[j].StartDate))
		})
	}
	if len(items) > max {
		items = items[:max]
	}
	return items, nil
}

// printExecutions prints a table of executions; with workflows, a last
// column says whose each is.
func printExecutions(w io.Writer, t *target, items []types.ExecutionListItem, workflows bool) {
	if len(items) == 0 {
		fmt.Fprintln(w, "no executions")
		return
	}
	head := []string{"NAME", "STATUS", "STARTED", "STOPPED"}
	if workflows {
		head = append(head, "WORKFLOW")
	}
	rows := make([][]string, len(items))
	for i, e := range items {
		rows[i] = []string{aws.ToString(e.Name), string(e.Status), fmtTime(e.StartDate), fmtTime(e.StopDate)}
		if workflows {
			sm := aws.ToString(e.StateMachineArn)
			rows[i] = append(rows[i], workflowName(t, sm[strings.LastIndex(sm, ":")+1:]))
		}
	}
	table(w, head, rows)
}
