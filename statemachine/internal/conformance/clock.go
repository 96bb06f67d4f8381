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
// sleep). It never sleeps in real time. Its method set matches the engine's
// Clock interface.
type VirtualClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  timerHeap
	seq     uint64
	changes uint64
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
			// Let running goroutines register earlier timers before the
			// earliest pending one fires: wait until registrations settle.
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
				case <-c.done:
					return
				default:
				}
			}
			c.mu.Lock()
			if c.timers.Len() == 0 {
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
