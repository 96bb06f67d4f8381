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

// mapRun runs a Distributed Map: each item becomes a child execution.
func (r *runner) mapRun(ctx context.Context, st *step, effInput any, inputs []any, maxConc, tolCount int64, hasCount bool, tolPct float64, hasPct bool) (any, *failure) {
	s := st.s
	label := s.label
	if label == "" {
		label = s.name
	}
	resumed := st.resume != nil && st.resume.MapRunID != ""
	runID := r.e.opts.NewUUID()
	if resumed {
		runID = st.resume.MapRunID
	}
	arn := r.e.arn("mapRun", r.x.sm.info.Name+"/"+label+":"+runID)
	mr := &mapRun{execArn: r.x.arn, info: MapRun{MapRunArn: arn, ExecutionArn: r.x.arn, Status: StatusRunning, StartDate: r.e.clock.Now(),
		MaxConcurrency: int(maxConc), ToleratedFailureCount: tolCount, ToleratedFailurePercentage: tolPct}}
	mr.info.ItemCounts.Total = int64(len(inputs))
	mr.info.ExecutionCounts.Total = int64(len(inputs))
	r.e.mu.Lock()
	r.e.mapRuns[arn] = mr
	r.e.mu.Unlock()
	r.e.persistMapRun(mr)
	runStarted := st.th.prev
	if !resumed {
		runStarted = st.th.add(eventtype.MapRunStarted, &MapRunStartedEventDetails{MapRunArn: arn})
		if r.durable(st) {
			p := r.progress(st)
			p.MapRunID = runID
			r.x.checkpoint(p)
		}
	}
	childType := s.childType
	if childType == "" {
		childType = TypeStandard
	}
	childRec := &smRecord{info: StateMachine{Arn: r.x.sm.baseArn() + "/" + label, Name: r.x.sm.info.Name + "/" + label, Type: childType, RoleArn: r.x.sm.info.RoleArn}, machine: s.processor}
	n := len(inputs)
	outs := make([]any, n)
	children := make([]*execution, n)
	limit := maxConc
	if limit <= 0 || limit > 40 {
		limit = 40
	}
	sem := make(chan struct{}, limit)
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
			name := childName(runID, i)
			carn := r.e.arn("execution", r.x.sm.info.Name+"/"+label+":"+name)
			if resumed {
				// A child that succeeded before the crash keeps its result.
				r.e.mu.RLock()
				old := r.e.execs[carn]
				r.e.mu.RUnlock()
				if old != nil && old.status() == StatusSucceeded {
					var out any
					_ = json.Unmarshal([]byte(deref(old.describe().Output)), &out)
					children[i] = old
					mr.mu.Lock()
					mr.info.ItemCounts.Succeeded++
					mr.info.ExecutionCounts.Succeeded++
					mr.mu.Unlock()
					mu.Lock()
					outs[i] = out
					mu.Unlock()
					return
				}
			}
			in := marshal(inputs[i])
			x := newExecution(r.e, childRec, carn, name, in, inputs[i])
			x.mapRunArn = arn
			x.parent = r.x
			children[i] = x
			r.e.mu.Lock()
			if old, ok := r.e.execs[carn]; ok {
				for j, y := range r.e.execList {
					if y == old {
						r.e.execList = append(r.e.execList[:j:j], r.e.execList[j+1:]...)
						break
					}
				}
			}
			r.e.execs[carn] = x
			r.e.execList = append(r.e.execList, x)
			r.e.mu.Unlock()
			x.mu.Lock()
			x.start = r.e.clock.Now()
			x.mu.Unlock()
			x.addEvent(eventtype.ExecutionStarted, 0, &ExecutionStartedEventDetails{Input: textJSON(in), RoleArn: childRec.info.RoleArn})
			cr := &runner{x: x, e: r.e}
			th := &thread{x: x}
			out, f := cr.runMachine(ctx, s.processor, s.processor.startAt, inputs[i], th, nil, &mapItem{index: i, value: inputs[i]})
			if r.e.ctx.Err() != nil {
				return // engine closing: the child stays RUNNING for a resumed run
			}
			mr.mu.Lock()
			if f != nil && ctx.Err() != nil {
				// The parent was stopped (or timed out): the child is aborted.
				x.finish(StatusAborted, nil, &failure{}, th.prev)
				mr.info.ItemCounts.Aborted++
				mr.info.ExecutionCounts.Aborted++
			} else if f != nil {
				x.finish(StatusFailed, nil, f, th.prev)
				mr.info.ItemCounts.Failed++
				mr.info.ExecutionCounts.Failed++
			} else {
				x.finish(StatusSucceeded, out, nil, th.prev)
				mr.info.ItemCounts.Succeeded++
				mr.info.ExecutionCounts.Succeeded++
			}
			mr.mu.Unlock()
			mu.Lock()
			defer mu.Unlock()
			if f != nil {
				failed++
				if !tolerated(failed, n, tolCount, hasCount, tolPct, hasPct) && firstFail == nil {
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
	now := r.e.clock.Now()
	mr.mu.Lock()
	mr.info.StopDate = &now
	if firstFail != nil {
		mr.info.Status = StatusFailed
	} else {
		mr.info.Status = StatusSucceeded
	}
	mr.mu.Unlock()
	r.e.persistMapRun(mr)
	if firstFail != nil {
		f := &failure{name: states.ExceedToleratedFailureThreshold, cause: "The specified tolerated failure threshold was exceeded"}
		if !hasCount && !hasPct {
			f = &failure{name: states.ExceedToleratedFailureThreshold, cause: "The specified tolerated failure threshold was exceeded"}
		}
		st.th.add(eventtype.MapRunFailed, &FailureEventDetails{Error: f.name, Cause: f.cause})
		st.th.add(eventtype.MapStateFailed, nil)
		return nil, f
	}
	var result any = outs
	if s.resultWriter != nil {
		res, f := r.writeResults(ctx, st, effInput, arn, children)
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
	st.th.prev = runStarted
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

// ---- nested Step Functions ----
