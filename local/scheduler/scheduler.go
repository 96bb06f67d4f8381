// Package scheduler is the local stack's EventBridge Scheduler: it fires
// every workflow's schedules (statemachine/schedule) on a clock and starts
// one execution per fire through a [StartFunc].
//
// What it copies from EventBridge Scheduler, and how:
//
//   - Instants: [schedule.Schedule.Next] (cron, rate, at, time zones, DST,
//     start and end dates).
//   - Flexible window: the execution starts at a delay within the window
//     after the scheduled instant. AWS picks the delay at random; here it
//     is a hash of workflow, schedule and instant, so a run is
//     reproducible and a restart does not move a pending fire.
//   - Idempotence: the execution is named
//     <workflow>-<schedule>-<UTC yyyymmddThhmmssZ of the scheduled instant>
//     ([ExecutionName]), so a fire delivered twice (a crash between the
//     start and the state file's update) starts one execution, provided
//     the StartFunc treats "execution already exists" as success.
//   - Retries and maximum event age: AWS retries a failed invocation with
//     exponential back-off until 185 attempts or the event's maximum age,
//     24 hours by default, whichever comes first, then drops it. A failed
//     start is retried here the same way (back-off 1 s doubling to 5 min),
//     within [Options.MaxEventAge] (default 24 h).
//   - Fires missed while the stack was down: on AWS the scheduler itself
//     never stops, so the nearest case is a target that was unreachable —
//     each invocation is retried until it is 24 hours old. So on start, the
//     scheduler delivers every instant missed since the one recorded in
//     the state file that is at most MaxEventAge old, once each, oldest
//     first across all schedules, at once (no flexible-window delay);
//     older ones are dropped and logged. The scheduler records a schedule
//     in the state file when it first runs it, so fires missed after that
//     are caught up even if none was delivered before. To keep a long
//     outage of a rate(1 minute) schedule from starting 1,440 executions,
//     at most
//     [Options.MaxCatchUp] (default 100) are delivered per schedule: the
//     newest ones, the oldest being dropped and logged. A schedule with no
//     record (new, or the state file is new) starts from now, as a
//     schedule created on AWS does not fire for instants before it existed.
//
// The state file (JSON, written atomically: temporary file, fsync, rename)
// records, per workflow and schedule, the instant up to which its fires
// are done (the last scheduled instant delivered or dropped) and the
// schedule's expression, zone and enabled flag: a fire missed while the
// stack was down is caught up only if the schedule was then enabled in
// the same form, so enabling or changing a schedule never back-fills.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/schedule"
)

// Clock is the time source: statemachine/vclock's virtual clock in tests,
// the wall clock otherwise.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// StartFunc starts the execution named executionName of workflow with
// input, for the fire of scheduleName scheduled at at. It must return nil
// when an execution of that name already exists with the same input
// (a re-delivered fire); any other error is retried.
type StartFunc func(ctx context.Context, workflow, scheduleName, executionName string, input []byte, at time.Time) error

// Entry is one schedule of one workflow.
type Entry struct {
	Workflow string
	Schedule schedule.Schedule
}

// Options configure a [Scheduler].
type Options struct {
	Clock Clock     // default: the wall clock
	Start StartFunc // required
	// StatePath is the JSON file recording how far each schedule has fired;
	// "" keeps it in memory only (nothing is caught up after a restart).
	StatePath string
	// MaxEventAge is how old a missed or failing fire may get before it is
	// dropped; default 24 h, EventBridge Scheduler's default.
	MaxEventAge time.Duration
	// MaxCatchUp caps the missed fires delivered per schedule on start;
	// default 100.
	MaxCatchUp int
	// Logf reports dropped fires and failed starts; default: discard.
	Logf func(format string, args ...any)
}

// Defaults of [Options].
const (
	DefaultMaxEventAge = 24 * time.Hour
	DefaultMaxCatchUp  = 100
	maxAttempts        = 185 // EventBridge Scheduler's maximum retry attempts
	firstBackoff       = time.Second
	maxBackoff         = 5 * time.Minute
)

// Scheduler fires a set of schedules. Run it once; it is not safe to run
// two Schedulers on one state file.
type Scheduler struct {
	opts    Options
	entries []*entry
	state   *stateFile
}

