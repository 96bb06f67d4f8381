package statemachine

import (
	"container/heap"
	"runtime"
	"sync"
	"time"
)

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RealClock returns the wall clock.
func RealClock() Clock { return realClock{} }

// VirtualClock is a [Clock] whose time moves only when told to: by
// [VirtualClock.Advance], or, in auto-advance mode, by jumping to the
// earliest pending timer whenever one is pending. Tests use it so that Wait
// states, Retry back-off and timeouts never sleep. It is safe for
// concurrent use.
type VirtualClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  timerHeap
	seq     int64
	auto    bool
	wake    chan struct{}
	stop    chan struct{}
	changes uint64
	changed chan struct{} // closed and replaced whenever the timer set changes
}

// NewVirtualClock returns a clock stopped at start.
func NewVirtualClock(start time.Time) *VirtualClock {
	return &VirtualClock{now: start, changed: make(chan struct{})}
}

type vtimer struct {
	at  time.Time
	seq int64
	ch  chan time.Time
}

type timerHeap []*vtimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(*vtimer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// Now returns the clock's current time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives when the clock reaches now+d.
func (c *VirtualClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.seq++
	heap.Push(&c.timers, &vtimer{at: c.now.Add(d), seq: c.seq, ch: ch})
	c.notify()
	if c.auto {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return ch
}

func (c *VirtualClock) notify() {
	c.changes++
	close(c.changed)
	c.changed = make(chan struct{})
}

// Advance moves the clock forward by d and fires every timer that falls due.
func (c *VirtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for len(c.timers) > 0 && !c.timers[0].at.After(c.now) {
		t := heap.Pop(&c.timers).(*vtimer)
		t.ch <- c.now
	}
	c.notify()
}

// SetAuto switches auto-advance mode: while on, a background goroutine
// waits until no new timer has been registered for a few scheduler rounds
// and then jumps the clock to the earliest pending deadline, so a 60-second
// Wait costs nothing while timers still fire in deadline order.
func (c *VirtualClock) SetAuto(on bool) {
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

func (c *VirtualClock) autoLoop(wake, stop chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-wake:
		}
		for {
			for settled := 0; settled < 50; {
				c.mu.Lock()
				before := c.changes
				c.mu.Unlock()
				runtime.Gosched()
				c.mu.Lock()
				if c.changes == before {
					settled++
				} else {
					settled = 0
				}
				c.mu.Unlock()
				select {
				case <-stop:
					return
				default:
				}
			}
			c.mu.Lock()
			if len(c.timers) == 0 {
				c.mu.Unlock()
				break
			}
			t := heap.Pop(&c.timers).(*vtimer)
			if t.at.After(c.now) {
				c.now = t.at
			}
			t.ch <- c.now
			c.notify()
			c.mu.Unlock()
		}
	}
}

// Pending reports how many timers are waiting.
func (c *VirtualClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// WaitPending blocks until at least n timers are pending or done is closed;
// it reports whether the count was reached. Tests use it to know that an
// execution has reached a Wait state without sleeping.
func (c *VirtualClock) WaitPending(n int, done <-chan struct{}) bool {
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
