package main

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

var t0 = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

// ev builds a history event at t0 + ms milliseconds; detail is a state
// name, "Error|cause" for a failure, or "Map#index" for an iteration.
func ev(id, prev int64, ms int, typ types.HistoryEventType, detail string) types.HistoryEvent {
	ts := t0.Add(time.Duration(ms) * time.Millisecond)
	e := types.HistoryEvent{Id: id, PreviousEventId: prev, Timestamp: &ts, Type: typ}
	s := string(typ)
	switch {
	case strings.HasSuffix(s, "StateEntered"):
		e.StateEnteredEventDetails = &types.StateEnteredEventDetails{Name: aws.String(detail)}
	case strings.HasSuffix(s, "StateExited"):
		e.StateExitedEventDetails = &types.StateExitedEventDetails{Name: aws.String(detail)}
	case strings.HasPrefix(s, "MapIteration"):
		name, idx, _ := strings.Cut(detail, "#")
		d := &types.MapIterationEventDetails{Name: aws.String(name), Index: int32(len(idx))}
		switch typ {
		case types.HistoryEventTypeMapIterationStarted:
			e.MapIterationStartedEventDetails = d
		case types.HistoryEventTypeMapIterationSucceeded:
			e.MapIterationSucceededEventDetails = d
		case types.HistoryEventTypeMapIterationFailed:
			e.MapIterationFailedEventDetails = d
		}
	case typ == types.HistoryEventTypeTaskScheduled:
		e.TaskScheduledEventDetails = &types.TaskScheduledEventDetails{ResourceType: aws.String("lambda"), Resource: aws.String("invoke")}
	case typ == types.HistoryEventTypeTaskFailed:
		er, cause, _ := strings.Cut(detail, "|")
		e.TaskFailedEventDetails = &types.TaskFailedEventDetails{Error: aws.String(er), Cause: aws.String(cause)}
	case typ == types.HistoryEventTypeMapRunFailed:
		er, cause, _ := strings.Cut(detail, "|")
		e.MapRunFailedEventDetails = &types.MapRunFailedEventDetails{Error: aws.String(er), Cause: aws.String(cause)}
	case typ == types.HistoryEventTypeExecutionFailed:
		er, cause, _ := strings.Cut(detail, "|")
		e.ExecutionFailedEventDetails = &types.ExecutionFailedEventDetails{Error: aws.String(er), Cause: aws.String(cause)}
	}
	return e
}

// parallelAndMap is the history the engine writes for a Parallel state of
// two branches that run at the same time, then an inline Map of two items
// (iteration indexes are written as "M#" + one "x" per index: M# is 0,
// M#x is 1), then a task whose Lambda error is caught, a cleanup, and a
// Fail state. Previous-event ids are the engine's (and AWS's): an
// iteration's start follows the previous iteration's last event, and the
// Parallel's end follows the last branch's last event.
var parallelAndMap = []types.HistoryEvent{
	ev(1, 0, 0, "ExecutionStarted", ""),
	ev(2, 0, 1, "ParallelStateEntered", "Fan"),
	ev(3, 2, 2, "ParallelStateStarted", ""),
	ev(4, 3, 3, "PassStateEntered", "A"),
	ev(5, 3, 3, "PassStateEntered", "B"),
	ev(6, 4, 25, "PassStateExited", "A"),
	ev(7, 6, 26, "PassStateEntered", "A2"),
	ev(8, 5, 1203, "PassStateExited", "B"),
	ev(9, 7, 1250, "PassStateExited", "A2"),
	ev(10, 9, 1251, "ParallelStateSucceeded", ""),
	ev(11, 9, 1251, "ParallelStateExited", "Fan"),
	ev(12, 11, 1260, "MapStateEntered", "Each"),
	ev(13, 12, 1261, "MapStateStarted", ""),
	ev(14, 13, 1262, "MapIterationStarted", "Each#"),
	ev(15, 14, 1263, "PassStateEntered", "Item"),
	ev(16, 15, 1270, "PassStateExited", "Item"),
	ev(17, 16, 1271, "MapIterationSucceeded", "Each#"),
	ev(18, 16, 1272, "MapIterationStarted", "Each#x"),
	ev(19, 18, 1273, "PassStateEntered", "Item"),
	ev(20, 19, 1290, "PassStateExited", "Item"),
	ev(21, 20, 1291, "MapIterationSucceeded", "Each#x"),
	ev(22, 21, 1292, "MapStateSucceeded", ""),
	ev(23, 21, 1292, "MapStateExited", "Each"),
	ev(24, 23, 1300, "TaskStateEntered", "Plan"),
	ev(25, 24, 1301, "TaskScheduled", ""),
	ev(26, 25, 1302, "TaskStarted", ""),
	ev(27, 26, 1340, "TaskFailed", `InvalidExportRequest|{"errorMessage":"invalid export request: /source/bucket: required","errorType":"InvalidExportRequest"}`),
	ev(28, 27, 1341, "TaskStateExited", "Plan"),
	ev(29, 28, 1342, "TaskStateEntered", "Cleanup"),
	ev(30, 29, 1390, "TaskStateExited", "Cleanup"),
	ev(31, 30, 1391, "FailStateEntered", "Failed"),
	ev(32, 31, 1392, "ExecutionFailed", `InvalidExportRequest|{"errorMessage":"invalid export request: /source/bucket: required","errorType":"InvalidExportRequest"}`),
}

