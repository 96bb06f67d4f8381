// Distributed Map runs: each item runs as a child execution of a Map Run.

package interp

import (
	"context"
	"fmt"
	"sync"

	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
	"github.com/stepwise-dev/stepwise/statemachine/states"
)

// mapJob is what a Map state runs once its fields are evaluated.
type mapJob struct {
	effInput  any   // the state's effective input (for ResultWriter)
	inputs    []any // one per iteration (or batch)
	maxConc   int64 // 0 = no limit given
	tolerance failureTolerance
}

// failureTolerance is a Map state's ToleratedFailureCount and
// ToleratedFailurePercentage; nil when the field is absent.
type failureTolerance struct {
	count *int64
	pct   *float64
}

// declared reports whether either field is present.
func (t failureTolerance) declared() bool { return t.count != nil || t.pct != nil }

// allows reports whether failed failures out of total stay within the
// tolerance.
func (t failureTolerance) allows(failed, total int) bool {
	if failed == 0 {
		return true
	}
	if t.count != nil && int64(failed) <= *t.count {
		return true
	}
	if t.pct != nil && total > 0 && float64(failed)*100/float64(total) <= *t.pct {
		return true
	}
	return false
}

// concurrency is the number of iterations run at once.
func (j mapJob) concurrency() int64 {
	if j.maxConc <= 0 || j.maxConc > 40 {
		return 40
	}
	return j.maxConc
}

// distributedRun is one Map Run in progress.
type distributedRun struct {
	r          *runner
	st         *step
	mr         MapRunHost
	runID      string
	resumed    bool
	runStarted int64 // the MapRunStarted event's id
}

// mapRun runs a Distributed Map: each item becomes a child execution.
func (r *runner) mapRun(ctx context.Context, st *step, job mapJob) (any, *failure) {
	d := r.startMapRun(st, job)
	n := len(job.inputs)
	outs := make([]any, n)
	sem := make(chan struct{}, job.concurrency())
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	var firstFail *failure
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			out, f, done := d.runChild(ctx, i, job.inputs[i])
			if !done {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if f != nil {
				failed++
				if !job.tolerance.allows(failed, n) && firstFail == nil {
					firstFail = f
				}
				return
			}
			outs[i] = out
		}(i)
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, &failure{name: states.Aborted, runtime: true}
	}
	return d.finish(ctx, job, outs, firstFail != nil)
}

// startMapRun opens the Map Run (or the one a resumed execution was
// running) and records MapRunStarted.
func (r *runner) startMapRun(st *step, job mapJob) *distributedRun {
	s := st.s
	d := &distributedRun{r: r, st: st}
	label := s.mapState.label
	if label == "" {
		label = s.name
	}
	d.resumed = st.resume != nil && st.resume.MapRunID != ""
	d.runID = r.env.NewUUID()
	if d.resumed {
		d.runID = st.resume.MapRunID
	}
	d.mr = r.x.OpenMapRun(MapRunSpec{Label: label, RunID: d.runID, Resumed: d.resumed, MaxConcurrency: job.maxConc,
		ToleratedFailureCount: job.tolerance.count, ToleratedFailurePercentage: job.tolerance.pct,
		Total: len(job.inputs), ChildType: s.mapState.childType, Processor: s.mapState.processor})
	d.runStarted = st.th.prev
	if !d.resumed {
		d.runStarted = st.th.add(eventtype.MapRunStarted, &MapRunStartedEventDetails{MapRunArn: d.mr.ARN()})
		if r.durable(st) {
			p := r.progress(st)
			p.MapRunID = d.runID
			r.x.Checkpoint(p)
		}
	}
	return d
}

// runChild runs item i as a child execution. done is false when the host
// is shutting down: the child then stays RUNNING for a resumed run.
func (d *distributedRun) runChild(ctx context.Context, i int, input any) (out any, f *failure, done bool) {
	r, s := d.r, d.st.s
	x, out, done := d.mr.Child(i, childName(d.runID, i), input)
	if done {
		return out, nil, true
	}
	cr := &runner{x: x, env: r.env}
	th := &thread{x: x}
	out, f = cr.runMachine(ctx, s.mapState.processor, s.mapState.processor.startAt, input, th, nil, &mapItem{index: i, value: input})
	if r.env.closing() {
		return nil, nil, false
	}
	var err *TaskError
	if f != nil {
		err = &TaskError{Name: f.name, Cause: f.cause}
	}
	d.mr.EndChild(x, out, err, f != nil && ctx.Err() != nil, th.prev)
	return out, f, true
}

// finish closes the Map Run, writes the results (ResultWriter) and records
// the Map state's last events.
func (d *distributedRun) finish(ctx context.Context, job mapJob, outs []any, failed bool) (any, *failure) {
	r, st := d.r, d.st
	d.mr.Close(failed)
	if failed {
		// AWS reports the threshold whether or not a tolerance was declared.
		f := &failure{name: states.ExceedToleratedFailureThreshold, cause: "The specified tolerated failure threshold was exceeded"}
		st.th.add(eventtype.MapRunFailed, &FailureEventDetails{Error: f.name, Cause: f.cause})
		st.th.add(eventtype.MapStateFailed, nil)
		return nil, f
	}
	var result any = outs
	if st.s.mapState.resultWriter != nil {
		res, f := r.writeResults(ctx, st, job.effInput, d.mr.ARN(), d.mr.Results())
		if f != nil {
			st.th.add(eventtype.MapRunFailed, &FailureEventDetails{Error: f.name, Cause: f.cause})
			st.th.add(eventtype.MapStateFailed, nil)
			return nil, f
		}
		result = res
	}
	st.th.add(eventtype.MapRunSucceeded, nil)
	st.th.add(eventtype.MapStateSucceeded, nil)
	// AWS links the MapStateExited of a distributed Map to MapRunStarted
	// (every recording since 2024-11; older ones link it to MapRunSucceeded).
	st.th.prev = d.runStarted
	return result, nil
}

// childName names the i-th child execution of a Map Run. Names derive
// from the run id so that a resumed run finds the children it started.
func childName(runID string, i int) string {
	if len(runID) == 36 {
		return runID[:24] + fmt.Sprintf("%012x", i)
	}
	return fmt.Sprintf("%s-%d", runID, i)
}
