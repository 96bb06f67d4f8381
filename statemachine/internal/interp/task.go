// Task states: resource classification, timeouts and heartbeats, the Lambda
// integrations and other service integrations.

package interp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
	"github.com/stepwise-dev/stepwise/statemachine/states"
)

type resourceKind int

const (
	resLambdaARN resourceKind = iota
	resLambdaInvoke
	resStartExecution
	resSDKSfn
	resService
)

func classify(resource string) (kind resourceKind, pattern IntegrationPattern, service, action string) {
	res := resource
	switch {
	case strings.HasSuffix(res, ".waitForTaskToken"):
		pattern = WaitForTaskToken
		res = strings.TrimSuffix(res, ".waitForTaskToken")
	case strings.HasSuffix(res, ".sync:2"):
		pattern = RunJob
		res = strings.TrimSuffix(res, ":2")
		res = strings.TrimSuffix(res, ".sync")
		action = ":2"
	case strings.HasSuffix(res, ".sync"):
		pattern = RunJob
		res = strings.TrimSuffix(res, ".sync")
	}
	parts := strings.SplitN(res, ":", 7)
	if len(parts) >= 6 && parts[2] == "lambda" {
		return resLambdaARN, pattern, "lambda", ""
	}
	if len(parts) >= 6 && parts[2] == "states" && parts[3] == "" && parts[4] == "" {
		svc := parts[5]
		act := ""
		if len(parts) == 7 {
			act = parts[6]
		}
		if i := strings.LastIndex(svc, ":"); i >= 0 {
			svc, act = svc[:i], svc[i+1:]+":"+act
		}
		// svc is e.g. "lambda", "states", "aws-sdk"; act the action (and for aws-sdk "sfn:startExecution")
		switch {
		case svc == "lambda" && act == "invoke":
			return resLambdaInvoke, pattern, "lambda", "invoke"
		case svc == "states" && strings.HasPrefix(act, "startExecution"):
			return resStartExecution, pattern, "states", "startExecution" + action
		case svc == "aws-sdk" && strings.HasPrefix(act, "sfn:"):
			return resSDKSfn, pattern, "aws-sdk:sfn", strings.TrimPrefix(act, "sfn:")
		}
		if svc == "aws-sdk" {
			if i := strings.Index(act, ":"); i >= 0 {
				return resService, pattern, "aws-sdk:" + act[:i], act[i+1:]
			}
		}
		return resService, pattern, svc, act
	}
	return resService, pattern, "", ""
}

func (r *runner) timeouts(st *step, effInput any) (timeout, heartbeat *int64, f *failure) {
	s := st.s
	timeout, heartbeat = s.task.timeout, s.task.heartbeat
	if s.j != nil {
		for _, fld := range []struct {
			n   *jsonataTmpl
			loc string
			dst **int64
		}{{s.j.timeout, "TimeoutSeconds", &timeout}, {s.j.heartbeat, "HeartbeatSeconds", &heartbeat}} {
			if fld.n == nil || fld.n.isLit {
				continue
			}
			v, f := r.jeval(st, fld.n, fld.loc, r.jvars(st, nil))
			if f != nil {
				return nil, nil, f
			}
			n, ok := v.(float64)
			if !ok || n < 1 || n != math.Trunc(n) {
				return nil, nil, r.evalFailed(st, fld.loc, fmt.Sprintf("The %s field must be a positive integer, but was: %s", fld.loc, Marshal(v)))
			}
			t := int64(n)
			*fld.dst = &t
		}
		return timeout, heartbeat, nil
	}
	if s.task.timeoutPath != nil {
		v, err := r.resolve(st, s.task.timeoutPath, effInput)
		n, ok := v.(float64)
		if err != nil || !ok || n < 1 || n != math.Trunc(n) {
			return nil, nil, r.runtimeErr(st, "The TimeoutSecondsPath parameter does not reference a valid positive integer: %s", s.task.timeoutPath)
		}
		t := int64(n)
		timeout = &t
	}
	if s.task.heartbeatPath != nil {
		v, err := r.resolve(st, s.task.heartbeatPath, effInput)
		n, ok := v.(float64)
		if err != nil || !ok || n < 1 || n != math.Trunc(n) {
			return nil, nil, r.runtimeErr(st, "The HeartbeatSecondsPath parameter does not reference a valid positive integer: %s", s.task.heartbeatPath)
		}
		h := int64(n)
		heartbeat = &h
	}
	return timeout, heartbeat, nil
}

