package sfntest

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// Result is how an execution ended and what it did.
type Result struct {
	Workflow     string
	ExecutionArn string
	// Status is SUCCEEDED, FAILED, TIMED_OUT, ABORTED, or RUNNING when the
	// test's context ended first.
	Status string
	// Output is the execution's output (JSON text) when it succeeded.
	Output string
	// Error and Cause say why it failed.
	Error, Cause string
	// Path is the states the execution's top level entered, in order.
	Path []string
	// States is every state visit: top level, Parallel branches, inline
	// Map iterations and Distributed Map child executions (see
	// [StateRun].Scope), in history order.
	States []StateRun
	// History is the execution's history, in AWS's shape
	// (json.Marshal gives GetExecutionHistory's events).
	History []statemachine.HistoryEvent
	// Children are the histories of Distributed Map child executions, by
	// execution ARN.
	Children map[string][]statemachine.HistoryEvent
	// Elapsed is the virtual time from start to end.
	Elapsed time.Duration
	// Invocations counts the calls of each Task state (attempts included).
	Invocations map[string]int
	// Problems are mistakes in the test setup or the handlers that the
	// execution's status alone does not show: a handler that panicked, a
	// function without a handler, a token nothing answered. [Result.Check]
	// and [Test] report them.
	Problems []string

	cov *coverage
}

// StateRun is one visit of a state.
type StateRun struct {
	Name string
	// Scope is "" at the top level; "Fan#1" in branch 1 of Parallel state
	// Fan; "Items[3]" in iteration 3 of inline Map state Items;
	// "Parts[<child execution name>]" in a Distributed Map child; nested
	// scopes are joined with "/".
	Scope string
	// Input and Output are JSON text (Output is empty when the state did
	// not exit).
	Input, Output string
	// Error and Cause are the state's last failure, if any.
	Error, Cause string
	// Attempts counts the calls of a Task state (1 + retries).
	Attempts int
	// failures are the error names of each failed attempt, in order.
	failures []string
	// failed: the visit's last attempt failed (then a catcher, if any,
	// chose the next state).
	failed bool
}

// Visits returns the visits of the named state.
func (r *Result) Visits(state string) []StateRun {
	var out []StateRun
	for _, s := range r.States {
		if s.Name == state {
			out = append(out, s)
		}
	}
	return out
}

func (r *Result) pathString() string {
	if len(r.Path) == 0 {
		return "(no state entered)"
	}
	return strings.Join(r.Path, " → ")
}

// result collects the execution's outcome, histories and coverage.
func (x *Execution) result(ctx context.Context) (*Result, error) {
	d, err := x.engine.DescribeExecution(ctx, x.arn)
	if err != nil {
		return nil, err
	}
	r := &Result{Workflow: x.w.name, ExecutionArn: x.arn, Status: d.Status, Children: map[string][]statemachine.HistoryEvent{}}
	if d.Output != nil {
		r.Output = *d.Output
	}
	if d.Error != nil {
		r.Error = *d.Error
	}
	if d.Cause != nil {
		r.Cause = *d.Cause
	}
	end := x.clock.Now()
	if d.StopDate != nil {
		end = *d.StopDate
	}
	r.Elapsed = end.Sub(d.StartDate)
	if r.History, err = x.engine.GetExecutionHistory(ctx, x.arn); err != nil {
		return nil, err
	}
	r.Path = x.w.asl.topPath(r.History)
	r.States = x.w.asl.visits(r.History, "")
	if err := x.children(ctx, r, x.arn, ""); err != nil {
		return nil, err
	}
	x.mu.Lock()
	r.Problems = append(r.Problems, x.problems...)
	r.Invocations = map[string]int{}
	for k, v := range x.calls {
		r.Invocations[k] = v
	}
	x.mu.Unlock()
	r.cov = x.w.asl.cover(ctx, x.engine, r)
	record(x.w, r.cov)
	return r, nil
}

// children adds the Distributed Map child executions of arn to r.
func (x *Execution) children(ctx context.Context, r *Result, arn, scope string) error {
	runs, err := x.engine.ListMapRuns(ctx, arn)
	if err != nil {
		return err
	}
	for _, mr := range runs {
		state := x.w.asl.mapRunState(mr.MapRunArn)
		kids, err := x.engine.ListExecutions(ctx, statemachine.ListExecutionsInput{MapRunArn: mr.MapRunArn})
		if err != nil {
			return err
		}
		sort.Slice(kids, func(i, j int) bool {
			return kids[i].StartDate.Before(kids[j].StartDate) || kids[i].StartDate.Equal(kids[j].StartDate) && kids[i].Name < kids[j].Name
		})
		for _, k := range kids {
			h, err := x.engine.GetExecutionHistory(ctx, k.ExecutionArn)
			if err != nil {
				return err
			}
			r.Children[k.ExecutionArn] = h
			sc := join(scope, state+"["+k.Name+"]")
			r.States = append(r.States, x.w.asl.visits(h, sc)...)
			if err := x.children(ctx, r, k.ExecutionArn, sc); err != nil {
				return err
			}
		}
	}
	return nil
}

// mapRunState finds the Map state of a Map Run ARN
// (arn:...:mapRun:<machine>/<label>:<id>); the label is the state's Label
// or name.
func (d *definition) mapRunState(arn string) string {
	_, rest, _ := strings.Cut(arn, ":mapRun:")
	_, rest, _ = strings.Cut(rest, "/")
	label := rest
	if i := strings.LastIndex(rest, ":"); i >= 0 {
		label = rest[:i]
	}
	for _, n := range d.order {
		s := d.states[n]
		if l, _ := s.Raw["Label"].(string); l == label || n == label && s.Distrib {
			return n
		}
	}
	return label
}

