package scheduler_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/local/scheduler"
	"github.com/stepwise-dev/stepwise/statemachine/schedule"
	"github.com/stepwise-dev/stepwise/statemachine/vclock"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fire is one call of the start function.
type fire struct {
	Workflow, Schedule, Name, Input string
	At, Now                         time.Time
}

// recorder is a StartFunc that records its calls; fail, when set, decides
// whether a call fails.
type recorder struct {
	clock *vclock.Clock
	mu    sync.Mutex
	fires []fire
	calls int
	fail  func(call int) error
}

func (r *recorder) start(_ context.Context, wf, sc, name string, input []byte, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.fail != nil {
		if err := r.fail(r.calls); err != nil {
			return err
		}
	}
	r.fires = append(r.fires, fire{wf, sc, name, string(input), at, r.clock.Now()})
	return nil
}

func (r *recorder) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, f := range r.fires {
		out = append(out, f.Name)
	}
	return out
}

// running is a scheduler running on a virtual clock.
type running struct {
	t      *testing.T
	clock  *vclock.Clock
	rec    *recorder
	cancel context.CancelFunc
	done   chan error
}

func sched(name, expr, tz string) schedule.Schedule {
	return schedule.Schedule{Name: name, Expression: expr, Timezone: tz, Input: json.RawMessage(`{"k":1}`), Enabled: true}
}

func start(t *testing.T, now time.Time, entries []scheduler.Entry, opts scheduler.Options, rec *recorder) *running {
	t.Helper()
	clock := vclock.New(now)
	if rec == nil {
		rec = &recorder{}
	}
	rec.clock = clock
	opts.Clock, opts.Start = clock, rec.start
	opts.Logf = t.Logf
	s, err := scheduler.New(entries, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{t: t, clock: clock, rec: rec, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx) }()
	t.Cleanup(r.stop)
	r.settle()
	return r
}

// settle waits until the scheduler waits on its timer, so every fire due
// at the clock's time has been delivered.
func (r *running) settle() {
	r.t.Helper()
	timeout := time.After(10 * time.Second)
	done := make(chan struct{})
	go func() {
		<-timeout
		close(done)
	}()
	if !r.clock.WaitPending(1, done) {
		r.t.Fatal("the scheduler never waited on its clock")
	}
}

// advance moves the clock forward by d in steps of step, settling after each.
func (r *running) advance(d, step time.Duration) {
	r.t.Helper()
	for end := r.clock.Now().Add(d); r.clock.Now().Before(end); {
		r.clock.Advance(min(step, end.Sub(r.clock.Now())))
		r.settle()
	}
}

func (r *running) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	if err := <-r.done; !errors.Is(err, context.Canceled) {
		r.t.Errorf("Run returned %v, want context.Canceled", err)
	}
}

func TestRateFiveMinutesFires12TimesInAVirtualHour(t *testing.T) {
	r := start(t, utc("2026-05-04T10:00:00Z"), []scheduler.Entry{{Workflow: "report", Schedule: sched("often", "rate(5 minutes)", "")}}, scheduler.Options{}, nil)
	r.advance(time.Hour, time.Minute)
	got := r.rec.names()
	if len(got) != 12 {
		t.Fatalf("%d fires in a virtual hour, want 12: %v", len(got), got)
	}
	if got[0] != "report-often-20260504T100500Z" || got[11] != "report-often-20260504T110000Z" {
		t.Errorf("first and last fires %s, %s", got[0], got[11])
	}
	for _, f := range r.rec.fires {
		if !f.Now.Equal(f.At) || f.Input != `{"k":1}` || f.Workflow != "report" || f.Schedule != "often" {
			t.Errorf("fire %+v: want it started at its instant with the schedule's input", f)
		}
	}
}

