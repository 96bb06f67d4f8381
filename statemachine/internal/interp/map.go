// The Map state: items, ItemSelector, tolerated failures and the inline mode.

package interp

import (
	"context"
	"math"
	"strconv"
	"sync"

	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
	"github.com/stepwise-dev/stepwise/statemachine/jsonpath"
	"github.com/stepwise-dev/stepwise/statemachine/states"
)

func (r *runner) intField(st *step, effInput any, lit *int64, p *jsonpath.Path, name string) (int64, bool, *failure) {
	if p != nil {
		v, err := r.resolve(st, p, effInput)
		if err != nil {
			return 0, false, r.runtimeErr(st, "%s", err.Error())
		}
		n, ok := v.(float64)
		if sv, isStr := v.(string); isStr {
			// AWS parses numeric text too ("1").
			if i, err := strconv.ParseInt(sv, 10, 64); err == nil {
				n, ok = float64(i), true
			}
		}
		if !ok || n != math.Trunc(n) {
			return 0, false, r.runtimeErr(st, "The %s field refers to value \"%s\" which is not a valid integer: %s", name, rawString(v), p)
		}
		return int64(n), true, nil
	}
	if lit != nil {
		return *lit, true, nil
	}
	return 0, false, nil
}

func (r *runner) execMap(ctx context.Context, st *step, effInput any) (any, *failure) {
	s := st.s
	if s.lang == langJSONata {
		return r.execMapJSONata(ctx, st, effInput)
	}
	itemsVal := effInput
	if s.mapState.itemsPath.p != nil {
		v, err := r.resolve(st, s.mapState.itemsPath.p, effInput)
		if err != nil {
			return nil, r.runtimeErr(st, "%s", err.Error())
		}
		itemsVal = v
	}
	if s.mapState.itemReader != nil {
		var f *failure
		if itemsVal, f = r.readItems(ctx, st, effInput); f != nil {
			return nil, f
		}
	}
	items, ok := itemsVal.([]any)
	if !ok {
		return nil, r.runtimeErr(st, "Item selector path does not reference an array: %s", Marshal(itemsVal))
	}
	t := r.testedMap(st)
	if t != nil && s.mapState.itemReader == nil {
		t.mp.itemsPath = Marshal(items)
	}
	maxConc := s.mapState.maxConc
	if s.mapState.maxConcPath != nil {
		n, _, f := r.intField(st, effInput, nil, s.mapState.maxConcPath, "MaxConcurrencyPath")
		if f != nil {
			return nil, f
		}
		maxConc = n
	}
	// Per-item inputs (ItemSelector / legacy Parameters).
	inputs := make([]any, len(items))
	for i, it := range items {
		if s.mapState.itemSelector != nil {
			ist := *st
			ist.item = &mapItem{index: i, value: it}
			ist.ctxObj = nil
			v, f := r.evalTmpl(&ist, s.mapState.itemSelector, effInput, "ItemSelector")
			if f != nil {
				return nil, f
			}
			inputs[i] = v
		} else {
			inputs[i] = it
		}
	}
	t.noteItems(s, inputs, false)
	if s.mapState.itemBatcher != nil {
		var f *failure
		if inputs, f = r.batchItems(st, inputs, effInput); f != nil {
			return nil, f
		}
		t.noteItems(s, inputs, true)
	}
	if st.resume == nil || st.resume.MapRunID == "" {
		st.th.add(eventtype.MapStateStarted, &MapStateStartedEventDetails{Length: len(inputs)})
	}
	job := mapJob{effInput: effInput, inputs: inputs, maxConc: maxConc}
	tolCount, hasCount, f := r.intField(st, effInput, s.mapState.tolCount, s.mapState.tolCountPath, "ToleratedFailureCountPath")
	if f != nil {
		return nil, f
	}
	if hasCount && tolCount < 0 {
		return nil, r.runtimeErr(st, "ToleratedFailureCount cannot be negative.")
	}
	if hasCount {
		job.tolerance.count = &tolCount
	}
	if s.mapState.tolPct != nil {
		pct := *s.mapState.tolPct
		job.tolerance.pct = &pct
	}
	if s.mapState.tolPctPath != nil {
		v, err := r.resolve(st, s.mapState.tolPctPath, effInput)
		if err != nil {
			return nil, r.runtimeErr(st, "%s", err.Error())
		}
		n, ok := v.(float64)
		if sv, isStr := v.(string); isStr {
			if x, err := strconv.ParseFloat(sv, 64); err == nil {
				n, ok = x, true
			}
		}
		if !ok {
			return nil, r.runtimeErr(st, "The ToleratedFailurePercentagePath field refers to value \"%s\" which is not a valid float: %s", rawString(v), s.mapState.tolPctPath)
		}
		job.tolerance.pct = &n
	}
	if p := job.tolerance.pct; p != nil && (*p < 0 || *p > 100) {
		return nil, r.runtimeErr(st, "ToleratedFailurePercentage must be between 0 and 100.")
	}
	if t != nil {
		return r.testMap(st, job)
	}
	if s.mapState.distributed {
		return r.mapRun(ctx, st, job)
	}
	return r.inlineMap(ctx, st, job)
}

