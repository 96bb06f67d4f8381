// Activity tasks: a Task whose Resource is an activity ARN is handed to a
// worker that polls GetActivityTask and answers with SendTask* on the task
// token it got. The token side is the same TaskWait as .waitForTaskToken.

package interp

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
	"github.com/stepwise-dev/stepwise/statemachine/states"
)

// ActivityHost is the part of a Host that queues activity tasks for
// workers. A Host without it fails activity tasks with
// ActivityScheduleFailed.
type ActivityHost interface {
	// ScheduleActivity queues t for a worker polling t.Arn; ctx is the
	// execution's, done when it stops. started
	// receives the polling worker's name once a worker took the task;
	// cancel takes a task no worker took yet off the queue (it may be
	// called more than once). A task that cannot be scheduled (the
	// activity does not exist) returns a *TaskError.
	ScheduleActivity(ctx context.Context, t ActivityTask) (started <-chan string, cancel func(), err error)
}

// ActivityTask is one activity task waiting for a worker.
type ActivityTask struct {
	Arn   string // the activity ARN, the Task's Resource
	Token string // the task token the worker answers with
	Input string // the effective input (JSON text) the worker receives
}

// ActivityScheduledEventDetails are the details of ActivityScheduled.
type ActivityScheduledEventDetails struct {
	Resource           string              `json:"resource"`
	Input              JSONText            `json:"input"`
	InputDetails       HistoryEventDetails `json:"inputDetails"`
	TimeoutInSeconds   *int64              `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSeconds *int64              `json:"heartbeatInSeconds,omitempty"`
}

// ActivityStartedEventDetails are the details of ActivityStarted: the
// workerName the worker gave GetActivityTask.
type ActivityStartedEventDetails struct {
	WorkerName string `json:"workerName,omitempty"`
}

// IsActivityARN reports whether resource names an activity:
// arn:<partition>:states:<region>:<account>:activity:<name>.
func IsActivityARN(resource string) bool {
	parts := strings.SplitN(resource, ":", 7)
	return len(parts) == 7 && parts[0] == "arn" && parts[2] == "states" && parts[3] != "" && parts[4] != "" &&
		parts[5] == "activity" && parts[6] != "" && !strings.Contains(parts[6], ":")
}

// activityTask runs an activity Task: ActivityScheduled, then
// ActivityStarted when a worker takes it, then ActivitySucceeded,
// ActivityFailed or ActivityTimedOut. TimeoutSeconds (timer) runs from
// the scheduling, HeartbeatSeconds from the start and from each
// SendTaskHeartbeat.
//
// A durable run checkpoints the task's token with ActivityScheduled. A run
// resumed after a crash schedules the task again, at least once as a
// Lambda Task is invoked again: a new token goes to the next worker that
// polls, and the token of before the crash answers TaskTimedOut ("the task
// associated with the token has already been closed"). The history keeps
// the first ActivityScheduled; what a worker did with the old token
// (ActivityStarted) was not persisted and is recorded anew.
func (r *runner) activityTask(ctx context.Context, st *step, params any, timeout, heartbeat *int64, timer <-chan time.Time, entered func()) (any, *failure) {
	resource := st.s.task.resource
	in := Marshal(params)
	resumed := st.resume != nil && st.resume.Token != ""
	if resumed {
		closeToken(r.env.Host, st.resume.Token)
	} else {
		st.th.add(eventtype.ActivityScheduled, &ActivityScheduledEventDetails{Resource: resource, Input: TextJSON(in), TimeoutInSeconds: timeout, HeartbeatInSeconds: heartbeat})
	}
	fail := func(typ string, f *failure) (any, *failure) {
		st.th.add(typ, &FailureEventDetails{Error: f.name, Cause: f.cause})
		return nil, f
	}
	ah, ok := r.env.Host.(ActivityHost)
	if !ok {
		entered()
		return fail(eventtype.ActivityScheduleFailed, &failure{name: states.Runtime, cause: fmt.Sprintf("The resource '%s' is not supported: this engine has no activity host", resource)})
	}
	token := newToken()
	wait := &TaskWait{ch: make(chan TokenResult, 1)}
	release := r.env.Host.RegisterToken(token, wait)
	started, cancel, err := ah.ScheduleActivity(ctx, ActivityTask{Arn: resource, Token: token, Input: in})
	entered()
	if err != nil {
		release()
		return fail(eventtype.ActivityScheduleFailed, taskErr(err))
	}
	// The token is released before the task leaves the host's queue, so
	// that an answer never finds neither.
	defer func() { release(); cancel() }()
	if r.durable(st) {
		p := r.progress(st)
		p.Token = token // not st.token: $$.Task.Token is not an activity's
		r.x.Checkpoint(p)
	}
	var hb <-chan time.Time
	start := func(worker string) {
		st.th.add(eventtype.ActivityStarted, &ActivityStartedEventDetails{WorkerName: worker})
		started = nil
		if heartbeat != nil {
			hb = r.env.Clock.After(time.Duration(*heartbeat) * time.Second)
		}
	}
	for {
		select {
		case w := <-started:
			start(w)
		case tr := <-wait.ch:
			// A worker answers only after GetActivityTask handed it the
			// token, so the start is there (perhaps not yet read).
			if started != nil {
				start(<-started)
			}
			if tr.Heartbeat {
				if heartbeat != nil {
					hb = r.env.Clock.After(time.Duration(*heartbeat) * time.Second)
				}
				continue
			}
			if tr.Fail != nil {
				return fail(eventtype.ActivityFailed, &failure{name: tr.Fail.Name, cause: tr.Fail.Cause})
			}
			if jsonSize(tr.Output, MaxPayload) > MaxPayload {
				return fail(eventtype.ActivityFailed, &failure{name: states.DataLimitExceeded, cause: fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", resource)})
			}
			st.th.add(eventtype.ActivitySucceeded, &OutputEventDetails{Output: lazyJSON(tr.Output)})
			return tr.Output, nil
		case <-hb:
			if answerPending(wait) {
				hb = r.env.Clock.After(time.Duration(*heartbeat) * time.Second)
				continue
			}
			wait.timedOut = true
			return fail(eventtype.ActivityTimedOut, &failure{name: states.HeartbeatTimeout})
		case <-timer:
			wait.timedOut = true
			return fail(eventtype.ActivityTimedOut, &failure{name: states.Timeout})
		case <-ctx.Done():
			// The execution stopped: a worker still holding the token
			// gets TaskTimedOut, as for a task that timed out.
			wait.timedOut = true
			return nil, &failure{name: states.Aborted, runtime: true}
		}
	}
}

// closeToken makes h answer SendTask* with token TaskTimedOut: the task it
// named was closed (a resumed run scheduled it again with a new token).
func closeToken(h Host, token string) {
	w := &TaskWait{ch: make(chan TokenResult, 1), answered: true, timedOut: true}
	h.RegisterToken(token, w)()
}

// answerPending reports whether a heartbeat or an answer was delivered to
// w but not yet read: the heartbeat timer and the delivery may become
// ready at the same virtual instant, and the delivery wins then. It stays
// in the channel for the caller's next read.
func answerPending(w *TaskWait) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.ch) > 0
}
