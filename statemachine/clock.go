package statemachine

import (
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/vclock"
)

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RealClock returns the wall clock.
func RealClock() Clock { return realClock{} }

// VirtualClock is a [Clock] whose time moves only when told to: by
// Advance, or, in auto-advance mode (SetAuto), by jumping to the earliest
// pending timer once the engine has settled. Tests use it so that Wait
// states, Retry back-off and timeouts never sleep. See [vclock.Clock].
type VirtualClock = vclock.Clock

// NewVirtualClock returns a virtual clock stopped at start.
func NewVirtualClock(start time.Time) *VirtualClock { return vclock.New(start) }
