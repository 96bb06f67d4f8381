package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stepwise-dev/stepwise/statemachine/schedule"
	"github.com/stepwise-dev/stepwise/statemachine/workflow"
)

func newWorkflowsCmd() *command {
	return &command{
		name: "workflows", args: "",
		summary:  "List the workflows: state machine, trigger and schedules (from statemachine/), last execution and its status.",
		examples: []string{"runner workflows", "runner workflows --output json", "runner workflows --aws"},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 0, 0, ""); err != nil {
					return err
				}
				return a.withTarget(ctx, func(t *target) error {
					infos, err := a.workflowInfos(ctx, t, time.Now())
					if err != nil {
						return err
					}
					return a.emit(map[string]any{"workflows": infos}, func(w io.Writer) { printWorkflows(w, infos) })
				})
			}
		},
	}
}

// workflowInfo is one line of `runner workflows`: a workflow of the files,
// a state machine of the target, or (usually) both.
type workflowInfo struct {
	Name string `json:"name"`
	// StateMachineArn is "" for a workflow of the files not deployed yet.
	StateMachineArn string `json:"stateMachineArn,omitempty"`
	// File is "" for a state machine no workflow file describes.
	File         string          `json:"file,omitempty"`
	TriggerFile  string          `json:"triggerFile,omitempty"`
	Trigger      json.RawMessage `json:"trigger,omitempty"`
	ScheduleFile string          `json:"scheduleFile,omitempty"`
	Schedules    []scheduleInfo  `json:"schedules"`
	// Activities are the activities of steps.json the definition names:
	// their workers are programs of one's own.
	Activities    []string       `json:"activities,omitempty"`
	LastExecution *lastExecution `json:"lastExecution,omitempty"`

	express bool // an express machine keeps no execution list
}

type scheduleInfo struct {
	Name       string `json:"name"`
	Expression string `json:"expression"`
	Timezone   string `json:"timezone"`
	Enabled    bool   `json:"enabled"`
	// Next is the next instant the expression gives after now; absent for
	// a disabled schedule or one that will not fire again.
	Next *time.Time `json:"next,omitempty"`
}

type lastExecution struct {
	Name      string     `json:"name"`
	Arn       string     `json:"executionArn"`
	Status    string     `json:"status"`
	StartDate *time.Time `json:"startDate,omitempty"`
	StopDate  *time.Time `json:"stopDate,omitempty"`
}

// workflowInfos joins the workflow files (when the runner has them: the
// checkout, or the files built into it) with the target's state machines
// and each machine's newest execution.
func (a *app) workflowInfos(ctx context.Context, t *target, now time.Time) ([]*workflowInfo, error) {
	ms, err := machines(ctx, t)
	if err != nil {
		return nil, err
	}
	byName := map[string]*workflowInfo{}
	var infos []*workflowInfo
	add := func(name string) *workflowInfo {
		if wi := byName[name]; wi != nil {
			return wi
		}
		wi := &workflowInfo{Name: name, Schedules: []scheduleInfo{}}
		byName[name] = wi
		infos = append(infos, wi)
		return wi
	}
	if repo, err := workflowFiles(); err == nil {
		p, err := workflow.Load(repo)
		if err != nil {
			fmt.Fprintf(a.stderr, "runner: note: the workflow files have problems (run `runner validate`):\n%v\n", err)
		}
		if p != nil {
			for _, w := range p.Workflows {
				fromFiles(add(w.Name), w, now)
			}
		}
	}
	for _, m := range ms {
		wi := add(workflowName(t, m.name))
		wi.StateMachineArn, wi.express = m.arn, m.express
	}
	if err := lastExecutions(ctx, t, infos); err != nil {
		return nil, err
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name < infos[j].Name })
	return infos, nil
}

// fromFiles fills what the workflow's files say.
func fromFiles(wi *workflowInfo, w *workflow.Workflow, now time.Time) {
	wi.File, wi.TriggerFile, wi.ScheduleFile = w.File, w.TriggerFile, w.ScheduleFile
	wi.Activities = w.Activities
	if len(w.Trigger) > 0 {
		var compact bytes.Buffer
		if json.Compact(&compact, w.Trigger) == nil {
			wi.Trigger = compact.Bytes()
		}
	}
	for _, s := range w.Schedules {
		si := scheduleInfo{Name: s.Name, Expression: s.Expression, Timezone: s.Timezone, Enabled: s.Enabled}
		if si.Timezone == "" {
			si.Timezone = "UTC"
		}
		if e, err := schedule.ParseExpression(s.Expression, si.Timezone); err == nil && s.Enabled {
			if next, ok := e.Next(now); ok {
				si.Next = &next
			}
		}
		wi.Schedules = append(wi.Schedules, si)
	}
}

// lastExecutions looks up the newest execution of each deployed workflow,
// in parallel (at most [lookupConcurrency] calls at once).
func lastExecutions(ctx context.Context, t *target, infos []*workflowInfo) error {
	errs := make([]error, len(infos))
	sem := make(chan struct{}, lookupConcurrency)
	var wg sync.WaitGroup
	for i, wi := range infos {
		if wi.StateMachineArn == "" || wi.express {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out, err := t.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(wi.StateMachineArn), MaxResults: 1})
			if err != nil {
				errs[i] = fmt.Errorf("list executions of %s: %w", wi.StateMachineArn, err)
				return
			}
			if len(out.Executions) > 0 {
				e := out.Executions[0]
				wi.LastExecution = &lastExecution{Name: aws.ToString(e.Name), Arn: aws.ToString(e.ExecutionArn), Status: string(e.Status), StartDate: e.StartDate, StopDate: e.StopDate}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// printWorkflows prints one block per workflow.
func printWorkflows(w io.Writer, infos []*workflowInfo) {
	if len(infos) == 0 {
		fmt.Fprintln(w, "no workflows (add statemachine/<name>.asl.json, or `runner new workflow <name>`)")
		return
	}
	for i, wi := range infos {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, wi.Name)
		row := func(k, v string) { fmt.Fprintf(w, "  %-15s %s\n", k, v) }
		switch {
		case wi.StateMachineArn != "":
			row("state machine", wi.StateMachineArn)
		default:
			row("state machine", "not deployed (runner up, or runner deploy)")
		}
		if wi.File != "" {
			row("definition", wi.File)
		}
		if len(wi.Activities) > 0 {
			row("activities", strings.Join(wi.Activities, ", ")+" (run by workers of your own; runner up prints their ARNs)")
		}
		switch {
		case wi.Trigger != nil:
			row("trigger", "S3 Object Created matching "+string(wi.Trigger)+" ("+wi.TriggerFile+")")
		case wi.File != "":
			row("trigger", "none")
		}
		for _, s := range wi.Schedules {
			v := s.Name + ": " + s.Expression + " " + s.Timezone
			switch {
			case !s.Enabled:
				v += ", disabled"
			case s.Next != nil:
				v += ", next " + s.Next.In(time.UTC).Format("2006-01-02 15:04 MST")
			}
			row("schedule", v)
		}
		if len(wi.Schedules) == 0 && wi.File != "" {
			row("schedule", "none")
		}
		if e := wi.LastExecution; e != nil {
			row("last execution", e.Name+" "+e.Status+" started "+fmtTime(e.StartDate))
		} else if wi.StateMachineArn != "" {
			row("last execution", "none")
		}
	}
}
