// Task tokens: .waitForTaskToken tasks wait for SendTaskSuccess/Failure/Heartbeat.

package interp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
	"github.com/stepwise-dev/stepwise/statemachine/states"
)

// newToken returns a task token: 256 random bits, URL-safe. The letter in
// front keeps it from starting with "-", which command lines (the AWS CLI's
// --task-token, the runner's approve) would read as an option.
func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "T" + base64.RawURLEncoding.EncodeToString(b[:])
}

// awaitToken waits for SendTaskSuccess/Failure/Heartbeat on the step's token.
func (r *runner) awaitToken(ctx context.Context, st *step, wait *TaskWait, resType, resName string, heartbeat *int64, timer <-chan time.Time) (any, *failure) {
	fail := func(f *failure) (any, *failure) {
		typ := eventtype.TaskFailed
		if f.name == states.Timeout || f.name == states.HeartbeatTimeout {
			typ = eventtype.TaskTimedOut
		}
		st.th.add(typ, &TaskFailureEventDetails{ResourceType: resType, Resource: resName, Error: f.name, Cause: f.cause})
		return nil, f
	}
	var hb <-chan time.Time
	if heartbeat != nil {
		hb = r.env.Clock.After(time.Duration(*heartbeat) * time.Second)
	}
	for {
		var tr TokenResult
		select {
		case tr = <-wait.ch:
		case <-hb:
			var ok bool
			if tr, ok = wait.expire(true); !ok {
				return fail(&failure{name: states.HeartbeatTimeout})
			}
		case <-timer:
			var ok bool
			if tr, ok = wait.expire(false); !ok {
				return fail(&failure{name: states.Timeout})
			}
		case <-ctx.Done():
			return nil, &failure{name: states.Aborted, runtime: true}
		}
		if tr.Heartbeat {
			if heartbeat != nil {
				hb = r.env.Clock.After(time.Duration(*heartbeat) * time.Second)
			}
			continue
		}
		if tr.Fail != nil {
			return fail(&failure{name: tr.Fail.Name, cause: tr.Fail.Cause})
		}
		st.th.add(eventtype.TaskSucceeded, &TaskOutputEventDetails{ResourceType: resType, Resource: resName, Output: lazyJSON(tr.Output)})
		return tr.Output, nil
	}
}
