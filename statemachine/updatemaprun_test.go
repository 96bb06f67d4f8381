package statemachine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/states"
)

// UpdateMapRun applied to a Map Run in progress (issue 17). Each child
// execution waits 10 s of virtual time, so the number of children running
// is the number of pending timers, and a child's StartDate says when the
// run let it start.

// mapRunDef is a Distributed Map whose children wait 10 s and then fail
// when their item is {"fail":true}; head is added to the Map state.
func mapRunDef(head string) string {
	return `{"StartAt":"M","States":{"M":{"Type":"Map",` + head + `
	  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
	     "StartAt":"W","States":{
	       "W":{"Type":"Wait","Seconds":10,"Next":"C"},
	       "C":{"Type":"Choice","Choices":[{"Variable":"$.fail","BooleanEquals":true,"Next":"F"}],"Default":"S"},
	       "F":{"Type":"Fail","Error":"Boom","Cause":"item failed"},
	       "S":{"Type":"Succeed"}}},
	  "End":true}}}`
}

// items is the Map's input: n items, those at the indexes in fail failing.
func items(n int, fail ...int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"i":%d,"fail":%t}`, i, slices.Contains(fail, i))
	}
	return b.String() + "]"
}

// pending waits until n timers are pending on the virtual clock: n
// children are in their Wait state. The real-time bound only turns a
// missing start into a failure instead of a hang.
func (h *harness) pending(n int) {
	h.t.Helper()
	done := make(chan struct{})
	tm := time.AfterFunc(10*time.Second, func() { close(done) })
	defer tm.Stop()
	if !h.clock.WaitPending(n, done) {
		h.t.Fatalf("%d children waiting, want %d", h.clock.Pending(), n)
	}
}

// mapRunOf returns the ARN of the execution's only Map Run.
func (h *harness) mapRunOf(execArn string) string {
	h.t.Helper()
	runs, err := h.e.ListMapRuns(context.Background(), execArn)
	if err != nil || len(runs) != 1 {
		h.t.Fatalf("ListMapRuns = %d runs, %v", len(runs), err)
	}
	return runs[0].MapRunArn
}

func (h *harness) update(in UpdateMapRunInput) {
	h.t.Helper()
	if _, err := h.e.UpdateMapRun(context.Background(), in); err != nil {
		h.t.Fatal(err)
	}
}

// childStarts returns the seconds after t0 at which the Map Run's children
// started, sorted.
func (h *harness) childStarts(runArn string) []int {
	h.t.Helper()
	kids, err := h.e.ListExecutions(context.Background(), ListExecutionsInput{MapRunArn: runArn})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []int
	for _, k := range kids {
		out = append(out, int(k.StartDate.Sub(t0)/time.Second))
	}
	slices.Sort(out)
	return out
}

func TestUpdateMapRunConcurrencyLive(t *testing.T) {
	h := newHarness(t, mapRunDef(`"MaxConcurrency":2,`), Options{})
	x := h.start("conc", items(10))
	h.pending(2)
	if n := h.clock.Pending(); n != 2 {
		t.Fatalf("%d children running under MaxConcurrency 2", n)
	}
	run := h.mapRunOf(x.ExecutionArn)
	four, one, zero := 4, 1, 0

	// Raised: two more start at once, with no child ending.
	h.update(UpdateMapRunInput{MapRunArn: run, MaxConcurrency: &four})
	h.pending(4)
	// Lowered below the running count: none starts until all four ended,
	// then one at a time.
	h.update(UpdateMapRunInput{MapRunArn: run, MaxConcurrency: &one})
	h.clock.Advance(10 * time.Second)
	h.pending(1)
	h.clock.Advance(10 * time.Second)
	h.pending(1)
	// 0: as many as the run allows: the remaining four start beside the one.
	h.update(UpdateMapRunInput{MapRunArn: run, MaxConcurrency: &zero})
	h.pending(5)
	h.clock.Advance(10 * time.Second)

	got := h.wait(x.ExecutionArn)
	if got.Status != StatusSucceeded {
		t.Fatalf("status %s %s", got.Status, strOrNil(got.Cause))
	}
	want := []int{0, 0, 0, 0, 10, 20, 20, 20, 20, 20}
	if starts := h.childStarts(run); !slices.Equal(starts, want) {
		t.Fatalf("children started at %v s, want %v", starts, want)
	}
	if got.StopDate == nil || !got.StopDate.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("execution stopped at %v, want t0+30s", got.StopDate)
	}
	mr, err := h.e.DescribeMapRun(context.Background(), run)
	if err != nil || mr.MaxConcurrency != 0 || mr.ExecutionCounts.Succeeded != 10 {
		t.Fatalf("DescribeMapRun = %+v, %v", mr, err)
	}
}

func TestUpdateMapRunToleranceLive(t *testing.T) {
	t.Run("raised before the failure, the run succeeds", func(t *testing.T) {
		// No tolerance declared: the failure of item 1 would fail the run.
		h := newHarness(t, mapRunDef(`"MaxConcurrency":1,`), Options{})
		x := h.start("raise", items(3, 1))
		h.pending(1)
		pct := 50.0 // 1 of 3 items is 33%
		h.update(UpdateMapRunInput{MapRunArn: h.mapRunOf(x.ExecutionArn), ToleratedFailurePercentage: &pct})
		for i := 0; i < 3; i++ {
			h.pending(1)
			h.clock.Advance(10 * time.Second)
		}
		got := h.wait(x.ExecutionArn)
		if got.Status != StatusSucceeded {
			t.Fatalf("status %s %s %s, want SUCCEEDED", got.Status, strOrNil(got.Error), strOrNil(got.Cause))
		}
		if want := `[{"fail":false,"i":0},null,{"fail":false,"i":2}]`; strOrNil(got.Output) != want {
			t.Fatalf("output %s, want %s", strOrNil(got.Output), want)
		}
	})
	t.Run("lowered below the failures so far, the run fails at once", func(t *testing.T) {
		h := newHarness(t, mapRunDef(`"MaxConcurrency":1,"ToleratedFailureCount":1,`), Options{})
		x := h.start("lower", items(4, 0))
		h.pending(1)
		h.clock.Advance(10 * time.Second) // item 0 fails, tolerated
		h.pending(1)                      // item 1 waits
		run := h.mapRunOf(x.ExecutionArn)
		zero := int64(0)
		h.update(UpdateMapRunInput{MapRunArn: run, ToleratedFailureCount: &zero})
		got := h.wait(x.ExecutionArn) // no clock advance: item 1 is aborted
		if got.Status != StatusFailed || strOrNil(got.Error) != states.ExceedToleratedFailureThreshold {
			t.Fatalf("status %s %s, want FAILED %s", got.Status, strOrNil(got.Error), states.ExceedToleratedFailureThreshold)
		}
		if !got.StopDate.Equal(t0.Add(10 * time.Second)) {
			t.Fatalf("stopped at %v, want t0+10s", got.StopDate)
		}
		mr, err := h.e.DescribeMapRun(context.Background(), run)
		if err != nil {
			t.Fatal(err)
		}
		if c := mr.ExecutionCounts; mr.Status != StatusFailed || c.Failed != 1 || c.Aborted != 1 || c.Succeeded != 0 || mr.ToleratedFailureCount != 0 {
			t.Fatalf("map run %s %+v, want FAILED with 1 failed, 1 aborted", mr.Status, c)
		}
		if starts := h.childStarts(run); len(starts) != 2 {
			t.Fatalf("%d children started, want 2 (none after the run failed)", len(starts))
		}
		ty := strings.Join(h.types(x.ExecutionArn), " ")
		if !strings.Contains(ty, "MapRunStarted MapRunFailed MapStateFailed") {
			t.Fatalf("history %s", ty)
		}
	})
}

// A durable engine that resumes a Map Run after a restart runs it with
// the values UpdateMapRun gave it, not the Map state's.
func TestUpdateMapRunResumedKeepsLimits(t *testing.T) {
	store := newMemStore()
	h := newHarness(t, mapRunDef(`"MaxConcurrency":1,`), Options{Store: store})
	x := h.start("resume", items(4))
	h.pending(1)
	run := h.mapRunOf(x.ExecutionArn)
	four, pct := 4, 25.0
	h.update(UpdateMapRunInput{MapRunArn: run, MaxConcurrency: &four, ToleratedFailurePercentage: &pct})
	h.pending(4)
	h.e.Close() // the process dies with four children waiting

	h2 := newHarness(t, "", Options{Store: store})
	h2.pending(4) // the resumed run starts all four again
	h2.clock.Advance(10 * time.Second)
	got := h2.wait(x.ExecutionArn)
	if got.Status != StatusSucceeded {
		t.Fatalf("status %s %s", got.Status, strOrNil(got.Cause))
	}
	mr, err := h2.e.DescribeMapRun(context.Background(), run)
	if err != nil || mr.MaxConcurrency != 4 || mr.ToleratedFailurePercentage != 25 || !mr.StartDate.Equal(t0) {
		t.Fatalf("DescribeMapRun after resume = %+v, %v", mr, err)
	}
}
