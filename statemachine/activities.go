package statemachine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	arnfmt "github.com/stepwise-dev/stepwise/statemachine/arn"
	"github.com/stepwise-dev/stepwise/statemachine/internal/interp"
)

// Activities: CreateActivity, DescribeActivity, ListActivities,
// DeleteActivity and GetActivityTask. A Task whose Resource is an activity
// ARN queues a task here (the interpreter's ActivityHost); a worker takes
// it with GetActivityTask and answers with SendTaskSuccess, SendTaskFailure
// and SendTaskHeartbeat on the task token, which the engine routes like a
// .waitForTaskToken token. Activities persist in the Store under
// ac/<activityArn>; queued tasks do not (a resumed execution schedules its
// task again).

// Activity is a registered activity, as DescribeActivity returns it.
type Activity struct {
	ActivityArn  string    `json:"activityArn"`
	Name         string    `json:"name"`
	CreationDate time.Time `json:"creationDate"`
}

// ActivityTask is what GetActivityTask hands a worker. A poll that found
// no task within the poll timeout returns a zero ActivityTask.
type ActivityTask struct {
	TaskToken string
	Input     string
}

// DefaultActivityPollTimeout is how long GetActivityTask waits for a task
// when [Options].ActivityPollTimeout is 0: 60 seconds, as AWS.
const DefaultActivityPollTimeout = 60 * time.Second

// maxActivityPollers is the number of GetActivityTask calls that may wait
// on one activity at once; one more is ActivityWorkerLimitExceeded.
const maxActivityPollers = 1000

// storedActivity is the persisted form of an activity.
type storedActivity struct {
	Activity
	Tags []Tag `json:"tags,omitempty"`
}

// activityHub holds the activities and their queues. Its zero value is
// ready to use; its mutex is never held with e.mu.
type activityHub struct {
	mu     sync.Mutex
	acts   map[string]*storedActivity
	order  []string // activity ARNs in creation order
	queues map[string]*activityQueue
	// runs maps the token of each scheduled task to its execution's
	// context, so that an answer for a stopped execution is refused at
	// once, before the task has released its token.
	runs map[string]context.Context
	// holds are the clock holds of tasks handed out whose worker has not
	// called with the token yet, by token.
	holds map[string]func()
}

// activityQueue is one activity's tasks that no worker took yet, and the
// workers waiting for one.
type activityQueue struct {
	tasks   []*queuedTask
	pollers []*activityPoller
}

type queuedTask struct {
	task     interp.ActivityTask
	started  chan string     // receives the worker's name once taken
	canceled bool            // the task stopped waiting (guarded by activityHub.mu)
	release  func()          // ends the clock hold taken when it was handed out
	run      context.Context // the execution's; done when it stopped
}

// dead reports that no worker should get qt any more; call it with the
// hub locked.
func (qt *queuedTask) dead() bool { return qt.canceled || qt.run.Err() != nil }

type activityPoller struct {
	got chan *queuedTask // receives at most one task, sent with the hub locked
}

func (h *activityHub) queueLocked(arn string) *activityQueue {
	if h.queues == nil {
		h.queues = map[string]*activityQueue{}
	}
	q := h.queues[arn]
	if q == nil {
		q = &activityQueue{}
		h.queues[arn] = q
	}
	return q
}

// activityNameBad returns the first character of name that an activity
// name may not contain: white space, brackets, wildcards, the special
// characters " # % \ ^ | ~ ` $ & , ; : / and control characters.
func activityNameBad(name string) (rune, bool) {
	for _, r := range name {
		if r <= 0x20 || (r >= 0x7f && r <= 0x9f) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) || (r > 0x7f && isSpace(r)) {
			return r, true
		}
	}
	return 0, false
}

func isSpace(r rune) bool { return strings.TrimSpace(string(r)) == "" }

// activityArnError is the InvalidArn error for s if s is not a
// well-formed activity ARN, else nil.
func activityArnError(s string) error {
	if err := invalidArn(s, arnfmt.Taggable); err != nil {
		return err
	}
	if a, _ := arnfmt.Parse(s); a.Type() != "activity" {
		return &APIError{Code: "InvalidArn", Message: (&arnfmt.Error{Reason: "Resource type not valid in this context", Subject: a.Type()}).Error()}
	}
	return nil
}

func isActivityArn(s string) bool {
	a, err := arnfmt.Parse(s)
	return err == nil && a.Type() == "activity"
}

