package statemachine

import (
	"context"

	"github.com/stepwise-dev/stepwise/statemachine/internal/interp"
)

// TaskInfo says which Task state of which execution a Lambda or service
// invocation runs for. The engine puts it in the context it passes to
// [LambdaInvoker].Invoke and [ServiceInvoker].InvokeService, so that an
// invoker can answer by state name (test harnesses mock tasks per state, as
// AWS Step Functions Local's MockConfigFile does) and can learn the task
// token of a .waitForTaskToken task without parsing the payload.
type TaskInfo = interp.TaskInfo

// TaskInfoFrom returns the [TaskInfo] the engine put in ctx, if any.
func TaskInfoFrom(ctx context.Context) (TaskInfo, bool) { return interp.TaskInfoFrom(ctx) }

// ClockHandoff is implemented by a [LambdaInvoker] or [ServiceInvoker]
// that holds the engine's virtual clock itself for the whole of each call
// (a test harness): the engine then keeps its own hold from a task's
// timers through the call until it has noted when the call ended, so that
// the task's timeout cannot fire around the call, however the goroutines
// are scheduled. Other invokers may let time run during a call.
type ClockHandoff = interp.ClockHandoff