// TestCronBerlinAcrossDST: 06:00 Berlin is 05:00 UTC before the change to
// summer time on 2026-03-29 and 04:00 UTC after it.
func TestCronBerlinAcrossDST(t *testing.T) {
	r := start(t, utc("2026-03-16T12:00:00Z"), []scheduler.Entry{{Workflow: "report", Schedule: sched("weekly", "cron(0 6 ? * MON *)", "Europe/Berlin")}}, scheduler.Options{}, nil)
	r.advance(21*24*time.Hour, time.Hour)
	want := []string{"report-weekly-20260323T050000Z", "report-weekly-20260330T040000Z", "report-weekly-20260406T040000Z"}
	if got := r.rec.names(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("fires %v, want %v", got, want)
	}
	for _, f := range r.rec.fires {
		if !f.Now.Equal(f.At) {
			t.Errorf("%s started at %s, want its instant %s", f.Name, f.Now, f.At)
		}
	}
}

func TestFlexibleWindowDelaysWithinTheWindowDeterministically(t *testing.T) {
	s := sched("hourly", "rate(1 hour)", "")
	s.FlexibleWindow = 15 * time.Minute
	run := func() []fire {
		r := start(t, utc("2026-05-04T10:00:00Z"), []scheduler.Entry{{Workflow: "report", Schedule: s}}, scheduler.Options{}, nil)
		r.advance(6*time.Hour+15*time.Minute, time.Minute)
		r.stop()
		return r.rec.fires
	}
	a, b := run(), run()
	if len(a) != 6 {
		t.Fatalf("%d fires in 6 hours and a window, want 6", len(a))
	}
	delays := map[time.Duration]bool{}
	for i, f := range a {
		d := f.Now.Sub(f.At)
		if d < 0 || d >= 15*time.Minute {
			t.Errorf("%s started %s after its instant, outside the 15-minute window", f.Name, d)
		}
		if f.Name != scheduler.ExecutionName("report", "hourly", f.At) {
			t.Errorf("name %s is not derived from the scheduled instant %s", f.Name, f.At)
		}
		if b[i] != f {
			t.Errorf("run 2 fire %d = %+v, run 1 %+v: the delay is not deterministic", i, b[i], f)
		}
		delays[d] = true
	}
	if len(delays) < 2 {
		t.Errorf("every fire has the same delay %v: not spread over the window", delays)
	}
}

func TestRestartDeliversMissedFiresFromTheStateFile(t *testing.T) {
	state := filepath.Join(t.TempDir(), "data", "scheduler.json")
	entries := []scheduler.Entry{
		{Workflow: "report", Schedule: sched("hourly", "rate(1 hour)", "")},
		{Workflow: "export", Schedule: sched("half", "cron(30 * * * ? *)", "")},
	}
	r := start(t, utc("2026-05-04T09:45:00Z"), entries, scheduler.Options{StatePath: state}, nil)
	r.advance(2*time.Hour, time.Minute) // to 11:45: 10:00 10:30 11:00 11:30
	r.stop()
	if n := len(r.rec.fires); n != 4 {
		t.Fatalf("%d fires before the restart, want 4", n)
	}
	b, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Schedules map[string]struct {
			Through time.Time
		}
	}
	if err := json.Unmarshal(b, &st); err != nil || !st.Schedules["report/hourly"].Through.Equal(utc("2026-05-04T11:00:00Z")) || !st.Schedules["export/half"].Through.Equal(utc("2026-05-04T11:30:00Z")) {
		t.Fatalf("state file %s: %v", b, err)
	}

	// Down from 11:45 to 14:10: 12:00 12:30 13:00 13:30 14:00 were missed.
	r2 := start(t, utc("2026-05-04T14:10:00Z"), entries, scheduler.Options{StatePath: state}, nil)
	want := []string{"report-hourly-20260504T120000Z", "export-half-20260504T123000Z", "report-hourly-20260504T130000Z",
		"export-half-20260504T133000Z", "report-hourly-20260504T140000Z"}
	if got := r2.rec.names(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("after restart delivered %v, want oldest first %v", got, want)
	}
	for _, f := range r2.rec.fires {
		if !f.Now.Equal(utc("2026-05-04T14:10:00Z")) {
			t.Errorf("%s delivered at %s, want at once", f.Name, f.Now)
		}
	}
	r2.advance(30*time.Minute, time.Minute)
	if got := r2.rec.names(); len(got) != 6 || got[5] != "export-half-20260504T143000Z" {
		t.Errorf("after catching up, fires %v; want normal firing to resume at 14:30", got)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(state), ".*.tmp")); len(leftovers) > 0 {
		t.Errorf("temporary files left beside the state file: %v", leftovers)
	}
}

