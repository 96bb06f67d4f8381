package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// This file reads execution histories for people: an aligned event table
// that marks Parallel branches and Map iterations and times each state
// (history, watch), and the explanation of a failed execution.

// lane is where events happen: the top level, one branch of a Parallel
// state, or one iteration of an inline Map state.
type lane struct {
	parent *lane
	kind   string // "", "branch" or "item"
	owner  string // the Parallel or Map state
	label  string // "branch 2 of Fan", "item 3 of Parts"
	depth  int
}

// historyView follows a history event by event (in id order, as watch
// receives them) and tells, for each event, its lane and, for an event
// that ends a state, iteration or execution, how long that took.
type historyView struct {
	root      lane
	laneOf    map[int64]*lane
	typeOf    map[int64]types.HistoryEventType
	nameOf    map[int64]string     // *StateEntered events: the state's name
	parallel  map[int64]string     // ParallelStateStarted id → the Parallel state
	branches  map[int64]int        // ParallelStateStarted id → branches seen
	mapLane   map[string]*lane     // Map state name → the lane it was last entered in
	iteration map[string]*lane     // lane/Map/index → the iteration's lane
	began     map[string]time.Time // lane/state (or lane/#index) → when it began
	started   time.Time            // ExecutionStarted
	events    []types.HistoryEvent // everything seen, for explain
	byID      map[int64]types.HistoryEvent
}

func newHistoryView() *historyView {
	return &historyView{
		laneOf: map[int64]*lane{}, typeOf: map[int64]types.HistoryEventType{}, nameOf: map[int64]string{},
		parallel: map[int64]string{}, branches: map[int64]int{}, mapLane: map[string]*lane{},
		iteration: map[string]*lane{}, began: map[string]time.Time{}, byID: map[int64]types.HistoryEvent{},
	}
}

// climb returns the lane that holds the branch or iteration (kind) l is
// in, or nil when l is in none. With owner set, only a branch or iteration
// of that state counts.
func climb(l *lane, kind, owner string) *lane {
	for x := l; x != nil && x.parent != nil; x = x.parent {
		if x.kind == kind && (owner == "" || x.owner == owner) {
			return x.parent
		}
	}
	return nil
}

// add records e and returns its lane and, when e ends something, the time
// it took (ok).
func (v *historyView) add(e types.HistoryEvent) (l *lane, took time.Duration, ok bool) {
	v.events = append(v.events, e)
	v.byID[e.Id] = e
	at := aws.ToTime(e.Timestamp)
	base := v.laneOf[e.PreviousEventId]
	if base == nil {
		base = &v.root
	}
	prevType := v.typeOf[e.PreviousEventId]
	typ := string(e.Type)
	l = base
	switch {
	case e.Type == types.HistoryEventTypeExecutionStarted:
		l, v.started = &v.root, at
	case strings.HasPrefix(typ, "MapIteration"):
		d := mapIterationDetails(e)
		if d == nil {
			break
		}
		name := aws.ToString(d.Name)
		parent := v.mapLane[name]
		if parent == nil {
			parent = base
		}
		key := fmt.Sprintf("%p/%s/%d", parent, name, d.Index)
		it := v.iteration[key]
		if it == nil {
			it = &lane{parent: parent, kind: "item", owner: name, label: fmt.Sprintf("item %d of %s", d.Index, name), depth: parent.depth + 1}
			v.iteration[key] = it
		}
		l = it
		if e.Type == types.HistoryEventTypeMapIterationStarted {
			v.began[fmt.Sprintf("%p/#", it)] = at
		} else if t0, seen := v.began[fmt.Sprintf("%p/#", it)]; seen {
			took, ok = at.Sub(t0), true
		}
	case typ == "ParallelStateSucceeded" || typ == "ParallelStateFailed" || typ == "ParallelStateAborted":
		if prevType != types.HistoryEventTypeParallelStateStarted {
			if p := climb(base, "branch", ""); p != nil {
				l = p
			}
		}
	case typ == "MapStateSucceeded" || typ == "MapStateFailed" || typ == "MapStateAborted":
		if prevType != types.HistoryEventTypeMapStateStarted {
			if p := climb(base, "item", ""); p != nil {
				l = p
			}
		}
	case prevType == types.HistoryEventTypeParallelStateStarted:
		v.branches[e.PreviousEventId]++
		owner := v.parallel[e.PreviousEventId]
		l = &lane{parent: base, kind: "branch", owner: owner, label: fmt.Sprintf("branch %d of %s", v.branches[e.PreviousEventId], owner), depth: base.depth + 1}
	}
	if e.StateExitedEventDetails != nil && (typ == "ParallelStateExited" || typ == "MapStateExited") {
		kind := map[string]string{"ParallelStateExited": "branch", "MapStateExited": "item"}[typ]
		if p := climb(l, kind, aws.ToString(e.StateExitedEventDetails.Name)); p != nil {
			l = p
		}
	}
	switch {
	case e.StateEnteredEventDetails != nil:
		name := aws.ToString(e.StateEnteredEventDetails.Name)
		v.nameOf[e.Id] = name
		v.began[fmt.Sprintf("%p/%s", l, name)] = at
		if e.Type == types.HistoryEventTypeMapStateEntered {
			v.mapLane[name] = l
		}
	case e.StateExitedEventDetails != nil:
		if t0, seen := v.began[fmt.Sprintf("%p/%s", l, aws.ToString(e.StateExitedEventDetails.Name))]; seen {
			took, ok = at.Sub(t0), true
		}
	case e.Type == types.HistoryEventTypeParallelStateStarted:
		v.parallel[e.Id] = v.nameOf[e.PreviousEventId]
	case isExecutionEnd(e.Type) && !v.started.IsZero():
		took, ok = at.Sub(v.started), true
	}
	v.laneOf[e.Id] = l
	v.typeOf[e.Id] = e.Type
	return l, took, ok
}

