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