func TestRestartDropsFiresOlderThanMaxEventAgeAndCaps(t *testing.T) {
	state := filepath.Join(t.TempDir(), "scheduler.json")
	last := `{"version": 1, "schedules": {
	  "report/hourly": {"through": "2026-05-01T00:00:00Z", "expression": "rate(1 hour)", "enabled": true},
	  "gone/old": {"through": "2026-01-01T00:00:00Z", "expression": "rate(1 hour)", "enabled": true}}}`
	if err := os.WriteFile(state, []byte(last), 0o644); err != nil {
		t.Fatal(err)
	}
	entries := []scheduler.Entry{{Workflow: "report", Schedule: sched("hourly", "rate(1 hour)", "")}}
	// 30.5 hours later: 30 fires missed, 24 of them at most 24 h old.
	r := start(t, utc("2026-05-02T06:30:00Z"), entries, scheduler.Options{StatePath: state}, nil)
	got := r.rec.names()
	if len(got) != 24 || got[0] != "report-hourly-20260501T070000Z" || got[23] != "report-hourly-20260502T060000Z" {
		t.Fatalf("delivered %d: %v; want the 24 fires from 07:00 to 06:00", len(got), got)
	}
	r.stop()
	b, _ := os.ReadFile(state)
	if !strings.Contains(string(b), `"gone/old"`) {
		t.Errorf("the state of a schedule not loaded was lost: %s", b)
	}

	if err := os.WriteFile(state, []byte(last), 0o644); err != nil {
		t.Fatal(err)
	}
	r = start(t, utc("2026-05-02T06:30:00Z"), entries, scheduler.Options{StatePath: state, MaxCatchUp: 5, MaxEventAge: 10 * time.Hour}, nil)
	got = r.rec.names()
	want := []string{"report-hourly-20260502T020000Z", "report-hourly-20260502T030000Z", "report-hourly-20260502T040000Z",
		"report-hourly-20260502T050000Z", "report-hourly-20260502T060000Z"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("capped catch-up delivered %v, want the newest 5 oldest first %v", got, want)
	}
}

func TestNewScheduleDoesNotFireForThePast(t *testing.T) {
	state := filepath.Join(t.TempDir(), "scheduler.json")
	entries := []scheduler.Entry{
		{Workflow: "report", Schedule: sched("hourly", "rate(1 hour)", "")},
		{Workflow: "report", Schedule: sched("once", "at(2026-05-04T10:30:00)", "")},
		{Workflow: "report", Schedule: sched("past", "at(2026-05-04T09:00:00)", "")},
	}
	off := sched("off", "rate(1 minute)", "")
	off.Enabled = false
	entries = append(entries, scheduler.Entry{Workflow: "report", Schedule: off})
	r := start(t, utc("2026-05-04T09:59:00Z"), entries, scheduler.Options{StatePath: state}, nil)
	if got := r.rec.names(); len(got) != 0 {
		t.Fatalf("fired at start: %v", got)
	}
	r.advance(3*time.Hour, time.Minute)
	want := []string{"report-hourly-20260504T100000Z", "report-once-20260504T103000Z", "report-hourly-20260504T110000Z", "report-hourly-20260504T120000Z"}
	if got := r.rec.names(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("fires %v, want %v", got, want)
	}
}

func TestFailedStartIsRetriedWithBackoff(t *testing.T) {
	rec := &recorder{fail: func(call int) error {
		if call <= 3 {
			return fmt.Errorf("throttled (call %d)", call)
		}
		return nil
	}}
	r := start(t, utc("2026-05-04T09:59:59Z"), []scheduler.Entry{{Workflow: "report", Schedule: sched("hourly", "rate(1 hour)", "")}}, scheduler.Options{}, rec)
	r.advance(30*time.Second, time.Second)
	if len(rec.fires) != 1 || rec.calls != 4 {
		t.Fatalf("calls %d, fires %+v; want 3 failures then one start", rec.calls, rec.fires)
	}
	f := rec.fires[0]
	// Back-off 1 s, 2 s, 4 s after the failures at 10:00:00, :01, :03.
	if f.Name != "report-hourly-20260504T100000Z" || !f.Now.Equal(utc("2026-05-04T10:00:07Z")) {
		t.Errorf("retried fire %s started at %s, want 10:00:07", f.Name, f.Now)
	}
}