func isExecutionEnd(t types.HistoryEventType) bool {
	switch t {
	case types.HistoryEventTypeExecutionSucceeded, types.HistoryEventTypeExecutionFailed,
		types.HistoryEventTypeExecutionAborted, types.HistoryEventTypeExecutionTimedOut:
		return true
	}
	return false
}

func mapIterationDetails(e types.HistoryEvent) *types.MapIterationEventDetails {
	for _, d := range []*types.MapIterationEventDetails{e.MapIterationStartedEventDetails, e.MapIterationSucceededEventDetails, e.MapIterationFailedEventDetails, e.MapIterationAbortedEventDetails} {
		if d != nil {
			return d
		}
	}
	return nil
}

// Column widths of the event table: fixed, so that lines printed one at a
// time (watch) line up as well as a whole history does.
var (
	typeWidth = func() int {
		n := len("TYPE")
		for _, t := range types.HistoryEventType("").Values() {
			n = max(n, len(t))
		}
		return n
	}()
	timeLayout = "2006-01-02 15:04:05.000"
)

// eventTable prints history events as aligned rows: id, local time to the
// millisecond, type, how long the state (iteration, execution) that the
// event ends took, and the state or detail — indented and marked with the
// Parallel branch or Map iteration the event belongs to.
type eventTable struct {
	w    io.Writer
	view *historyView
	loc  *time.Location // time zone of the TIME column
}

func newEventTable(w io.Writer) *eventTable {
	return &eventTable{w: w, view: newHistoryView(), loc: time.Local}
}

func (t *eventTable) header() {
	t.line("ID", "TIME", "TYPE", "DURATION", "STATE / DETAIL")
}

func (t *eventTable) line(id, at, typ, took, detail string) {
	line := fmt.Sprintf("%5s  %-*s  %-*s  %8s  %s", id, len(timeLayout), at, typeWidth, typ, took, detail)
	fmt.Fprintln(t.w, strings.TrimRight(line, " "))
}

// event prints one event's row.
func (t *eventTable) event(e types.HistoryEvent) {
	l, took, ok := t.view.add(e)
	dur := ""
	if ok {
		dur = fmtDuration(took)
	}
	detail := eventDetail(e)
	if l.depth > 0 {
		detail = strings.Repeat("  ", l.depth) + "[" + l.label + "] " + detail
	}
	at := "-"
	if e.Timestamp != nil {
		at = e.Timestamp.In(t.loc).Format(timeLayout)
	}
	t.line(fmt.Sprint(e.Id), at, string(e.Type), dur, strings.TrimRight(detail, " "))
}