// TestEventTable pins the history / watch table: fixed columns (so rows
// printed one by one line up), millisecond times, durations on the events
// that end a state, iteration or execution, and Parallel branches and Map
// iterations indented and marked (issue 10 item 10).
func TestEventTable(t *testing.T) {
	var b strings.Builder
	tab := newEventTable(&b)
	tab.loc = time.UTC
	tab.header()
	for _, e := range parallelAndMap {
		tab.event(e)
	}
	want := `   ID  TIME                     TYPE                          DURATION  STATE / DETAIL
    1  2026-11-23 08:00:00.000  ExecutionStarted
    2  2026-11-23 08:00:00.001  ParallelStateEntered                    Fan
    3  2026-11-23 08:00:00.002  ParallelStateStarted
    4  2026-11-23 08:00:00.003  PassStateEntered                          [branch 1 of Fan] A
    5  2026-11-23 08:00:00.003  PassStateEntered                          [branch 2 of Fan] B
    6  2026-11-23 08:00:00.025  PassStateExited                   22ms    [branch 1 of Fan] A
    7  2026-11-23 08:00:00.026  PassStateEntered                          [branch 1 of Fan] A2
    8  2026-11-23 08:00:01.203  PassStateExited                 1.200s    [branch 2 of Fan] B
    9  2026-11-23 08:00:01.250  PassStateExited                 1.224s    [branch 1 of Fan] A2
   10  2026-11-23 08:00:01.251  ParallelStateSucceeded
   11  2026-11-23 08:00:01.251  ParallelStateExited             1.250s  Fan
   12  2026-11-23 08:00:01.260  MapStateEntered                         Each
   13  2026-11-23 08:00:01.261  MapStateStarted
   14  2026-11-23 08:00:01.262  MapIterationStarted                       [item 0 of Each]
   15  2026-11-23 08:00:01.263  PassStateEntered                          [item 0 of Each] Item
   16  2026-11-23 08:00:01.270  PassStateExited                    7ms    [item 0 of Each] Item
   17  2026-11-23 08:00:01.271  MapIterationSucceeded              9ms    [item 0 of Each]
   18  2026-11-23 08:00:01.272  MapIterationStarted                       [item 1 of Each]
   19  2026-11-23 08:00:01.273  PassStateEntered                          [item 1 of Each] Item
   20  2026-11-23 08:00:01.290  PassStateExited                   17ms    [item 1 of Each] Item
   21  2026-11-23 08:00:01.291  MapIterationSucceeded             19ms    [item 1 of Each]
   22  2026-11-23 08:00:01.292  MapStateSucceeded
   23  2026-11-23 08:00:01.292  MapStateExited                    32ms  Each
   24  2026-11-23 08:00:01.300  TaskStateEntered                        Plan
   25  2026-11-23 08:00:01.301  TaskScheduled                           lambda:invoke
   26  2026-11-23 08:00:01.302  TaskStarted
   27  2026-11-23 08:00:01.340  TaskFailed                              InvalidExportRequest invalid export request: /source/bucket: required
   28  2026-11-23 08:00:01.341  TaskStateExited                   41ms  Plan
   29  2026-11-23 08:00:01.342  TaskStateEntered                        Cleanup
   30  2026-11-23 08:00:01.390  TaskStateExited                   48ms  Cleanup
   31  2026-11-23 08:00:01.391  FailStateEntered                        Failed
   32  2026-11-23 08:00:01.392  ExecutionFailed                 1.392s  InvalidExportRequest invalid export request: /source/bucket: required
`
	if got := b.String(); got != want {
		gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
		for i := range max(len(gl), len(wl)) {
			g, w := "", ""
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("line %d:\n got %q\nwant %q", i+1, g, w)
			}
		}
	}
}

