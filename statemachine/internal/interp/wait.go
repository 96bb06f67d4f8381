// The Wait state and every wait on the engine clock.

package interp

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/states"
)

// waitFor sleeps d on the engine clock; a checkpointed Wait records its
// deadline so that a resumed execution keeps the remaining time.
func (r *runner) waitFor(ctx context.Context, st *step, d time.Duration) *failure {
	if r.durable(st) {
		until := r.env.Clock.Now().Add(d)
		if st.resume != nil && st.resume.WaitUntil != nil {
			until = *st.resume.WaitUntil
			d = until.Sub(r.env.Clock.Now())
		}
		p := r.progress(st)
		p.WaitUntil = &until
		r.x.Checkpoint(p)
	}
	return r.sleep(ctx, d)
}

func secondsDur(n float64) time.Duration { return time.Duration(n * float64(time.Second)) }

// sleep waits d on the engine clock.
func (r *runner) sleep(ctx context.Context, d time.Duration) *failure {
	if d <= 0 {
		return nil
	}
	select {
	case <-r.env.Clock.After(d):
		return nil
	case <-ctx.Done():
		return &failure{name: states.Aborted, runtime: true}
	}
}

// execWait sleeps on the engine clock.
func (r *runner) execWait(ctx context.Context, st *step, effInput any) *failure {
	s := st.s
	var d time.Duration
	switch {
	case s.wait.hasSeconds:
		f, _ := s.wait.seconds.(float64)
		d = time.Duration(f) * time.Second
	case s.wait.secondsPath != nil:
		v, err := r.resolve(st, s.wait.secondsPath, effInput)
		if err != nil {
			return r.runtimeErr(st, "The SecondsPath parameter does not reference an input value: %s", s.wait.secondsPath)
		}
		n, ok := v.(float64)
		if !ok {
			return r.runtimeErr(st, "The SecondsPath parameter does not reference an input value: %s", s.wait.secondsPath)
		}
		if n != math.Trunc(n) {
			return r.runtimeErr(st, "The SecondsPath parameter cannot be parsed as a long value: %s == %s", s.wait.secondsPath, Marshal(n))
		}
		if n < 0 {
			return r.runtimeErr(st, "The SecondsPath parameter references a negative value: %s == %s", s.wait.secondsPath, Marshal(n))
		}
		if n > 99999999 {
			return r.runtimeErr(st, "Wait state delay is too long.")
		}
		d = time.Duration(n) * time.Second
	case s.wait.hasTimestamp:
		ts, _ := s.wait.timestamp.(string)
		t, err := parseTimestamp(ts)
		if err != nil {
			return r.runtimeErr(st, "The Timestamp parameter does not reference a valid ISO-8601 extended offset date-time format string: %s", ts)
		}
		d = t.Sub(r.env.Clock.Now())
	case s.wait.timestampPath != nil:
		v, err := r.resolve(st, s.wait.timestampPath, effInput)
		if err != nil {
			return r.runtimeErr(st, "The TimestampPath parameter does not reference an input value: %s", s.wait.timestampPath)
		}
		ts, _ := v.(string)
		t, err := parseWaitTimestamp(ts)
		if err != nil {
			return r.runtimeErr(st, "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", s.wait.timestampPath, ts)
		}
		d = t.Sub(r.env.Clock.Now())
	}
	if d <= 0 {
		return nil
	}
	if d > math.MaxInt32*time.Second {
		return r.runtimeErr(st, "Wait state delay is too long.")
	}
	return r.waitFor(ctx, st, d)
}

func parseTimestamp(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, err
	}
	if !rfc3339Strict(s) {
		return t, errors.New("bad timestamp")
	}
	return t, nil
}

func rfc3339Strict(s string) bool {
	return len(s) >= 20 && s[4] == '-' && s[7] == '-' && (s[10] == 'T')
}