func join(scope, seg string) string {
	if scope == "" {
		return seg
	}
	return scope + "/" + seg
}

// topPath lists the states the top-level thread entered.
func (d *definition) topPath(events []statemachine.HistoryEvent) []string {
	var path []string
	scopes := d.scopeEvents(events)
	for i, ev := range events {
		if det, ok := ev.Details.(*statemachine.StateEnteredEventDetails); ok && scopes[i] == "" {
			path = append(path, det.Name)
		}
	}
	return path
}

// scopeEvents gives each event the scope it belongs to, following
// previousEventId links: a MapIterationStarted opens "<Map>[i]", the first
// state of a Parallel branch opens "<Parallel>#b", and the events that end
// a Map or Parallel state go back to its own scope (the engine links them
// to the last event of a branch).
func (d *definition) scopeEvents(events []statemachine.HistoryEvent) []string {
	byID := map[int64]int{}
	out := make([]string, len(events))
	for i, ev := range events {
		byID[ev.ID] = i
		parent, prevType := "", ""
		if j, ok := byID[ev.PreviousEventID]; ok {
			parent, prevType = out[j], events[j].Type
		}
		sc := parent
		switch ev.Type {
		case "MapIterationStarted":
			if det, ok := ev.Details.(*statemachine.MapIterationEventDetails); ok {
				sc = join(cutAt(parent, det.Name), fmt.Sprintf("%s[%d]", det.Name, det.Index))
			}
		case "ParallelStateSucceeded", "ParallelStateFailed", "MapStateSucceeded", "MapStateFailed":
			if prevType != "ParallelStateStarted" && prevType != "MapStateStarted" && !strings.HasPrefix(prevType, "MapRun") {
				sc = parentScope(parent)
			}
		case "ParallelStateExited", "MapStateExited":
			if det, ok := ev.Details.(*statemachine.StateExitedEventDetails); ok {
				sc = cutAt(parent, det.Name)
			}
		default:
			if det, ok := ev.Details.(*statemachine.StateEnteredEventDetails); ok && prevType == "ParallelStateStarted" {
				if s := d.states[det.Name]; s != nil && s.Parent != "" {
					sc = join(parent, fmt.Sprintf("%s#%d", s.Parent, s.Branch))
				}
			}
		}
		out[i] = sc
	}
	return out
}

func parentScope(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[:i]
	}
	return ""
}

// cutAt removes the last segment of scope that belongs to container state
// name, and what follows it.
func cutAt(scope, name string) string {
	segs := strings.Split(scope, "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if strings.HasPrefix(segs[i], name+"[") || strings.HasPrefix(segs[i], name+"#") {
			return strings.Join(segs[:i], "/")
		}
	}
	return scope
}

// visits turns a history into state visits, under scope base.
func (d *definition) visits(events []statemachine.HistoryEvent, base string) []StateRun {
	scopes := d.scopeEvents(events)
	var out []StateRun
	open := map[string]int{} // scope → index in out of the visit in progress
	for i, ev := range events {
		sc := base
		if scopes[i] != "" {
			sc = join(base, scopes[i])
		}
		switch det := ev.Details.(type) {
		case *statemachine.StateEnteredEventDetails:
			out = append(out, StateRun{Name: det.Name, Scope: sc, Input: det.Input.String()})
			open[sc] = len(out) - 1
			continue
		case *statemachine.StateExitedEventDetails:
			if k, ok := open[sc]; ok && out[k].Name == det.Name {
				out[k].Output = det.Output.String()
			}
			continue
		}
		k, ok := open[sc]
		if !ok {
			continue
		}
		switch ev.Type {
		case "TaskScheduled", "LambdaFunctionScheduled":
			out[k].Attempts++
		case "TaskSucceeded", "LambdaFunctionSucceeded", "MapStateSucceeded", "ParallelStateSucceeded":
			out[k].failed = false
		case "MapStateFailed", "ParallelStateFailed", "MapRunFailed":
			out[k].failed = true
			if f, ok := failureOf(ev.Details); ok {
				out[k].Error, out[k].Cause = f.Error, f.Cause
			}
		case "TaskFailed", "TaskTimedOut", "LambdaFunctionFailed", "LambdaFunctionTimedOut", "LambdaFunctionScheduleFailed", "LambdaFunctionStartFailed", "TaskStartFailed", "TaskSubmitFailed":
			out[k].failed = true
			if f, ok := failureOf(ev.Details); ok {
				out[k].Error, out[k].Cause = f.Error, f.Cause
				out[k].failures = append(out[k].failures, f.Error)
			}
		case "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted":
			if f, ok := failureOf(ev.Details); ok && out[k].Output == "" && out[k].Error == "" {
				out[k].Error, out[k].Cause = f.Error, f.Cause
			}
		}
	}
	return out
}

func failureOf(d any) (statemachine.FailureEventDetails, bool) {
	b, err := json.Marshal(d)
	if err != nil {
		return statemachine.FailureEventDetails{}, false
	}
	var f statemachine.FailureEventDetails
	if json.Unmarshal(b, &f) != nil || f.Error == "" && f.Cause == "" {
		return f, false
	}
	return f, true
}