// rawString renders a value as text: strings bare, anything else as JSON.
func rawString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return Marshal(v)
}

// inlineMap runs the iterations of an inline Map state in this execution.
func (r *runner) inlineMap(ctx context.Context, st *step, job mapJob) (any, *failure) {
	s := st.s
	inputs := job.inputs
	n := len(inputs)
	outs := make([]any, n)
	maxConc := job.concurrency()
	if s.mapState.processor.pure {
		maxConc = 1
	}
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	failed := 0
	var firstFail *failure
	var failPrev int64
	var wg sync.WaitGroup
	sem := make(chan int64, maxConc) // carries the prev id for the next iteration start
	for i := int64(0); i < maxConc; i++ {
		sem <- st.th.prev
	}
	lastSucc := st.th.prev
	for i := 0; i < n; i++ {
		var prev int64
		select {
		case prev = <-sem:
		case <-mctx.Done():
		}
		if mctx.Err() != nil {
			break
		}
		th := &thread{x: r.x, prev: prev}
		th.add(eventtype.MapIterationStarted, &MapIterationEventDetails{Name: s.name, Index: i})
		wg.Add(1)
		iter := func(i int) {
			defer wg.Done()
			out, f := r.runMachine(mctx, s.mapState.processor, s.mapState.processor.startAt, inputs[i], th, &scope{parent: st.vars}, &mapItem{index: i, value: inputs[i]})
			if f != nil {
				if mctx.Err() != nil && !f.runtime {
					sem <- th.prev
					return
				}
				r.x.AddEvent(eventtype.MapIterationFailed, th.prev, &MapIterationEventDetails{Name: s.name, Index: i})
				mu.Lock()
				failed++
				if f.runtime || !job.tolerance.allows(failed, n) {
					if firstFail == nil {
						firstFail, failPrev = f, th.prev
						cancel()
					}
				}
				mu.Unlock()
				sem <- th.prev
				return
			}
			outs[i] = out
			id := r.x.AddEvent(eventtype.MapIterationSucceeded, th.prev, &MapIterationEventDetails{Name: s.name, Index: i})
			mu.Lock()
			if id > lastSucc {
				lastSucc = id
			}
			mu.Unlock()
			sem <- th.prev
		}
		if s.mapState.processor.pure {
			iter(i) // never blocks: no goroutine needed
		} else {
			go iter(i)
		}
	}
	wg.Wait()
	if firstFail != nil {
		if firstFail.runtime {
			st.th.prev = failPrev
			st.th.add(eventtype.MapStateFailed, nil)
			return nil, firstFail
		}
		if job.tolerance.declared() {
			return nil, &failure{name: states.ExceedToleratedFailureThreshold, cause: thresholdCause, failEvent: eventtype.MapStateFailed, prev: failPrev}
		}
		return nil, &failure{name: firstFail.name, cause: firstFail.cause, failEvent: eventtype.MapStateFailed, prev: failPrev}
	}
	if ctx.Err() != nil {
		return nil, &failure{name: states.Aborted, runtime: true}
	}
	last := r.x.LastEventID()
	st.th.prev = last
	st.th.add(eventtype.MapStateSucceeded, nil)
	st.th.prev = last
	return outs, nil
}
