package conformance

import (
	"container/heap"
	"runtime"
	"sync"
	"time"
)

// VirtualClock is a clock whose time moves only when something waits on
// it: when timers are pending and no new timer has been registered for a
// few scheduler rounds, it jumps to the earliest deadline and fires that
// timer. A 60-second Wait therefore completes at once while timers still
// fire in deadline order (a Task's 5 s timeout before its Lambda's 60 s
// sleep). Work in flight that will finish on its own (an emulated Lambda
// invocation) holds the clock ([VirtualClock.Hold]) so that a loaded
// machine cannot let a timeout fire before it. A timer fires a few
// milliseconds of real time after the last registration, whatever the
// virtual delay. Its method set matches the engine's Clock interface.
type VirtualClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  timerHeap
	seq     uint64
	changes uint64
	holds   int // work in flight: no timer fires while > 0
	wake    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// NewVirtualClock returns a clock reading start that advances
// automatically. Call Close to stop its goroutine.
func NewVirtualClock(start time.Time) *VirtualClock {
	c := &VirtualClock{now: start, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.run()
	return c
}

// NewFrozenClock returns a clock reading start whose time never moves:
// its timers never fire. Cases that stop a waiting execution use it so
// that the execution is still waiting when it is stopped.
func NewFrozenClock(start time.Time) *VirtualClock {
	return &VirtualClock{now: start, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives the virtual time once d has
// elapsed on this clock; d <= 0 fires at once.
func (c *VirtualClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.seq++
	c.changes++
	heap.Push(&c.timers, &timer{at: c.now.Add(d), seq: c.seq, ch: ch})
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return ch
}

// Hold keeps time still until release is called (once; later calls do
// nothing): no timer fires meanwhile.
func (c *VirtualClock) Hold() (release func()) {
	c.mu.Lock()
	c.holds++
	c.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			c.holds--
			c.changes++
			c.mu.Unlock()
			select {
			case c.wake <- struct{}{}:
			default:
			}
		})
	}
}

// Close stops the clock's goroutine; pending timers never fire.
func (c *VirtualClock) Close() { c.once.Do(func() { close(c.done) }) }

func (c *VirtualClock) run() {
	for {
		select {
		case <-c.done:
			return
		case <-c.wake:
		}
		for {
			// Let running goroutines register earlier timers (or hold the
			// clock) before the earliest pending one fires: wait until
			// registrations settle, for 50 scheduler rounds and at least
			// settleTime of real time, so that a goroutine about to start
			// work is not overtaken on a loaded machine either.
			quiet := time.Now()
			for settled := 0; settled < 50 || time.Since(quiet) < settleTime; {
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
				case <-c.done:
					return
				default:
				}
			}
			c.mu.Lock()
			if c.timers.Len() == 0 || c.holds > 0 {
				// Nothing to fire, or work in flight: wait for a new timer
				// or a release.
				c.mu.Unlock()
				break
			}
			t := heap.Pop(&c.timers).(*timer)
			if t.at.After(c.now) {
				c.now = t.at
			}
			now := c.now
			c.mu.Unlock()
			t.ch <- now
		}
	}
}

// settleTime is how long, in real time, registrations must have stopped
// before a timer fires.
const settleTime = 5 * time.Millisecond

type timer struct {
	at  time.Time
	seq uint64
	ch  chan time.Time
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