func TestFireFailingPastMaxEventAgeIsDropped(t *testing.T) {
	rec := &recorder{fail: func(int) error { return errors.New("down") }}
	r := start(t, utc("2026-05-04T09:59:00Z"), []scheduler.Entry{{Workflow: "report", Schedule: sched("hourly", "rate(1 hour)", "")}}, scheduler.Options{MaxEventAge: 10 * time.Minute}, rec)
	r.advance(61*time.Minute, time.Minute)
	rec.mu.Lock()
	rec.fail = nil
	rec.mu.Unlock()
	r.advance(60*time.Minute, time.Minute)
	if got := r.rec.names(); strings.Join(got, " ") != "report-hourly-20260504T110000Z report-hourly-20260504T120000Z" {
		t.Errorf("fires %v: the 10:00 fire should have been dropped after 10 minutes of failures", got)
	}
}

func TestBadStateFileIsAnErrorNamingIt(t *testing.T) {
	state := filepath.Join(t.TempDir(), "scheduler.json")
	os.WriteFile(state, []byte(`{"version": 1, "schedules": [`), 0o644)
	_, err := scheduler.New(nil, scheduler.Options{StatePath: state, Start: (&recorder{}).start})
	if err == nil || !strings.HasPrefix(err.Error(), state+": /: scheduler state is not valid") {
		t.Errorf("err = %v", err)
	}
	b, _ := os.ReadFile(state)
	if string(b) != `{"version": 1, "schedules": [` {
		t.Errorf("the bad state file was changed: %s", b)
	}
}

func TestExecutionName(t *testing.T) {
	at := time.Date(2026, 3, 30, 6, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	if got := scheduler.ExecutionName("report", "weekly", at); got != "report-weekly-20260330T040000Z" {
		t.Errorf("ExecutionName = %s", got)
	}
	long := scheduler.ExecutionName(strings.Repeat("w", 40), strings.Repeat("s", 40), at)
	other := scheduler.ExecutionName(strings.Repeat("w", 40), strings.Repeat("s", 39)+"t", at)
	if len(long) != 80 || long == other || long != scheduler.ExecutionName(strings.Repeat("w", 40), strings.Repeat("s", 40), at) {
		t.Errorf("long names %s / %s: want 80 characters, distinct and stable", long, other)
	}
}

// TestRestartCatchUpNeedsTheSameEnabledSchedule: a schedule run before
// the outage catches up even if it had not fired yet; one changed or
// enabled meanwhile starts afresh.
func TestRestartCatchUpNeedsTheSameEnabledSchedule(t *testing.T) {
	state := filepath.Join(t.TempDir(), "scheduler.json")
	daily := sched("daily", "cron(0 0 * * ? *)", "Europe/Berlin")
	hourly := sched("hourly", "rate(1 hour)", "")
	off := sched("off", "rate(1 hour)", "")
	off.Enabled = false
	entries := []scheduler.Entry{{Workflow: "a", Schedule: daily}, {Workflow: "b", Schedule: hourly}, {Workflow: "c", Schedule: off}}
	r := start(t, utc("2026-05-04T09:10:00Z"), entries, scheduler.Options{StatePath: state}, nil)
	r.advance(10*time.Minute, time.Minute)
	r.stop()
	if n := len(r.rec.fires); n != 0 {
		t.Fatalf("%d fires before the outage, want none", n)
	}
	// Down until 09:20 the next day; meanwhile b's expression changes and
	// c is enabled.
	hourly.Expression = "rate(2 hours)"
	off.Enabled = true
	entries = []scheduler.Entry{{Workflow: "a", Schedule: daily}, {Workflow: "b", Schedule: hourly}, {Workflow: "c", Schedule: off}}
	r = start(t, utc("2026-05-05T09:20:00Z"), entries, scheduler.Options{StatePath: state}, nil)
	if got := r.rec.names(); strings.Join(got, " ") != "a-daily-20260504T220000Z" {
		t.Errorf("caught up %v, want only a's midnight (Berlin) fire", got)
	}
}
