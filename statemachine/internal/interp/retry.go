// Retry and Catch: matching error names and backing off between attempts.

package interp

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/states"
)

func matchErr(list []string, name string) bool {
	for _, e := range list {
		switch {
		case e == name:
			return true
		case e == states.ALL:
			return true
		case e == states.TaskFailed && name != states.Timeout && name != states.HeartbeatTimeout && !strings.HasPrefix(name, states.Prefix) || e == states.TaskFailed && name == states.TaskFailed:
			return true
		}
	}
	return false
}

func matchCatch(cs []*catcher, name string) *catcher {
	for _, c := range cs {
		if matchErr(c.errors, name) {
			return c
		}
	}
	return nil
}

// withRetry runs attempt, retrying failures as the state's Retry says.
func (r *runner) withRetry(ctx context.Context, st *step, attempt func() (any, *failure)) (any, *failure) {
	counts := make([]int, len(st.s.retry))
	for {
		res, f := attempt()
		if f == nil || f.runtime || ctx.Err() != nil {
			return res, r.giveUp(st, f)
		}
		idx := -1
		for i, rt := range st.s.retry {
			if matchErr(rt.errors, f.name) {
				idx = i
				break
			}
		}
		if idx < 0 {
			return nil, r.giveUp(st, f)
		}
		rt := st.s.retry[idx]
		if r.noRetry && r.tested(st) != nil {
			// TestState: the retries made so far are the configured ones.
			if !r.testRetry(rt, idx) {
				return nil, r.giveUp(st, f)
			}
			f.retriable = true
			return nil, f
		}
		if counts[idx] >= rt.maxAttempts {
			return nil, r.giveUp(st, f)
		}
		if r.noRetry {
			f.retriable = true
			return nil, f
		}
		if f.failEvent != "" {
			st.th.prev = f.prev
		}
		delay := rt.interval * math.Pow(rt.backoff, float64(counts[idx]))
		if rt.hasMaxDelay && delay > rt.maxDelay {
			delay = rt.maxDelay
		}
		if rt.jitter {
			delay *= r.env.Rand()
		}
		counts[idx]++
		st.retries++
		st.ctxObj = nil
		select {
		case <-r.env.Clock.After(time.Duration(delay * float64(time.Second))):
		case <-ctx.Done():
			return nil, f
		}
	}
}

// giveUp records a Map/Parallel failure event once the failure is final.
func (r *runner) giveUp(st *step, f *failure) *failure {
	if f == nil || f.failEvent == "" {
		return f
	}
	st.th.prev = f.prev
	st.th.add(f.failEvent, nil)
	f.failEvent = ""
	return f
}
