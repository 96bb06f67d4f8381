package conformance

import (
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/vclock"
)

// VirtualClock is the engine's virtual clock ([vclock.Clock]): the runner
// uses it in auto-advance mode, so a 60-second Wait completes at once while
// timers still fire in deadline order, and emulated Lambda invocations hold
// it while they run.
type VirtualClock = vclock.Clock

// NewVirtualClock returns a clock reading start that advances
// automatically. Call Close to stop its goroutine.
func NewVirtualClock(start time.Time) *VirtualClock {
	c := vclock.New(start)
	c.SetAuto(true)
	return c
}

// NewFrozenClock returns a clock reading start whose time never moves:
// its timers never fire. Cases that stop a waiting execution use it so
// that the execution is still waiting when it is stopped.
func NewFrozenClock(start time.Time) *VirtualClock { return vclock.New(start) }
