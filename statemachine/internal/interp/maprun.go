// Distributed Map runs: each item runs as a child execution of a Map Run.

package interp

import (
	"context"
	"fmt"

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

// concurrency is the number of iterations an inline Map runs at once
// (AWS runs at most 40).
func (j mapJob) concurrency() int64 {
	if j.maxConc <= 0 || j.maxConc > 40 {
		return 40
	}
	return j.maxConc
}

// defaultDistributedConcurrency is a Distributed Map's concurrency when
// MaxConcurrency is 0 or absent: "If you don't specify, Step Functions
// runs 10,000 parallel child workflow executions" (the Distributed Map
// guide).
const defaultDistributedConcurrency = 10000

// concurrency is the most child executions that may run at once.
func (v MapRunLimitValues) concurrency() int {
	if v.MaxConcurrency <= 0 {
		return defaultDistributedConcurrency
	}
	return int(min(v.MaxConcurrency, 1<<30))
}

// allows reports whether failed failures out of total stay within the
// tolerated count or percentage (an undeclared field is 0, which
// tolerates none).
func (v MapRunLimitValues) allows(failed, total int) bool {
	return failed == 0 || int64(failed) <= v.ToleratedFailureCount ||
		(total > 0 && float64(failed)*100/float64(total) <= v.ToleratedFailurePercentage)
}

// distributedRun is one Map Run in progress.
type distributedRun struct {
	r          *runner
	st         *step
	mr         MapRunHost
	limits     *MapRunLimits
	runID      string
	resumed    bool
	runStarted int64 // the MapRunStarted event's id
}

// childEnd is how one child execution ended.
type childEnd struct {
	i    int
	out  any
	f    *failure
	done bool // false: the host shut down with the child still running
}

// mapRun runs a Distributed Map: each item becomes a child execution.
// One loop starts children and counts their ends, and reads the Map
// Run's limits at each step, so that UpdateMapRun takes effect at once:
// a higher MaxConcurrency starts more children now, a lower one starts
// none until fewer than it run, and a tolerance exceeded by the failures
// so far fails the run. A failed run starts no more children and aborts
// those still running (the docs allow that some run on "before the Map
// Run fails").
func (r *runner) mapRun(ctx context.Context, st *step, job mapJob) (any, *failure) {
	d := r.startMapRun(st, job)
	n := len(job.inputs)
	outs := make([]any, n)
	cctx, abort := context.WithCancel(ctx)
	defer abort()
	ended := make(chan childEnd, n) // never blocks a child
	stopped := ctx.Done()
	next, running, failed := 0, 0, 0
	exceeded := false
	for {
		lim, changed := d.limits.watch()
		if !exceeded && !lim.allows(failed, n) {
			exceeded = true
			abort()
		}
		if !exceeded && next < n && running < lim.concurrency() && ctx.Err() == nil && !r.env.closing() {
			i := next
			next++
			running++
			go func() {
				out, f, done := d.runChild(cctx, i, job.inputs[i])
				ended <- childEnd{i: i, out: out, f: f, done: done}
			}()
			continue
		}
		if running == 0 {
			break
		}
		select {
		case e := <-ended:
			running--
			switch {
			case !e.done:
			case e.f != nil:
				failed++
			default:
				outs[e.i] = e.out
			}
		case <-changed:
		case <-stopped:
			stopped = nil // the children see ctx too; wait for them to end
		}
	}
	if ctx.Err() != nil {
		return nil, &failure{name: states.Aborted, runtime: true}
	}
	return d.finish(ctx, job, outs, exceeded)
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
	lim := MapRunLimitValues{MaxConcurrency: job.maxConc}
	if job.tolerance.count != nil {
		lim.ToleratedFailureCount = *job.tolerance.count
	}
	if job.tolerance.pct != nil {
		lim.ToleratedFailurePercentage = *job.tolerance.pct
	}
	d.limits = NewMapRunLimits(lim)
	d.mr = r.x.OpenMapRun(MapRunSpec{Label: label, RunID: d.runID, Resumed: d.resumed, MaxConcurrency: job.maxConc,
		ToleratedFailureCount: job.tolerance.count, ToleratedFailurePercentage: job.tolerance.pct,
		Total: len(job.inputs), ChildType: s.mapState.childType, Processor: s.mapState.processor, Limits: d.limits})
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
		f := &failure{name: states.ExceedToleratedFailureThreshold, cause: thresholdCause}
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
