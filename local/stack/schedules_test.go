package stack

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/statemachine/vclock"
)

// TestSchedulesFireOnTheStackClock: a rate(5 minutes) schedule fires on
// the stack's (virtual) clock an execution named
// <workflow>-<schedule>-<UTC instant> with the schedule's input, through
// the alias "live"; a restart does not fire it again, and a fire missed
// while the stack was down is delivered once on the next start.
func TestSchedulesFireOnTheStackClock(t *testing.T) {
	ctx := context.Background()
	repo := project(map[string]string{
		"statemachine/tick.asl.json":      passASL,
		"statemachine/tick.schedule.json": `{"schedules": [{"name": "every5", "expression": "rate(5 minutes)", "input": {"x": 1}}]}`,
	})
	dir := t.TempDir()
	start := time.Date(2026, 3, 1, 10, 2, 0, 0, time.UTC)

	open := func(now time.Time) (*Stack, *vclock.Clock) {
		t.Helper()
		clock := vclock.New(now)
		st, err := Open(ctx, Options{DataDir: dir, Repo: repo, NoS3: true, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		return st, clock
	}
	// fired advances the clock by d once the scheduler waits, and returns
	// the names of the machine's executions once the scheduler waits again.
	fired := func(st *Stack, clock *vclock.Clock, d time.Duration) []string {
		t.Helper()
		done := make(chan struct{})
		timer := time.AfterFunc(20*time.Second, func() { close(done) })
		defer timer.Stop()
		if !clock.WaitPending(1, done) {
			t.Fatal("the scheduler set no timer")
		}
		clock.Advance(d)
		if !clock.WaitPending(1, done) {
			t.Fatal("the scheduler set no timer after the fire")
		}
		list, err := st.Engine.ListExecutions(ctx, statemachine.ListExecutionsInput{StateMachineArn: st.Workflows[0].Arn})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, x := range list {
			names = append(names, x.Name)
		}
		slices.Sort(names)
		return names
	}

	st, clock := open(start)
	got := fired(st, clock, 3*time.Minute) // to 10:05
	if want := []string{"tick-every5-20260301T100500Z"}; !slices.Equal(got, want) {
		t.Fatalf("executions %v, want %v", got, want)
	}
	x, err := st.Engine.DescribeExecution(ctx, "arn:aws:states:us-east-1:123456789012:execution:stepwise-tick:tick-every5-20260301T100500Z")
	if err != nil {
		t.Fatal(err)
	}
	if in := aws.ToString(x.Input); in != `{"x":1}` {
		t.Errorf("input %s, want the schedule's input", in)
	}
	st.Close()
	if _, err := os.Stat(filepath.Join(dir, SchedulerStateFile)); err != nil {
		t.Errorf("no scheduler state file: %v", err)
	}

	// Restart at 10:06: nothing new (10:05 is done); the next fire is 10:10.
	st, clock = open(start.Add(4 * time.Minute))
	got = fired(st, clock, 2*time.Minute) // to 10:08
	if want := []string{"tick-every5-20260301T100500Z"}; !slices.Equal(got, want) {
		t.Errorf("after a restart, executions %v, want %v (no second fire of 10:05)", got, want)
	}
	st.Close()

	// Down from 10:08 to 10:12: 10:10 is delivered once at start-up.
	st, clock = open(start.Add(10 * time.Minute))
	defer st.Close()
	got = fired(st, clock, 2*time.Minute) // to 10:14
	if want := []string{"tick-every5-20260301T100500Z", "tick-every5-20260301T101000Z"}; !slices.Equal(got, want) {
		t.Errorf("after an outage, executions %v, want %v", got, want)
	}
}

// TestNoSchedules: Options.NoSchedules keeps every schedule from firing.
func TestNoSchedules(t *testing.T) {
	ctx := context.Background()
	repo := project(map[string]string{
		"statemachine/tick.asl.json":      passASL,
		"statemachine/tick.schedule.json": `{"schedules": [{"name": "every5", "expression": "rate(5 minutes)"}]}`,
	})
	dir := t.TempDir()
	clock := vclock.New(time.Date(2026, 3, 1, 10, 2, 0, 0, time.UTC))
	st, err := Open(ctx, Options{DataDir: dir, Repo: repo, NoS3: true, Clock: clock, NoSchedules: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n := clock.Pending(); n != 0 {
		t.Errorf("%d timers pending with NoSchedules", n)
	}
	clock.Advance(time.Hour)
	list, _ := st.Engine.ListExecutions(ctx, statemachine.ListExecutionsInput{StateMachineArn: st.Workflows[0].Arn})
	if len(list) != 0 {
		t.Errorf("%d executions with NoSchedules", len(list))
	}
	if _, err := os.Stat(filepath.Join(dir, SchedulerStateFile)); !os.IsNotExist(err) {
		t.Errorf("scheduler state file written with NoSchedules: %v", err)
	}
}
