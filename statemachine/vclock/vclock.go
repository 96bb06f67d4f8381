// Package vclock is the engine's virtual clock: time moves only when told
// to (Advance) or, in auto-advance mode, when every goroutine that could
// register an earlier timer has gone quiet. Tests, the conformance runner
// and the local stack use it so that Wait states, Retry back-off and
// timeouts never sleep.
//
// It is a leaf package: it imports only the standard library.
package vclock

import (
	"container/heap"
	"runtime"
	"sync"
	"time"
)

// Clock is a virtual clock. Its method set (Now, After) matches the
// engine's Clock interface. It is safe for concurrent use.
//
// In auto-advance mode ([Clock.SetAuto]) a background goroutine fires the
// earliest pending timer, jumping time to its deadline, once the timer set
// has settled: no timer registered, fired or released for [SettleRounds]
// scheduler rounds and at least [SettleTime] of real time, and no
// [Clock.Hold] outstanding. A 60-second Wait therefore completes at once
// while timers still fire in deadline order (a Task's 5 s timeout before
// its Lambda's 60 s sleep), and work in flight that finishes on its own
// (an emulated Lambda invocation, a nested execution) holds the clock so
// that a loaded machine cannot let a timeout overtake it.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	timers  timerHeap
	seq     uint64
	changes uint64        // bumped by every registration, fire and release
	changed chan struct{} // closed and replaced whenever the timer set changes
	holds   int           // work in flight: auto-advance fires nothing while > 0
	auto    bool
	wake    chan struct{}
	stop    chan struct{}
}

// The settling rule of auto-advance mode. A timer fires a few milliseconds
// of real time after the last registration, whatever its virtual delay:
// the real-time part keeps a goroutine that is about to register an
// earlier timer from being overtaken on a loaded machine (scheduler rounds
// alone made the conformance runner flaky under load).
const (
	SettleRounds = 50
	SettleTime   = 5 * time.Millisecond
)

// New returns a clock stopped at start; its time moves only by
// [Clock.Advance] until [Clock.SetAuto] turns auto-advance on.
func New(start time.Time) *Clock {
	return &Clock{now: start, changed: make(chan struct{})}
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives the clock's time once d has
// elapsed on it; d <= 0 fires at once.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.seq++
	heap.Push(&c.timers, &timer{at: c.now.Add(d), seq: c.seq, ch: ch})
	c.changedLocked()
	return ch
}

// AfterHeld is [Clock.After] for a receiver that must act before any later
// timer fires (a worker's heartbeat, due before the engine's heartbeat
// timeout): from the moment the timer fires, auto-advance is held until
// release is called. Call release once the receiver has acted, or when
// it stops waiting (a release before the timer fires cancels the hold).
func (c *Clock) AfterHeld(d time.Duration) (ch <-chan time.Time, release func()) {
	out := make(chan time.Time, 1)
	h := &heldTimer{}
	c.mu.Lock()
	if d <= 0 {
		out <- c.now
		h.fired = true
		c.holds++
	} else {
		c.seq++
		heap.Push(&c.timers, &timer{at: c.now.Add(d), seq: c.seq, ch: out, held: h})
	}
	c.changedLocked()
	c.mu.Unlock()
	return out, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if h.released {
			return
		}
		h.released = true
		if h.fired {
			c.holds--
			c.changedLocked()
		}
	}
}

// heldTimer is the hold state of an AfterHeld timer (guarded by Clock.mu).
type heldTimer struct{ fired, released bool }

// fireLocked sends the clock's time on t's channel, taking t's hold.
func (c *Clock) fireLocked(t *timer) {
	if t.held != nil && !t.held.released {
		t.held.fired = true
		c.holds++
	}
	t.ch <- c.now
}

// Advance moves the clock forward by d and fires every timer that falls
// due, whatever holds are outstanding.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for len(c.timers) > 0 && !c.timers[0].at.After(c.now) {
		t := heap.Pop(&c.timers).(*timer)
		c.fireLocked(t)
	}
	c.changedLocked()
}

// Hold keeps auto-advance from firing any timer until release is called
// (once; later calls do nothing).
func (c *Clock) Hold() (release func()) {
	c.mu.Lock()
	c.holds++
	c.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			c.holds--
			c.changedLocked()
			c.mu.Unlock()
		})
	}
}

// SetAuto switches auto-advance mode on or off.
func (c *Clock) SetAuto(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if on == c.auto {
		return
	}
	c.auto = on
	if !on {
		close(c.stop)
		return
	}
	c.wake = make(chan struct{}, 1)
	c.stop = make(chan struct{})
	go c.autoLoop(c.wake, c.stop)
	c.wake <- struct{}{}
}

// Close turns auto-advance off; pending timers then fire only by Advance.
// It may be called more than once.
func (c *Clock) Close() { c.SetAuto(false) }

// Pending reports how many timers are waiting.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// WaitPending blocks until at least n timers are pending or done is closed;
// it reports whether the count was reached. Tests use it to know that an
// execution has reached a Wait state without sleeping.
func (c *Clock) WaitPending(n int, done <-chan struct{}) bool {
	for {
		c.mu.Lock()
		if len(c.timers) >= n {
			c.mu.Unlock()
			return true
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-done:
			return false
		}
	}
}

// changedLocked records a change of the timer set (or of the holds) and
// wakes the auto-advance loop and WaitPending callers.
func (c *Clock) changedLocked() {
	c.changes++
	close(c.changed)
	c.changed = make(chan struct{})
	if c.auto {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

func (c *Clock) autoLoop(wake, stop chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-wake:
		}
		for {
			if !c.settle(stop) {
				return
			}
			c.mu.Lock()
			if len(c.timers) == 0 || c.holds > 0 {
				// Nothing to fire, or work in flight: wait for a new
				// timer or a release.
				c.mu.Unlock()
				break
			}
			t := heap.Pop(&c.timers).(*timer)
			if t.at.After(c.now) {
				c.now = t.at
			}
			c.fireLocked(t)
			c.changes++
			close(c.changed)
			c.changed = make(chan struct{})
			c.mu.Unlock()
		}
	}
}

// settle waits until the timer set has not changed for SettleRounds
// scheduler rounds and SettleTime of real time. It reports false if stop
// was closed meanwhile.
func (c *Clock) settle(stop chan struct{}) bool {
	quiet := time.Now()
	for settled := 0; settled < SettleRounds || time.Since(quiet) < SettleTime; {
		c.mu.Lock()
		before := c.changes
		c.mu.Unlock()
		runtime.Gosched()
		c.mu.Lock()
		if c.changes == before {
			settled++
		} else {
			settled, quiet = 0, time.Now()
		}
		c.mu.Unlock()
		select {
		case <-stop:
			return false
		default:
		}
	}
	return true
}

type timer struct {
	at   time.Time
	seq  uint64
	ch   chan time.Time
	held *heldTimer // set for AfterHeld timers
}

type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(*timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}