// CreateActivity registers an activity. Creating one with the name of an
// existing activity returns it unchanged: the idempotency check is on the
// name only, and different tags are ignored (they are not updated), as
// the API reference says.
func (e *Engine) CreateActivity(ctx context.Context, name string, tags []Tag) (*Activity, error) {
	if n := utf8.RuneCountInString(name); n < 1 || n > 80 {
		return nil, apiErr("InvalidName", "Invalid Name: '%s' (an activity name has 1 to 80 characters)", name)
	}
	if r, bad := activityNameBad(name); bad {
		return nil, apiErr("InvalidName", "Invalid Name: '%s' (an activity name may not contain %q)", name, r)
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	merged := mergeTags(nil, tags)
	if len(merged) > maxTags {
		return nil, apiErr("TooManyTags", "Too many tags: %d given for activity '%s'; a resource can have at most %d", len(merged), name, maxTags)
	}
	arn := e.arn("activity", name)
	h := &e.acts
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.acts[arn]; ok {
		a := old.Activity
		return &a, nil
	}
	rec := &storedActivity{Activity: Activity{ActivityArn: arn, Name: name, CreationDate: e.clock.Now()}, Tags: merged}
	if err := e.persistActivity(ctx, rec, false); err != nil {
		return nil, err
	}
	h.addLocked(rec)
	a := rec.Activity
	return &a, nil
}

func (h *activityHub) addLocked(rec *storedActivity) {
	if h.acts == nil {
		h.acts = map[string]*storedActivity{}
	}
	h.acts[rec.ActivityArn] = rec
	h.order = append(h.order, rec.ActivityArn)
}

// DescribeActivity describes an activity: InvalidArn for a malformed ARN,
// ActivityDoesNotExist for one that names no activity.
func (e *Engine) DescribeActivity(ctx context.Context, arn string) (*Activity, error) {
	h := &e.acts
	h.mu.Lock()
	defer h.mu.Unlock()
	rec, err := h.lookupLocked(arn)
	if err != nil {
		return nil, err
	}
	a := rec.Activity
	return &a, nil
}

func (h *activityHub) lookupLocked(arn string) (*storedActivity, error) {
	if rec, ok := h.acts[arn]; ok {
		return rec, nil
	}
	if err := activityArnError(arn); err != nil {
		return nil, err
	}
	return nil, apiErr("ActivityDoesNotExist", "Activity Does Not Exist: '%s'", arn)
}

// ListActivities returns every activity in creation order.
func (e *Engine) ListActivities(ctx context.Context) ([]*Activity, error) {
	h := &e.acts
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*Activity, 0, len(h.order))
	for _, arn := range h.order {
		a := h.acts[arn].Activity
		out = append(out, &a)
	}
	return out, nil
}

// DeleteActivity removes an activity. Deleting one that does not exist
// succeeds (the API documents only InvalidArn); tasks already queued for
// it stay queued until their execution stops or times them out.
func (e *Engine) DeleteActivity(ctx context.Context, arn string) error {
	if err := activityArnError(arn); err != nil {
		return err
	}
	h := &e.acts
	h.mu.Lock()
	defer h.mu.Unlock()
	rec, ok := h.acts[arn]
	if !ok {
		return nil
	}
	if err := e.persistActivity(ctx, rec, true); err != nil {
		return err
	}
	delete(h.acts, arn)
	for i, a := range h.order {
		if a == arn {
			h.order = append(h.order[:i:i], h.order[i+1:]...)
			break
		}
	}
	return nil
}

