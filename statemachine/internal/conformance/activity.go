package conformance

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
)

// Activities: a case may declare activity workers (member "activities",
// by activity name), which the runner emulates for the Task states whose
// Resource is arn:<partition>:states:<region>:111111111111:activity:<name>.
// The AWS corpus has no activity recordings; the hand-written cases under
// statemachine/testdata use this.

// ActivityWorker is how the emulated worker of one activity answers each
// task it takes. It always sends one heartbeat as it takes a task (as the
// Go worker of steps/activity does), then:
//
//	"succeed": SendTaskSuccess with Output (the task's input when absent)
//	"fail":    SendTaskFailure with Error and Cause
//	"silent":  nothing more (the task times out)
//
// Behaviour "none" creates the activity and runs no worker at all.
type ActivityWorker struct {
	Behaviour  string          `json:"behaviour"`
	WorkerName string          `json:"worker_name"`
	Output     json.RawMessage `json:"output"`
	Error      string          `json:"error"`
	Cause      string          `json:"cause"`
}

// ActivityDriver is a Driver that can run activity tasks.
type ActivityDriver interface {
	// CreateActivity registers the activity name and returns its ARN.
	CreateActivity(ctx context.Context, name string) (arn string, err error)
	// GetActivityTask long-polls; token "" means no task came.
	GetActivityTask(ctx context.Context, arn, workerName string) (token, input string, err error)
	SendTaskSuccess(ctx context.Context, token, output string) error
	SendTaskFailure(ctx context.Context, token, errorName, cause string) error
	SendTaskHeartbeat(ctx context.Context, token string) error
}

// startActivityWorkers creates the case's activities and runs a worker
// for each until the returned stop is called.
func startActivityWorkers(ctx context.Context, c *Case, d Driver) (stop func(), f *failure) {
	if len(c.Activities) == 0 {
		return func() {}, nil
	}
	ad, ok := d.(ActivityDriver)
	if !ok {
		return nil, failf("driver: no activities", "the case declares activities and the driver cannot run them")
	}
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	names := make([]string, 0, len(c.Activities))
	for n := range c.Activities {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		w := c.Activities[name]
		switch w.Behaviour {
		case "succeed", "fail", "silent", "none":
		default:
			cancel()
			return nil, failf("bad case", "%s: activities.%s.behaviour %q: want succeed, fail, silent or none", c.File, name, w.Behaviour)
		}
		arn, err := ad.CreateActivity(ctx, name)
		if err != nil {
			cancel()
			return nil, failf("create activity: "+errorCode(err), "CreateActivity(%s): %v", name, errText(err))
		}
		if w.Behaviour == "none" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.work(wctx, ad, arn)
		}()
	}
	return func() { cancel(); wg.Wait() }, nil
}

// work takes tasks of arn until ctx is done and answers each as w says.
func (w ActivityWorker) work(ctx context.Context, d ActivityDriver, arn string) {
	for ctx.Err() == nil {
		token, input, err := d.GetActivityTask(ctx, arn, w.WorkerName)
		if err != nil || token == "" {
			continue
		}
		_ = d.SendTaskHeartbeat(ctx, token)
		switch w.Behaviour {
		case "succeed":
			out := input
			if len(w.Output) > 0 {
				out = string(w.Output)
			}
			_ = d.SendTaskSuccess(ctx, token, out)
		case "fail":
			_ = d.SendTaskFailure(ctx, token, w.Error, w.Cause)
		}
	}
}
