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
// that holds the engine's virtual clock itself for the whole of each call
// (a test harness). The engine holds the clock from a task's timers until
// the task's call starts, so that a task cannot time out before its call
// began. For other invokers it lets go just before calling them (an
// invoker may let time run during a call, as an emulated Lambda that
// sleeps does), which leaves moments, before the invoker holds the clock
// and after it let go, in which a descheduled goroutine lets the timeout
// fire first. For a ClockHandoff invoker it keeps its hold through the
// call until it has noted the time the call ended.
type ClockHandoff interface {
	HoldsClockDuringCalls()
}

// beginCall releases entered (the engine's hold from the task's timers)
// now, unless invoker is a [ClockHandoff]: then the returned end releases
// it, to be called once the call's end time has been read.
func beginCall(entered func(), invoker any) (end func()) {
	if entered == nil {
		return func() {}
	}
	if _, ok := invoker.(ClockHandoff); ok {
		return entered
	}
	entered()
	return func() {}
}
