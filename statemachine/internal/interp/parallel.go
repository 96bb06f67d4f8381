// The Parallel state.

package interp

import (
	"context"
	"sync"

	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
	"github.com/stepwise-dev/stepwise/statemachine/states"
)

func (r *runner) execParallel(ctx context.Context, st *step, effInput any) (any, *failure) {
	s := st.s
	input := effInput
	if s.parameters != nil {
		var f *failure
		if input, f = r.evalTmpl(st, s.parameters, effInput, "Parameters"); f != nil {
			return nil, f
		}
	}
	if r.tested(st) != nil && r.mock != nil {
		return r.testParallel(st)
	}
	st.th.add(eventtype.ParallelStateStarted, nil)
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outs := make([]any, len(s.parallel.branches))
	threads := make([]*thread, len(s.parallel.branches))
	var mu sync.Mutex
	var first *failure
	var firstPrev int64
	var wg sync.WaitGroup
	for i, b := range s.parallel.branches {
		th := &thread{x: r.x, prev: st.th.prev, branch: true}
		threads[i] = th
		wg.Add(1)
		go func(i int, b *Machine) {
			defer wg.Done()
			out, f := r.runMachine(bctx, b, b.startAt, input, th, &scope{parent: st.vars}, nil)
			if f != nil {
				mu.Lock()
				if first == nil && bctx.Err() == nil {
					first, firstPrev = f, th.prev
					if f.branchPrev != 0 {
						firstPrev = f.branchPrev
					}
					cancel()
				}
				mu.Unlock()
				return
			}
			outs[i] = out
		}(i, b)
	}
	wg.Wait()
	if first != nil {
		if first.runtime {
			st.th.prev = firstPrev
			st.th.add(eventtype.ParallelStateFailed, nil)
			return nil, first
		}
		return nil, &failure{name: first.name, cause: first.cause, failEvent: eventtype.ParallelStateFailed, prev: firstPrev}
	}
	if ctx.Err() != nil {
		return nil, &failure{name: states.Aborted, runtime: true}
	}
	last := r.x.LastEventID()
	st.th.prev = last
	st.th.add(eventtype.ParallelStateSucceeded, nil)
	st.th.prev = last
	return outs, nil
}

// ---- Map ----