func (r *runner) execTask(ctx context.Context, st *step, effInput any) (any, *failure) {
	s := st.s
	kind, pattern, service, action := classify(s.task.resource)
	resumed := false
	if pattern == WaitForTaskToken {
		st.token = newToken()
		if st.resume != nil && st.resume.Token != "" {
			st.token = st.resume.Token
			resumed = st.resume.Submitted
		}
		st.ctxObj = nil
	}
	params := effInput
	if s.parameters != nil {
		var f *failure
		if params, f = r.evalTmpl(st, s.parameters, effInput, "Parameters"); f != nil {
			return nil, f
		}
	}
	timeout, heartbeat, f := r.timeouts(st, effInput)
	if f != nil {
		return nil, f
	}
	tctx, cancel := context.WithCancelCause(withTaskInfo(ctx, r, st))
	defer cancel(nil)
	// The virtual clock is held from the task's timers until its call has
	// started (the call's goroutine releases it just before the invoker,
	// which holds the clock itself while it runs): otherwise a loaded
	// machine could let the timeout fire before the invocation began.
	entered := holdClock(r.env.Clock)
	defer entered()
	var timer <-chan time.Time // nil (never fires) without TimeoutSeconds
	var deadline time.Time
	if timeout != nil {
		deadline = r.env.Clock.Now().Add(time.Duration(*timeout) * time.Second)
		timer = r.env.Clock.After(time.Duration(*timeout) * time.Second)
	}
	// late reports whether a result that came at t came after the
	// deadline: it is a timeout then, whichever of the result and the
	// timer the task saw first.
	late := func(t time.Time) bool { return timeout != nil && t.After(deadline) }
	if r.mock != nil {
		return mockResult(r.mock)
	}
	if IsActivityARN(s.task.resource) {
		return r.activityTask(ctx, st, params, timeout, heartbeat, timer, entered)
	}
	if kind == resLambdaARN {
		return r.lambdaARN(tctx, cancel, st, params, timeout, timer, late, entered)
	}
	call := &taskCall{kind: kind, pattern: pattern, service: service, action: action, params: params, timeout: timeout, heartbeat: heartbeat, entered: entered}
	call.resType, call.resName = taskResourceNames(kind, pattern, service, action)
	resType, resName := call.resType, call.resName
	if !resumed {
		sched := &TaskScheduledEventDetails{ResourceType: resType, Resource: resName, Region: r.env.Region, Parameters: lazyJSON(params), TimeoutInSeconds: timeout, HeartbeatInSeconds: heartbeat}
		st.th.add(eventtype.TaskScheduled, sched)
		st.th.add(eventtype.TaskStarted, &TaskEventDetails{ResourceType: resType, Resource: resName})
	}
	fail := func(f *failure) (any, *failure) { return nil, r.taskFailed(st, call, f) }
	var wait *TaskWait
	if pattern == WaitForTaskToken {
		wait = &TaskWait{ch: make(chan TokenResult, 1)}
		defer r.env.Host.RegisterToken(st.token, wait)()
		if r.durable(st) && !resumed {
			r.x.Checkpoint(r.progress(st))
		}
	}
	if resumed {
		entered()
		return r.awaitToken(ctx, st, wait, resType, resName, heartbeat, timer)
	}
	res, timer, f := r.awaitCall(tctx, ctx, cancel, st, call, timer)
	if f != nil {
		return nil, f
	}
	if late(res.at) {
		cancel(errTimedOut)
		return fail(&failure{name: states.Timeout})
	}
	if res.f != nil {
		return fail(res.f)
	}
	out := lazyJSON(res.v)
	if jsonSize(res.v, MaxPayload) > MaxPayload {
		return fail(&failure{name: states.DataLimitExceeded, cause: fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", resName)})
	}
	if pattern != WaitForTaskToken {
		st.th.add(eventtype.TaskSucceeded, &TaskOutputEventDetails{ResourceType: resType, Resource: resName, Output: out})
		return res.v, nil
	}
	st.th.add(eventtype.TaskSubmitted, &TaskOutputEventDetails{ResourceType: resType, Resource: resName, Output: out})
	if r.durable(st) {
		p := r.progress(st)
		p.Submitted = true
		r.x.Checkpoint(p)
	}
	return r.awaitToken(ctx, st, wait, resType, resName, heartbeat, timer)
}

// awaitCall starts the task's call on tctx and waits for its result,
// recording TaskSubmitted when a .sync call reports it, until the result
// comes, the task times out (timer) or the run stops (ctx). A result that
// came with the deadline is returned with a timer that has fired again,
// so that a token wait that follows still sees the deadline passed.
func (r *runner) awaitCall(tctx, ctx context.Context, cancel context.CancelCauseFunc, st *step, call *taskCall, timer <-chan time.Time) (taskResult, <-chan time.Time, *failure) {
	done, submitted := r.startTaskCall(tctx, st, call)
	resType, resName := call.resType, call.resName
	// The task's thread records TaskSubmitted itself (the call's goroutine
	// only reports it), so no two goroutines write the thread's history.
	record := func(sub submission) {
		st.th.add(eventtype.TaskSubmitted, &TaskOutputEventDetails{ResourceType: resType, Resource: resName, Output: lazyJSON(sub.output)})
		sub.release()
	}
	drain := func() {
		select {
		case sub := <-submitted:
			record(sub)
		default:
		}
	}
	var res taskResult
	for got := false; !got; {
		select {
		case sub := <-submitted:
			record(sub)
			submitted = nil
		case res = <-done:
			drain()
			got = true
		case t := <-timer:
			drain()
			select {
			case res = <-done:
				got = true
				// The result came with the deadline. A token wait that follows
				// must still see the deadline passed, not a drained timer.
				again := make(chan time.Time, 1)
				again <- t
				timer = again
			default:
				cancel(errTimedOut)
				return res, timer, r.taskFailed(st, call, &failure{name: states.Timeout})
			}
		case <-ctx.Done():
			return res, timer, &failure{name: states.Aborted, runtime: true}
		}
	}
	return res, timer, nil
}

// taskCall is a Task state's call to its resource once Parameters and the
// timeouts are evaluated.
type taskCall struct {
	kind               resourceKind
	pattern            IntegrationPattern
	service, action    string
	params             any
	resType, resName   string // as the history names them ("lambda", "invoke.waitForTaskToken")
	timeout, heartbeat *int64
	// entered releases the clock hold taken before the task's timers;
	// the call's goroutine calls it as the call starts (see beginCall).
	entered func()
}

// taskResult is what a task call returned and when (on the engine clock).
type taskResult struct {
	v  any
	f  *failure
	at time.Time
}

// taskResourceNames gives the resourceType and resource that Task events
// record for a resource.
func taskResourceNames(kind resourceKind, pattern IntegrationPattern, service, action string) (resType, resName string) {
	resType, resName = service, action
	switch kind {
	case resLambdaInvoke:
		resType, resName = "lambda", "invoke"
	case resStartExecution:
		resType, resName = "states", action
		if pattern == RunJob {
			resName = "startExecution.sync" + strings.TrimPrefix(action, "startExecution")
		}
	case resSDKSfn:
		resType, resName = "aws-sdk:sfn", action
	}
	if pattern == WaitForTaskToken {
		resName += ".waitForTaskToken"
	} else if pattern == RunJob && kind != resStartExecution {
		resName += ".sync"
	}
	return resType, resName
}

// taskFailed records TaskFailed (TaskTimedOut for a timeout) and returns f.
func (r *runner) taskFailed(st *step, c *taskCall, f *failure) *failure {
	typ := eventtype.TaskFailed
	if f.name == states.Timeout || f.name == states.HeartbeatTimeout {
		typ = eventtype.TaskTimedOut
	}
	st.th.add(typ, &TaskFailureEventDetails{ResourceType: c.resType, Resource: c.resName, Error: f.name, Cause: f.cause})
	return f
}

// submission is a .sync call's report that the work was submitted: its
// output, and the release of the clock the call holds until the task's
// thread has recorded TaskSubmitted.
type submission struct {
	output  any
	release func()
}

// startTaskCall runs the call of c in a goroutine. done receives its
// result; submitted receives at most one submission, before done.
func (r *runner) startTaskCall(ctx context.Context, st *step, c *taskCall) (done <-chan taskResult, submitted <-chan submission) {
	result := make(chan taskResult, 1)
	sub := make(chan submission, 1)
	release := func() {}
	if c.kind == resStartExecution || c.kind == resSDKSfn {
		// The call (and a .sync submission) happens before any timer fires.
		release = holdClock(r.env.Clock)
	}
	go func() {
		var v any
		var f *failure
		end := func() {}
		switch c.kind {
		case resLambdaInvoke:
			end = beginCall(c.entered, r.env.Lambda)
			v, f = r.lambdaInvoke(ctx, c.params)
		case resStartExecution, resSDKSfn:
			if c.entered != nil {
				c.entered()
			}
			v, f = r.stepFunctions(ctx, c, func(out any) { sub <- submission{output: out, release: release} })
			release()
		default:
			end = beginCall(c.entered, r.env.Services)
			v, f = r.service(ctx, st.s.task.resource, c.service, c.action, c.pattern, c.params, st.token, c.timeout, c.heartbeat)
		}
		at := r.env.Clock.Now()
		end()
		result <- taskResult{v, f, at}
	}()
	return result, sub
}

// stepFunctions makes the Step Functions API call of c through the host.
func (r *runner) stepFunctions(ctx context.Context, c *taskCall, submit func(any)) (any, *failure) {
	pm, _ := c.params.(map[string]any)
	v, err := r.env.Host.StepFunctions(ctx, SfnCall{SDK: c.kind == resSDKSfn, Pattern: c.pattern, Action: c.action, Params: pm, Submit: submit})
	if err == nil {
		return v, nil
	}
	var te *TaskError
	if errors.As(err, &te) {
		return nil, &failure{name: te.Name, cause: te.Cause}
	}
	if ctx.Err() != nil {
		return nil, &failure{name: states.Aborted, runtime: true}
	}
	return nil, &failure{name: states.TaskFailed, cause: err.Error()}
}

// holdClock keeps a clock that can be held (the conformance runner's
// virtual clock, which otherwise jumps to the next timer as soon as the
// engine looks idle) still until release is called; other clocks need
// nothing. The returned release may be called more than once.
func holdClock(c Clock) (release func()) {
	h, ok := c.(interface{ Hold() func() })
	if !ok {
		return func() {}
	}
	var once sync.Once
	rel := h.Hold()
	return func() { once.Do(rel) }
}

// errTimedOut is the cancellation cause of a task's TimeoutSeconds.
var errTimedOut = errors.New("task timed out")

func (r *runner) lambdaARN(ctx context.Context, cancel context.CancelCauseFunc, st *step, params any, timeout *int64, timer <-chan time.Time, late func(time.Time) bool, entered func()) (any, *failure) {
	s := st.s
	in := Marshal(params)
	st.th.add(eventtype.LambdaFunctionScheduled, &LambdaFunctionScheduledEventDetails{Resource: s.task.resource, Input: TextJSON(in), TimeoutInSeconds: timeout})
	st.th.add(eventtype.LambdaFunctionStarted, nil)
	fail := func(f *failure) (any, *failure) {
		st.th.add(eventtype.LambdaFunctionFailed, &FailureEventDetails{Error: f.name, Cause: f.cause})
		return nil, f
	}
	if r.env.Lambda == nil {
		return fail(&failure{name: "Lambda.ServiceException", cause: "no Lambda invoker configured"})
	}
	type result struct {
		res LambdaResult
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		end := beginCall(entered, r.env.Lambda)
		res, err := r.env.Lambda.Invoke(ctx, s.task.resource, []byte(in))
		at := r.env.Clock.Now()
		end()
		done <- result{res, err, at}
	}()
	timedOut := func() (any, *failure) {
		cancel(errTimedOut)
		st.th.add(eventtype.LambdaFunctionTimedOut, &FailureEventDetails{Error: states.Timeout})
		return nil, &failure{name: states.Timeout}
	}
	var res result
	select {
	case res = <-done:
	case <-timer:
		select {
		case res = <-done:
		default:
			return timedOut()
		}
	case <-ctx.Done():
		return nil, &failure{name: states.Aborted, runtime: true}
	}
	if late(res.at) {
		return timedOut()
	}
	if res.err != nil {
		return fail(taskErr(res.err))
	}
	if res.res.FunctionError != "" {
		return fail(lambdaFunctionError(res.res.Payload, false))
	}
	if len(res.res.Payload) > MaxPayload {
		return fail(&failure{name: states.DataLimitExceeded, cause: fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", s.task.resource)})
	}
	var v any
	if len(res.res.Payload) > 0 {
		if err := json.Unmarshal(res.res.Payload, &v); err != nil {
			v = string(res.res.Payload)
		}
	}
	st.th.add(eventtype.LambdaFunctionSucceeded, &OutputEventDetails{Output: lazyJSON(v)})
	return v, nil
}

func taskErr(err error) *failure {
	var te *TaskError
	if errors.As(err, &te) {
		return &failure{name: te.Name, cause: te.Cause}
	}
	return &failure{name: "Lambda.ServiceException", cause: err.Error()}
}

// lambdaFunctionError turns a function error document into a failure:
// Error = errorType, Cause = the document (re-serialised compactly for the
// optimised integration).
func lambdaFunctionError(payload []byte, compact bool) *failure {
	var doc map[string]any
	name := "Exception"
	cause := string(payload)
	if err := json.Unmarshal(payload, &doc); err == nil {
		if t, ok := doc["errorType"].(string); ok && t != "" {
			name = t
		}
		if compact {
			cause = marshalOrdered(payload)
		}
	}
	return &failure{name: name, cause: cause}
}

// marshalOrdered re-serialises JSON text compactly, keeping member order.
func marshalOrdered(b []byte) string {
	var buf jsonBuf
	if err := compactJSON(&buf, b); err != nil {
		return string(b)
	}
	return string(buf.b)
}

func compactJSON(w *jsonBuf, b []byte) error {
	var out = make([]byte, 0, len(b))
	inStr := false
	esc := false
	for _, c := range b {
		if inStr {
			out = append(out, c)
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch c {
		case ' ', '\n', '\t', '\r':
			continue
		case '"':
			inStr = true
		}
		out = append(out, c)
	}
	w.b = out
	return nil
}

func (r *runner) lambdaInvoke(ctx context.Context, params any) (any, *failure) {
	pm, _ := params.(map[string]any)
	fn, _ := pm["FunctionName"].(string)
	var payload []byte
	payload = []byte("{}")
	if p, ok := pm["Payload"]; ok && p != nil {
		if s, isStr := p.(string); isStr {
			payload = []byte(s)
		} else {
			payload = []byte(Marshal(p))
		}
	}
	if r.env.Lambda == nil {
		return nil, &failure{name: "Lambda.ServiceException", cause: "no Lambda invoker configured"}
	}
	res, err := r.env.Lambda.Invoke(ctx, fn, payload)
	if err != nil {
		return nil, taskErr(err)
	}
	if res.FunctionError != "" {
		return nil, lambdaFunctionError(res.Payload, true)
	}
	if len(res.Payload) > MaxPayload {
		return nil, &failure{name: states.DataLimitExceeded, cause: "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service limit."}
	}
	var v any
	if len(res.Payload) > 0 {
		if err := json.Unmarshal(res.Payload, &v); err != nil {
			v = string(res.Payload)
		}
	}
	ver := res.ExecutedVersion
	if ver == "" {
		ver = "$LATEST"
	}
	reqID := res.RequestID
	if reqID == "" {
		reqID = r.env.NewUUID()
	}
	n := strconv.Itoa(len(res.Payload))
	date := r.env.Clock.Now().UTC().Format(time.RFC1123)
	date = strings.Replace(date, "UTC", "GMT", 1)
	trace := "Root=1-" + strconv.FormatInt(r.env.Clock.Now().Unix(), 16) + "-" + strings.ReplaceAll(r.env.NewUUID(), "-", "")[:24] + ";Sampled=0"
	all := map[string]any{
		"Connection":                     []any{"keep-alive"},
		"Content-Length":                 []any{n},
		"Content-Type":                   []any{"application/json"},
		"Date":                           []any{date},
		"X-Amz-Executed-Version":         []any{ver},
		"x-amzn-Remapped-Content-Length": []any{"0"},
		"x-amzn-RequestId":               []any{reqID},
		"X-Amzn-Trace-Id":                []any{trace},
	}
	hdr := map[string]any{}
	for k, v := range all {
		hdr[k] = v.([]any)[0]
	}
	if lt, _ := pm["LogType"].(string); lt == "Tail" {
		all["X-Amz-Log-Result"] = []any{""}
		hdr["X-Amz-Log-Result"] = ""
	}
	out := map[string]any{
		"ExecutedVersion":     ver,
		"Payload":             v,
		"SdkHttpMetadata":     map[string]any{"AllHttpHeaders": all, "HttpHeaders": hdr, "HttpStatusCode": float64(200)},
		"SdkResponseMetadata": map[string]any{"RequestId": reqID},
		"StatusCode":          float64(200),
	}
	if lt, _ := pm["LogType"].(string); lt == "Tail" {
		out["LogResult"] = ""
	}
	return out, nil
}

func (r *runner) service(ctx context.Context, resource, service, action string, pattern IntegrationPattern, params any, token string, timeout, heartbeat *int64) (any, *failure) {
	if r.env.Services == nil {
		return nil, &failure{name: states.Runtime, cause: fmt.Sprintf("The resource '%s' is not supported: no service invoker is configured", resource)}
	}
	req := ServiceRequest{Resource: resource, Service: service, Action: action, Pattern: pattern, Input: params, TaskToken: token}
	withTrace(ctx, &req)
	if timeout != nil {
		req.Timeout = time.Duration(*timeout) * time.Second
	}
	if heartbeat != nil {
		req.Heartbeat = time.Duration(*heartbeat) * time.Second
	}
	v, err := r.env.Services.InvokeService(ctx, req)
	if err != nil {
		return nil, taskErr(err)
	}
	return v, nil
}

// ---- Parallel ----
