package main

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/workflow"
)

// runner workflows shows a workflow's schedules with the next instant
// each fires at, computed in its time zone, and its trigger file.
func TestWorkflowInfoFromFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"steps/steps.json":               {Data: []byte(`{"steps": {"plan": {"arn_placeholder": "PlanFunctionArn", "memory_mb": 128, "timeout_seconds": 1}}}`)},
		"statemachine/demo.asl.json":     {Data: []byte(`{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`)},
		"statemachine/demo.trigger.json": {Data: []byte("{\n  \"source\": [\"aws.s3\"]\n}\n")},
		"statemachine/demo.schedule.json": {Data: []byte(`{"schedules": [
			{"name": "weekly", "expression": "cron(0 6 ? * MON *)", "timezone": "Europe/Berlin"},
			{"name": "often", "expression": "rate(5 minutes)", "enabled": false}]}`)},
	}
	p, err := workflow.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC) // a Saturday
	wi := &workflowInfo{Name: "demo", StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:stepwise-demo"}
	fromFiles(wi, p.Workflow("demo"), now)
	if len(wi.Schedules) != 2 {
		t.Fatalf("schedules %+v, want 2", wi.Schedules)
	}
	if next := wi.Schedules[0].Next; next == nil || !next.Equal(time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)) {
		t.Errorf("weekly next %v, want Monday 2026-12-07 06:00 in Berlin (05:00 UTC)", next)
	}
	if wi.Schedules[1].Next != nil || wi.Schedules[1].Enabled || wi.Schedules[1].Timezone != "UTC" {
		t.Errorf("disabled schedule %+v: want no next instant, UTC", wi.Schedules[1])
	}
	var b strings.Builder
	printWorkflows(&b, []*workflowInfo{wi})
	for _, want := range []string{
		"demo\n",
		"  state machine   arn:aws:states:us-east-1:123456789012:stateMachine:stepwise-demo\n",
		`  trigger         S3 Object Created matching {"source":["aws.s3"]} (statemachine/demo.trigger.json)` + "\n",
		"  schedule        weekly: cron(0 6 ? * MON *) Europe/Berlin, next 2026-12-07 05:00 UTC\n",
		"  schedule        often: rate(5 minutes) UTC, disabled\n",
		"  last execution  none\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}
