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
// that holds the engine's virtual clock itself while its calls run (a
// test harness): the engine then keeps its own hold from a task's timers
// until the invoker calls [CallStarted], so that a task cannot time out
// before its call began, however the goroutines are scheduled.
type ClockHandoff = interp.ClockHandoff

// CallStarted tells the engine that the task call whose context is ctx
// has started and that its invoker, a [ClockHandoff], holds the virtual
// clock itself; it does nothing for other contexts and after the first
// call.
func CallStarted(ctx context.Context) { interp.CallStarted(ctx) }