// GetActivityTask hands the oldest task queued for the activity to the
// worker workerName (recorded in ActivityStarted). With none queued it
// waits for one up to the poll timeout (60 s by default) and then returns
// a zero ActivityTask, or returns ctx's error when ctx is done first (the
// worker hung up; a task is never handed to a poll that gave up).
func (e *Engine) GetActivityTask(ctx context.Context, arn, workerName string) (ActivityTask, error) {
	h := &e.acts
	h.mu.Lock()
	if _, err := h.lookupLocked(arn); err != nil {
		h.mu.Unlock()
		return ActivityTask{}, err
	}
	q := h.queueLocked(arn)
	for len(q.tasks) > 0 && q.tasks[0].dead() {
		q.tasks = q.tasks[1:] // its execution stopped; its own cancel may not have run yet
	}
	if len(q.tasks) > 0 {
		qt := q.tasks[0]
		q.tasks = q.tasks[1:]
		h.holdLocked(e.clock, qt)
		h.mu.Unlock()
		pollWaiting(ctx) // the task's own hold has taken over
		return h.handOut(qt, workerName), nil
	}
	if len(q.pollers) >= maxActivityPollers {
		h.mu.Unlock()
		return ActivityTask{}, apiErr("ActivityWorkerLimitExceeded", "Activity Worker Limit Exceeded: %d workers are already polling '%s'", maxActivityPollers, arn)
	}
	p := &activityPoller{got: make(chan *queuedTask, 1)}
	q.pollers = append(q.pollers, p)
	h.mu.Unlock()
	pollWaiting(ctx)

	timeout := e.opts.ActivityPollTimeout
	if timeout <= 0 {
		timeout = DefaultActivityPollTimeout
	}
	t := time.NewTimer(timeout) // real time: the poll is an HTTP request
	defer t.Stop()
	var gone error // why the poll ends without a task, nil for a timeout
wait:
	for {
		select {
		case qt := <-p.got:
			h.mu.Lock()
			if qt.dead() { // its execution stopped in the meantime: wait on
				qt.release()
				q.pollers = append([]*activityPoller{p}, q.pollers...)
				h.mu.Unlock()
				continue
			}
			h.mu.Unlock()
			return h.handOut(qt, workerName), nil
		case <-t.C:
		case <-ctx.Done():
			gone = ctx.Err()
		case <-e.ctx.Done():
		}
		break wait
	}
	h.mu.Lock()
	for i, o := range q.pollers {
		if o == p {
			q.pollers = append(q.pollers[:i:i], q.pollers[i+1:]...)
			h.mu.Unlock()
			return ActivityTask{}, gone
		}
	}
	// A task was handed to this poll as it gave up.
	qt := <-p.got
	if qt.dead() || gone != nil {
		qt.release()
		if !qt.dead() {
			q.tasks = append([]*queuedTask{qt}, q.tasks...)
		}
		h.mu.Unlock()
		return ActivityTask{}, gone
	}
	h.mu.Unlock()
	return h.handOut(qt, workerName), nil
}

type pollWaitingKey struct{}

// OnPollWaiting returns a context for [Engine.GetActivityTask] that calls
// f once the poll waits in the activity's queue (a task queued from then
// on is handed to it) or has been handed a task. It is for an in-process
// worker on a holdable virtual clock (sfntest): the worker holds the
// clock between its polls and lets go in f, so that virtual time cannot
// jump past a queued task's TimeoutSeconds while the worker is on its way
// back to poll.
func OnPollWaiting(ctx context.Context, f func()) context.Context {
	return context.WithValue(ctx, pollWaitingKey{}, f)
}

func pollWaiting(ctx context.Context) {
	if f, ok := ctx.Value(pollWaitingKey{}).(func()); ok {
		f()
	}
}

// startHoldGrace is how long (real time) a task handed to a worker holds a
// virtual clock at most when the worker does not call with its token.
const startHoldGrace = 2 * time.Second

// holdLocked makes qt, about to be handed to a worker, hold the engine's
// clock if it is a virtual clock that can be held: from the hand-out until
// the worker's first SendTask* call with the token (the Go worker
// heartbeats as soon as its timers are set), at most startHoldGrace.
// Otherwise virtual time could jump past HeartbeatSeconds while the
// worker is still reading the task and has not started its own timers.
func (h *activityHub) holdLocked(c Clock, qt *queuedTask) {
	qt.release = func() {}
	hc, ok := c.(interface{ Hold() func() })
	if !ok {
		return
	}
	var once sync.Once
	rel := hc.Hold()
	qt.release = func() { once.Do(rel) }
}

// handOut gives qt to worker: its start is reported to the task and its
// clock hold is kept until the worker's first call with the token.
func (h *activityHub) handOut(qt *queuedTask, worker string) ActivityTask {
	h.mu.Lock()
	if h.holds == nil {
		h.holds = map[string]func(){}
	}
	h.holds[qt.task.Token] = qt.release
	h.mu.Unlock()
	time.AfterFunc(startHoldGrace, func() { h.touch(qt.task.Token) })
	qt.started <- worker
	return ActivityTask{TaskToken: qt.task.Token, Input: qt.task.Input}
}

// touch is a worker's call with token: it ends the clock hold of the
// task's hand-out and reports whether the task's execution has stopped.
func (h *activityHub) touch(token string) (abandoned bool) {
	h.mu.Lock()
	rel := h.holds[token]
	delete(h.holds, token)
	ctx := h.runs[token]
	h.mu.Unlock()
	if rel != nil {
		rel()
	}
	return ctx != nil && ctx.Err() != nil
}