// fmtDuration is short and keeps milliseconds where they matter.
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.3fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// eventDetail summarises one history event: the state it enters or
// leaves, the resource a task calls, or an error and its message.
func eventDetail(e types.HistoryEvent) string {
	switch {
	case e.StateEnteredEventDetails != nil:
		return aws.ToString(e.StateEnteredEventDetails.Name)
	case e.StateExitedEventDetails != nil:
		return aws.ToString(e.StateExitedEventDetails.Name)
	case e.TaskScheduledEventDetails != nil:
		return aws.ToString(e.TaskScheduledEventDetails.ResourceType) + ":" + aws.ToString(e.TaskScheduledEventDetails.Resource)
	case e.LambdaFunctionScheduledEventDetails != nil:
		return aws.ToString(e.LambdaFunctionScheduledEventDetails.Resource)
	case mapIterationDetails(e) != nil:
		return ""
	}
	if name, cause := failureOf(e); name != "" || cause != "" {
		return strings.TrimSpace(name + " " + truncate(oneLine(causeMessage(cause)), 120))
	}
	return ""
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

// causeMessage unwraps a Lambda function error's JSON document
// ({"errorMessage": ..., "errorType": ..., "stackTrace": [...]}), which is
// what Step Functions records as the cause of a failed step, to its
// message. Any other cause is returned as it is.
func causeMessage(cause string) string {
	for range 3 { // a message may itself be a wrapped error document
		var doc struct {
			ErrorMessage *string `json:"errorMessage"`
		}
		if !strings.HasPrefix(strings.TrimSpace(cause), "{") || json.Unmarshal([]byte(cause), &doc) != nil || doc.ErrorMessage == nil {
			return cause
		}
		cause = *doc.ErrorMessage
	}
	return cause
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// failure explains how an execution failed.
type failure struct {
	State   string // the state that failed: the last one entered before the failure
	Lane    string // its Parallel branch or Map iteration, if any
	Error   string
	Message string // the cause, unwrapped from a Lambda error document
}

// explain finds the failed state of an ended execution from its history.
// The failure that ended it is the last event before the end that carries
// the execution's error (a TaskFailed, LambdaFunctionFailed, MapRunFailed
// ...): a workflow that catches errors, cleans up and then fails (as the
// export does) ends in a Fail state, but the state to look at is the one
// whose error was caught. Without such an event (a Fail state reached by a
// Choice, a States.Runtime error) it is the end event itself. Its state is
// the *StateEntered event its chain of previous events leads to, or else
// the last state entered before it. Nil if the execution did not fail.
func (v *historyView) explain() *failure {
	var end *types.HistoryEvent
	for i := len(v.events) - 1; i >= 0; i-- {
		if t := v.events[i].Type; isExecutionEnd(t) && t != types.HistoryEventTypeExecutionSucceeded {
			end = &v.events[i]
			break
		}
	}
	if end == nil {
		return nil
	}
	f := &failure{}
	f.Error, f.Message = failureOf(*end)
	from := *end
	for i := len(v.events) - 1; i >= 0 && f.Error != ""; i-- {
		e := v.events[i]
		if e.Id >= end.Id || isExecutionEnd(e.Type) {
			continue
		}
		if name, cause := failureOf(e); name == f.Error {
			from, f.Message = e, cause
			break
		}
	}
	f.Message = causeMessage(f.Message)
	entered := int64(0)
	for id, hops := from.PreviousEventId, 0; id > 0 && hops < len(v.events); hops++ {
		e, ok := v.byID[id]
		if !ok {
			break
		}
		if e.StateEnteredEventDetails != nil {
			entered = id
			break
		}
		id = e.PreviousEventId
	}
	if entered == 0 {
		// No chain to follow: the last state entered before the failure.
		for i := len(v.events) - 1; i >= 0; i-- {
			if v.events[i].Id < from.Id && v.events[i].StateEnteredEventDetails != nil {
				entered = v.events[i].Id
				break
			}
		}
	}
	if entered != 0 {
		f.State = v.nameOf[entered]
		if l := v.laneOf[entered]; l != nil && l.depth > 0 {
			f.Lane = l.label
		}
	}
	return f
}
