package vclock

import (
	"runtime"
	"testing"
	"time"
)

var start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestAdvanceFiresDueTimersInOrder(t *testing.T) {
	c := New(start)
	late := c.After(2 * time.Second)
	early := c.After(time.Second)
	if n := c.Pending(); n != 2 {
		t.Fatalf("Pending = %d, want 2", n)
	}
	c.Advance(time.Second)
	select {
	case at := <-early:
		if at.Sub(start) != time.Second {
			t.Fatalf("early fired at %s", at.Sub(start))
		}
	default:
		t.Fatal("the 1 s timer did not fire after Advance(1s)")
	}
	select {
	case <-late:
		t.Fatal("the 2 s timer fired after Advance(1s)")
	default:
	}
	c.Advance(time.Second)
	if at := <-late; at.Sub(start) != 2*time.Second {
		t.Fatalf("late fired at %s", at.Sub(start))
	}
}

// Without SetAuto the clock never moves by itself, holds or not.
func TestManualClockStaysStill(t *testing.T) {
	c := New(start)
	timer := c.After(time.Nanosecond)
	for range 2 * SettleRounds {
		runtime.Gosched()
	}
	select {
	case <-timer:
		t.Fatal("a manual clock fired a timer by itself")
	default:
	}
	if !c.Now().Equal(start) {
		t.Fatalf("time moved to %s", c.Now())
	}
}

func TestAutoFiresInDeadlineOrderAndRespectsHold(t *testing.T) {
	c := New(start)
	defer c.Close()
	release := c.Hold()
	long := c.After(time.Minute)
	short := c.After(time.Second)
	c.SetAuto(true)
	for range 4 * SettleRounds {
		runtime.Gosched()
	}
	if !c.Now().Equal(start) {
		t.Fatalf("time moved to +%s while held", c.Now().Sub(start))
	}
	release()
	release() // a second call does nothing
	if at := <-short; at.Sub(start) != time.Second {
		t.Fatalf("short fired at +%s", at.Sub(start))
	}
	if at := <-long; at.Sub(start) != time.Minute {
		t.Fatalf("long fired at +%s", at.Sub(start))
	}
}

func TestWaitPending(t *testing.T) {
	c := New(start)
	go c.After(time.Second)
	if !c.WaitPending(1, nil) {
		t.Fatal("WaitPending(1) = false")
	}
	done := make(chan struct{})
	close(done)
	if c.WaitPending(2, done) {
		t.Fatal("WaitPending(2) with done closed = true")
	}
}

// An AfterHeld timer holds the clock from its firing until its release: a
// later timer waits however slow the receiver is; a release before the
// firing cancels the hold.
func TestAfterHeldHoldsFromFiringUntilRelease(t *testing.T) {
	c := New(start)
	defer c.Close()
	beat, release := c.AfterHeld(time.Second)
	later := c.After(time.Minute)
	cancelled, releaseEarly := c.AfterHeld(2 * time.Second)
	releaseEarly()
	c.SetAuto(true)
	<-beat
	time.Sleep(20 * SettleTime) // a slow receiver: the clock must not move
	if got := c.Now().Sub(start); got != time.Second {
		t.Fatalf("time moved to +%s while the fired AfterHeld timer was not released", got)
	}
	release()
	release()
	<-cancelled // released before it fired: it fires without holding
	if at := <-later; at.Sub(start) != time.Minute {
		t.Fatalf("later fired at +%s", at.Sub(start))
	}
}