// scheduleActivity queues t for a worker: handed at once to the longest
// waiting poll, else kept until one comes.
func (e *Engine) scheduleActivity(ctx context.Context, t interp.ActivityTask) (started <-chan string, cancel func(), err error) {
	h := &e.acts
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.acts[t.Arn]; !ok {
		return nil, nil, &TaskError{Name: "ActivityDoesNotExist", Cause: fmt.Sprintf("Activity Does Not Exist: '%s'", t.Arn)}
	}
	qt := &queuedTask{task: t, started: make(chan string, 1), run: ctx}
	if h.runs == nil {
		h.runs = map[string]context.Context{}
	}
	h.runs[t.Token] = ctx
	q := h.queueLocked(t.Arn)
	if len(q.pollers) > 0 {
		p := q.pollers[0]
		q.pollers = q.pollers[1:]
		h.holdLocked(e.clock, qt)
		p.got <- qt
	} else {
		q.tasks = append(q.tasks, qt)
	}
	cancel = func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		qt.canceled = true
		delete(h.runs, t.Token)
		delete(h.holds, t.Token)
		if qt.release != nil {
			qt.release()
		}
		for i, o := range q.tasks {
			if o == qt {
				q.tasks = append(q.tasks[:i:i], q.tasks[i+1:]...)
				return
			}
		}
	}
	return qt.started, cancel, nil
}

// ScheduleActivity queues an activity task for the interpreter.
func (h host) ScheduleActivity(ctx context.Context, t interp.ActivityTask) (<-chan string, func(), error) {
	return h.e.scheduleActivity(ctx, t)
}

var _ interp.ActivityHost = host{}

// persistActivity writes (or, with del, deletes) an activity's record.
func (e *Engine) persistActivity(ctx context.Context, rec *storedActivity, del bool) error {
	if e.opts.Store == nil {
		return nil
	}
	var b Batch
	key := "ac/" + rec.ActivityArn
	if del {
		b.Delete(key)
	} else {
		v, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		b.Put(key, v)
	}
	if err := e.opts.Store.Commit(ctx, &b); err != nil {
		return fmt.Errorf("statemachine: persist %s: %w", rec.ActivityArn, err)
	}
	return nil
}

// loadActivity loads one ac/ record.
func (e *Engine) loadActivity(key string, value []byte) error {
	var rec storedActivity
	if err := json.Unmarshal(value, &rec); err != nil {
		return fmt.Errorf("statemachine: load %s: %w", key, err)
	}
	e.acts.addLocked(&rec)
	return nil
}

// activityTags returns an activity's tags (TagResource and friends on an
// activity ARN).
func (e *Engine) activityTags(arn string) ([]Tag, error) {
	h := &e.acts
	h.mu.Lock()
	defer h.mu.Unlock()
	rec, err := h.lookupTaggedLocked(arn)
	if err != nil {
		return nil, err
	}
	return append([]Tag{}, rec.Tags...), nil
}

func (h *activityHub) lookupTaggedLocked(arn string) (*storedActivity, error) {
	if err := invalidArn(arn, arnfmt.Taggable); err != nil {
		return nil, err
	}
	rec, ok := h.acts[arn]
	if !ok {
		return nil, apiErr("ResourceNotFound", "Resource not found: '%s'", arn)
	}
	return rec, nil
}

// setActivityTags replaces an activity's tags with edit(old tags).
func (e *Engine) setActivityTags(ctx context.Context, arn string, edit func([]Tag) ([]Tag, error)) error {
	h := &e.acts
	h.mu.Lock()
	defer h.mu.Unlock()
	rec, err := h.lookupTaggedLocked(arn)
	if err != nil {
		return err
	}
	tags, err := edit(rec.Tags)
	if err != nil {
		return err
	}
	nrec := *rec
	nrec.Tags = tags
	if err := e.persistActivity(ctx, &nrec, false); err != nil {
		return err
	}
	h.acts[arn] = &nrec
	return nil
}

// activityNeedsMock is TestState's refusal of an activity Task without a
// mock: the API reference says TestState supports activity tasks only
// when a mock is specified (no worker answers a test).
func activityNeedsMock(def []byte, state string, mocked bool) error {
	if mocked {
		return nil
	}
	var m struct {
		States map[string]struct {
			Resource any `json:"Resource"`
		} `json:"States"`
	}
	if json.Unmarshal(def, &m) != nil {
		return nil
	}
	if r, _ := m.States[state].Resource.(string); interp.IsActivityARN(r) {
		return apiErr("ValidationException", "TestState supports an activity Task only with a mock: state '%s' calls the activity %s; pass a mock result or error", state, r)
	}
	return nil
}