type entry struct {
	Entry
	key      string    // workflow/schedule: the state file's key
	cursor   time.Time // the last instant delivered, dropped or skipped
	pending  time.Time // the next scheduled instant, zero when none
	due      time.Time // when to deliver pending (flexible window, retry)
	attempts int       // failed starts of pending
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// New checks the entries and options and reads the state file (a missing
// file is an empty state; an unreadable one is an error naming it).
func New(entries []Entry, opts Options) (*Scheduler, error) {
	if opts.Start == nil {
		return nil, errors.New("scheduler: Options.Start is required")
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.MaxEventAge <= 0 {
		opts.MaxEventAge = DefaultMaxEventAge
	}
	if opts.MaxCatchUp <= 0 {
		opts.MaxCatchUp = DefaultMaxCatchUp
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	st, err := loadState(opts.StatePath)
	if err != nil {
		return nil, err
	}
	s := &Scheduler{opts: opts, state: st}
	seen := map[string]bool{}
	for _, e := range entries {
		if _, err := schedule.ParseExpression(e.Schedule.Expression, e.Schedule.Timezone); err != nil {
			return nil, fmt.Errorf("scheduler: workflow %s schedule %s: %w", e.Workflow, e.Schedule.Name, err)
		}
		key := e.Workflow + "/" + e.Schedule.Name
		if seen[key] {
			return nil, fmt.Errorf("scheduler: workflow %s has two schedules named %s", e.Workflow, e.Schedule.Name)
		}
		seen[key] = true
		s.entries = append(s.entries, &entry{Entry: e, key: key})
	}
	return s, nil
}

// ExecutionName is the name of the execution a fire starts:
// <workflow>-<schedule>-<UTC yyyymmddThhmmssZ of the scheduled instant>.
// The schedule package keeps it within Step Functions' 80 characters for
// the names it accepts; a longer one (a caller's own Entry) is cut to 71
// characters plus "-" and 8 hex digits of a hash of the whole name, which
// keeps it unique and stable.
func ExecutionName(workflow, scheduleName string, at time.Time) string {
	name := workflow + "-" + scheduleName + "-" + at.UTC().Format("20060102T150405Z")
	if len(name) <= 80 {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("%s-%08x", name[:71], h.Sum32())
}

// jitter is the deterministic delay of a fire within its flexible window.
func jitter(e *entry, at time.Time) time.Duration {
	w := e.Schedule.FlexibleWindow
	if w <= 0 {
		return 0
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%d", e.key, at.UnixNano())
	return time.Duration(h.Sum64() % uint64(w/time.Second) * uint64(time.Second))
}

// Run fires the schedules until ctx is done, then returns ctx's error. It
// returns earlier only if the state file cannot be written.
func (s *Scheduler) Run(ctx context.Context) error {
	now := s.opts.Clock.Now()
	if err := s.catchUp(now); err != nil {
		return err
	}
	for {
		now = s.opts.Clock.Now()
		if err := s.deliverDue(ctx, now); err != nil {
			return err
		}
		wake, ok := s.nextWake()
		var timer <-chan time.Time
		if ok {
			timer = s.opts.Clock.After(wake.Sub(now))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer:
		}
	}
}

// catchUp sets each entry's cursor from the state file, drops the missed
// fires that are too old or over the cap (see the package doc) and saves
// the cursors, so that a schedule first run now catches up after a later
// outage.
func (s *Scheduler) catchUp(now time.Time) error {
	for _, e := range s.entries {
		sc := e.Schedule
		e.cursor = now
		if prev, ok := s.state.get(e.key); ok && prev.Enabled && sc.Enabled && prev.Expression == sc.Expression && prev.Timezone == sc.Timezone {
			e.cursor = s.missed(e, prev.Through, now)
		}
		s.advance(e)
		if !e.pending.IsZero() && !e.pending.After(now) {
			e.due = e.pending // a missed fire is delivered at once
		}
		s.state.put(e.key, stateEntry{Through: e.cursor, Expression: sc.Expression, Timezone: sc.Timezone, Enabled: sc.Enabled})
	}
	if err := s.state.write(); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	return nil
}

// missed returns the cursor from which e catches up the fires missed
// between through and now: fires older than MaxEventAge and the oldest
// ones over MaxCatchUp are skipped (and logged).
func (s *Scheduler) missed(e *entry, through, now time.Time) time.Time {
	cursor := through
	if oldest := now.Add(-s.opts.MaxEventAge); through.Before(oldest) {
		// Start the scan at the oldest deliverable instant instead of
		// walking a long outage minute by minute.
		if t, ok := e.Schedule.Next(through); ok && t.Before(oldest) {
			s.opts.Logf("scheduler: %s: fires from %s to before %s are older than %s and are dropped", e.key, fmtTime(t), fmtTime(oldest), s.opts.MaxEventAge)
		}
		cursor = oldest.Add(-time.Nanosecond)
	}
	var missed []time.Time
	for t, ok := e.Schedule.Next(cursor); ok && !t.After(now); t, ok = e.Schedule.Next(t) {
		missed = append(missed, t)
	}
	if n := len(missed) - s.opts.MaxCatchUp; n > 0 {
		s.opts.Logf("scheduler: %s: %d missed fires, over the cap of %d; dropping the oldest %d (%s to %s)", e.key, len(missed), s.opts.MaxCatchUp, n, fmtTime(missed[0]), fmtTime(missed[n-1]))
		cursor = missed[n-1]
	}
	return cursor
}

// advance moves e to its next instant after its cursor.
func (s *Scheduler) advance(e *entry) {
	e.attempts = 0
	t, ok := e.Schedule.Next(e.cursor)
	if !ok {
		e.pending, e.due = time.Time{}, time.Time{}
		return
	}
	e.pending, e.due = t, t.Add(jitter(e, t))
}

// nextWake is the earliest due time of any entry.
func (s *Scheduler) nextWake() (time.Time, bool) {
	var min time.Time
	for _, e := range s.entries {
		if !e.pending.IsZero() && (min.IsZero() || e.due.Before(min)) {
			min = e.due
		}
	}
	return min, !min.IsZero()
}

// deliverDue starts every fire due at now, oldest scheduled instant first.
func (s *Scheduler) deliverDue(ctx context.Context, now time.Time) error {
	for ctx.Err() == nil {
		var due []*entry
		for _, e := range s.entries {
			if !e.pending.IsZero() && !e.due.After(now) {
				due = append(due, e)
			}
		}
		if len(due) == 0 {
			return nil
		}
		sort.SliceStable(due, func(i, j int) bool { return due[i].pending.Before(due[j].pending) })
		e := due[0]
		if err := s.deliver(ctx, e, now); err != nil {
			return err
		}
	}
	return nil
}

// deliver starts e's pending fire, or drops it when too old, or schedules
// a retry; it records a delivered or dropped fire in the state file.
func (s *Scheduler) deliver(ctx context.Context, e *entry, now time.Time) error {
	at := e.pending
	if age := now.Sub(at); age > s.opts.MaxEventAge {
		s.opts.Logf("scheduler: %s: fire of %s dropped: %s old, over the maximum event age %s", e.key, fmtTime(at), age, s.opts.MaxEventAge)
		return s.done(e, at)
	}
	sc := e.Schedule
	name := ExecutionName(e.Workflow, sc.Name, at)
	err := s.opts.Start(ctx, e.Workflow, sc.Name, name, append([]byte(nil), sc.Input...), at)
	if err == nil {
		return s.done(e, at)
	}
	if ctx.Err() != nil {
		return nil // stopping: the fire stays pending in the state file
	}
	e.attempts++
	if e.attempts > maxAttempts {
		s.opts.Logf("scheduler: %s: fire of %s dropped after %d failed starts: %v", e.key, fmtTime(at), e.attempts, err)
		return s.done(e, at)
	}
	backoff := firstBackoff << min(e.attempts-1, 20)
	backoff = min(backoff, maxBackoff)
	s.opts.Logf("scheduler: %s: starting %s failed (attempt %d), retrying in %s: %v", e.key, name, e.attempts, backoff, err)
	e.due = now.Add(backoff)
	return nil
}

// done records at as e's last fire (delivered or dropped) and moves e on.
func (s *Scheduler) done(e *entry, at time.Time) error {
	e.cursor = at
	s.advance(e)
	if err := s.state.setThrough(e.key, at); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	return nil
}

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
