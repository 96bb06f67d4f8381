package interp

import "context"

// TaskInfo says which Task state of which execution a Lambda or service
// invocation runs for. The interpreter puts it in the context it passes to
// [LambdaInvoker].Invoke and [ServiceInvoker].InvokeService, so that an
// invoker can answer by state name (test harnesses mock tasks per state, as
// AWS Step Functions Local's MockConfigFile does) and can learn the task
// token of a .waitForTaskToken task without parsing the payload.
type TaskInfo struct {
	ExecutionArn string
	StateName    string
	// Resource is the state's Resource as written (placeholders substituted).
	Resource string
	// Token is the task token of a .waitForTaskToken task, else "".
	Token string
}

type taskInfoKey struct{}

// TaskInfoFrom returns the [TaskInfo] the interpreter put in ctx, if any.
func TaskInfoFrom(ctx context.Context) (TaskInfo, bool) {
	ti, ok := ctx.Value(taskInfoKey{}).(TaskInfo)
	return ti, ok
}

func withTaskInfo(ctx context.Context, r *runner, st *step) context.Context {
	return context.WithValue(ctx, taskInfoKey{}, TaskInfo{ExecutionArn: r.x.ARN(), StateName: st.s.name, Resource: st.s.task.resource, Token: st.token})
}

// ClockHandoff is implemented by a [LambdaInvoker] or [ServiceInvoker]
// that holds the engine's virtual clock itself while its calls run (a
// test harness). The engine holds the clock from a task's timers until
// the task's call starts, so that a task cannot time out before its call
// began. For other invokers it lets go just before calling them, which
// leaves a moment in which a descheduled goroutine lets the timeout fire
// first. For a ClockHandoff invoker it keeps the hold until the invoker
// calls [CallStarted] with the call's context, once it holds the clock
// itself, or until the call returns.
type ClockHandoff interface {
	HoldsClockFromCallStart()
}

type callStartKey struct{}

// CallStarted ends the engine's hold on the clock for the task call whose
// context is ctx (see [ClockHandoff]); it does nothing for other contexts
// and after the first call.
func CallStarted(ctx context.Context) {
	if release, ok := ctx.Value(callStartKey{}).(func()); ok {
		release()
	}
}

// beginCall releases entered (the engine's hold from the task's timers)
// now, or hands it to invoker through the returned context when invoker
// is a [ClockHandoff]; done releases it in any case after the call.
func beginCall(ctx context.Context, entered func(), invoker any) (_ context.Context, done func()) {
	if entered == nil {
		return ctx, func() {}
	}
	if _, ok := invoker.(ClockHandoff); ok {
		return context.WithValue(ctx, callStartKey{}, entered), entered
	}
	entered()
	return ctx, func() {}
}