// TestExplainFailure: the failed state, its error and the cause's message
// (issue 10 item 3: the runner printed only the execution's error and the
// raw {"errorMessage":...} document).
func TestExplainFailure(t *testing.T) {
	lambdaMissing := "Function not found: arn:aws:lambda:us-east-1:123456789012:function:stepwise-plan"
	cases := []struct {
		name   string
		events []types.HistoryEvent
		want   failure
	}{
		{"caught step error, cleanup, Fail state", parallelAndMap,
			failure{State: "Plan", Error: "InvalidExportRequest", Message: "invalid export request: /source/bucket: required"}},
		{"missing Lambda function", []types.HistoryEvent{
			ev(1, 0, 0, "ExecutionStarted", ""),
			ev(2, 0, 1, "TaskStateEntered", "Plan"),
			ev(3, 2, 2, "TaskScheduled", ""),
			ev(4, 3, 3, "TaskFailed", "Lambda.ResourceNotFoundException|"+lambdaMissing),
			ev(5, 4, 4, "ExecutionFailed", "Lambda.ResourceNotFoundException|"+lambdaMissing),
		}, failure{State: "Plan", Error: "Lambda.ResourceNotFoundException", Message: lambdaMissing}},
		{"Fail state after a Choice", []types.HistoryEvent{
			ev(1, 0, 0, "ExecutionStarted", ""),
			ev(2, 0, 1, "ChoiceStateEntered", "Check"),
			ev(3, 2, 2, "ChoiceStateExited", "Check"),
			ev(4, 3, 3, "FailStateEntered", "TooBig"),
			ev(5, 4, 4, "ExecutionFailed", "TooBig|more than 1000 rows"),
		}, failure{State: "TooBig", Error: "TooBig", Message: "more than 1000 rows"}},
		{"a task in a Map iteration", []types.HistoryEvent{
			ev(1, 0, 0, "ExecutionStarted", ""),
			ev(2, 0, 1, "MapStateEntered", "Each"),
			ev(3, 2, 2, "MapStateStarted", ""),
			ev(4, 3, 3, "MapIterationStarted", "Each#"),
			ev(5, 4, 4, "TaskStateEntered", "Work"),
			ev(6, 4, 4, "MapIterationStarted", "Each#x"),
			ev(7, 6, 5, "TaskStateEntered", "Work"),
			ev(8, 7, 6, "TaskFailed", `Boom|{"errorMessage":"row 7: bad total","errorType":"Boom","stackTrace":[]}`),
			ev(9, 8, 7, "MapIterationFailed", "Each#x"),
			ev(10, 9, 8, "MapStateFailed", ""),
			ev(11, 10, 9, "ExecutionFailed", "States.BranchFailed|Failed to run item 1 of Each"),
		}, failure{State: "Work", Lane: "item 1 of Each", Error: "States.BranchFailed", Message: "Failed to run item 1 of Each"}},
		{"a task in a Map iteration, error passed on", []types.HistoryEvent{
			ev(1, 0, 0, "ExecutionStarted", ""),
			ev(2, 0, 1, "MapStateEntered", "Each"),
			ev(3, 2, 2, "MapStateStarted", ""),
			ev(4, 3, 3, "MapIterationStarted", "Each#"),
			ev(5, 4, 4, "TaskStateEntered", "Work"),
			ev(6, 4, 4, "MapIterationStarted", "Each#x"),
			ev(7, 6, 5, "TaskStateEntered", "Work"),
			ev(8, 7, 6, "TaskFailed", `Boom|{"errorMessage":"row 7: bad total","errorType":"Boom","stackTrace":[]}`),
			ev(9, 8, 7, "MapIterationFailed", "Each#x"),
			ev(10, 9, 8, "MapStateFailed", ""),
			ev(11, 10, 9, "ExecutionFailed", `Boom|{"errorMessage":"row 7: bad total","errorType":"Boom","stackTrace":[]}`),
		}, failure{State: "Work", Lane: "item 1 of Each", Error: "Boom", Message: "row 7: bad total"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := newHistoryView()
			for _, e := range c.events {
				v.add(e)
			}
			got := v.explain()
			if got == nil {
				t.Fatal("no failure found")
			}
			if *got != c.want {
				t.Errorf("explain = %+v\nwant %+v", *got, c.want)
			}
		})
	}
	v := newHistoryView()
	v.add(ev(1, 0, 0, "ExecutionStarted", ""))
	v.add(ev(2, 1, 1, "ExecutionSucceeded", ""))
	if f := v.explain(); f != nil {
		t.Errorf("a succeeded execution explained as %+v", f)
	}
}

func TestCauseMessage(t *testing.T) {
	for in, want := range map[string]string{
		`{"errorMessage":"boom","errorType":"E","stackTrace":["a"]}`: "boom",
		`{"errorMessage":"{\"errorMessage\":\"inner\"}"}`:            "inner",
		`plain text`:         "plain text",
		`{"other":"json"}`:   `{"other":"json"}`,
		`{"errorMessage":1}`: `{"errorMessage":1}`,
		``:                   ``,
	} {
		if got := causeMessage(in); got != want {
			t.Errorf("causeMessage(%q) = %q, want %q", in, got, want)
		}
	}
}
