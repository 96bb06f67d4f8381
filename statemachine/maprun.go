// Distributed Map runs: each item runs as a child execution of a Map Run.

package statemachine

import (
	"context"
	"encoding/json"
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
	mr         *mapRun
	arn, runID string
	label      string
	resumed    bool
	childRec   *smRecord
	runStarted int64 // the MapRunStarted event's id
}

// mapRun runs a Distributed Map: each item becomes a child execution.
func (r *runner) mapRun(ctx context.Context, st *step, job mapJob) (any, *failure) {
	d := r.startMapRun(st, job)
	n := len(job.inputs)
	outs := make([]any, n)
	children := make([]*execution, n)
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
			x, out, f, done := d.runChild(ctx, i, job.inputs[i])
			children[i] = x
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
	return d.finish(ctx, job, outs, children, firstFail != nil)
}

// startMapRun registers the Map Run (or finds the one a resumed execution
// was running) and records MapRunStarted.
func (r *runner) startMapRun(st *step, job mapJob) *distributedRun {
	s := st.s
	d := &distributedRun{r: r, st: st, label: s.label}
	if d.label == "" {
		d.label = s.name
	}
	d.resumed = st.resume != nil && st.resume.MapRunID != ""
	d.runID = r.e.opts.NewUUID()
	if d.resumed {
		d.runID = st.resume.MapRunID
	}
	d.arn = r.e.arn("mapRun", r.x.sm.info.Name+"/"+d.label+":"+d.runID)
	info := MapRun{MapRunArn: d.arn, ExecutionArn: r.x.arn, Status: StatusRunning, StartDate: r.e.clock.Now(), MaxConcurrency: int(job.maxConc)}
	if job.tolerance.count != nil {
		info.ToleratedFailureCount = *job.tolerance.count
	}
	if job.tolerance.pct != nil {
		info.ToleratedFailurePercentage = *job.tolerance.pct
	}
	info.ItemCounts.Total = int64(len(job.inputs))
	info.ExecutionCounts.Total = int64(len(job.inputs))
	d.mr = &mapRun{execArn: r.x.arn, info: info}
	r.e.addMapRun(d.mr)
	r.e.persistMapRun(d.mr)
	d.runStarted = st.th.prev
	if !d.resumed {
		d.runStarted = st.th.add(eventtype.MapRunStarted, &MapRunStartedEventDetails{MapRunArn: d.arn})
		if r.durable(st) {
			p := r.progress(st)
			p.MapRunID = d.runID
			r.x.checkpoint(p)
		}
	}
	childType := s.childType
	if childType == "" {
		childType = TypeStandard
	}
	d.childRec = &smRecord{info: StateMachine{Arn: r.x.sm.baseArn() + "/" + d.label, Name: r.x.sm.info.Name + "/" + d.label, Type: childType, RoleArn: r.x.sm.info.RoleArn}, machine: s.processor}
	return d
}

// runChild runs item i as a child execution. done is false when the engine
// is closing: the child then stays RUNNING for a resumed run.
func (d *distributedRun) runChild(ctx context.Context, i int, input any) (x *execution, out any, f *failure, done bool) {
	r, s, mr := d.r, d.st.s, d.mr
	name := childName(d.runID, i)
	carn := r.e.arn("execution", r.x.sm.info.Name+"/"+d.label+":"+name)
	if d.resumed {
		// A child that succeeded before the crash keeps its result.
		if old := r.e.lookupExecution(carn); old != nil && old.status() == StatusSucceeded {
			_ = json.Unmarshal([]byte(deref(old.describe().Output)), &out)
			mr.mu.Lock()
			mr.info.ItemCounts.Succeeded++
			mr.info.ExecutionCounts.Succeeded++
			mr.mu.Unlock()
			return old, out, nil, true
		}
	}
	in := marshal(input)
	x = newExecution(r.e, d.childRec, carn, name, in, input)
	x.mapRunArn = d.arn
	x.parent = r.x
	r.e.addChildExecution(x)
	x.mu.Lock()
	x.start = r.e.clock.Now()
	x.mu.Unlock()
	x.addEvent(eventtype.ExecutionStarted, 0, &ExecutionStartedEventDetails{Input: textJSON(in), RoleArn: d.childRec.info.RoleArn})
	cr := &runner{x: x, e: r.e}
	th := &thread{x: x}
	out, f = cr.runMachine(ctx, s.processor, s.processor.startAt, input, th, nil, &mapItem{index: i, value: input})
	if r.e.ctx.Err() != nil {
		return x, nil, nil, false
	}
	mr.mu.Lock()
	defer mr.mu.Unlock()
	switch {
	case f != nil && ctx.Err() != nil:
		// The parent was stopped (or timed out): the child is aborted.
		x.finish(StatusAborted, nil, &failure{}, th.prev)
		mr.info.ItemCounts.Aborted++
		mr.info.ExecutionCounts.Aborted++
	case f != nil:
		x.finish(StatusFailed, nil, f, th.prev)
		mr.info.ItemCounts.Failed++
		mr.info.ExecutionCounts.Failed++
	default:
		x.finish(StatusSucceeded, out, nil, th.prev)
		mr.info.ItemCounts.Succeeded++
		mr.info.ExecutionCounts.Succeeded++
	}
	return x, out, f, true
}

// finish closes the Map Run, writes the results (ResultWriter) and records
// the Map state's last events.
func (d *distributedRun) finish(ctx context.Context, job mapJob, outs []any, children []*execution, failed bool) (any, *failure) {
	r, st, mr := d.r, d.st, d.mr
	now := r.e.clock.Now()
	mr.mu.Lock()
	mr.info.StopDate = &now
	if failed {
		mr.info.Status = StatusFailed
	} else {
		mr.info.Status = StatusSucceeded
	}
	mr.mu.Unlock()
	r.e.persistMapRun(mr)
	if failed {
		// AWS reports the threshold whether or not a tolerance was declared.
		f := &failure{name: states.ExceedToleratedFailureThreshold, cause: "The specified tolerated failure threshold was exceeded"}
		st.th.add(eventtype.MapRunFailed, &FailureEventDetails{Error: f.name, Cause: f.cause})
		st.th.add(eventtype.MapStateFailed, nil)
		return nil, f
	}
	var result any = outs
	if st.s.resultWriter != nil {
		res, f := r.writeResults(ctx, st, job.effInput, d.arn, children)
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
