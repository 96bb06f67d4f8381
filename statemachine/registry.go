// The control plane's side of internal/interp's Env: host (the Engine) is
// the interpreter's Host, an *execution its Run and a *mapRun its
// MapRunHost. Only here does the interpreter's work reach e.mu, e.execs,
// e.execList, e.mapRuns and e.tokens.

package statemachine

import (
	"context"
	"encoding/json"

	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
	"github.com/stepwise-dev/stepwise/statemachine/internal/interp"
	"github.com/stepwise-dev/stepwise/statemachine/itemio"
)

var (
	_ interp.Host       = host{}
	_ interp.Run        = (*execution)(nil)
	_ interp.MapRunHost = (*mapRun)(nil)
)

// host is the Engine as the interpreter's Host; its methods are not part
// of the Engine's API.
type host struct{ e *Engine }

// newEnv is the interpreter's view of e.
func (e *Engine) newEnv() *interp.Env {
	return &interp.Env{Clock: e.clock, Rand: e.opts.Rand, NewUUID: e.opts.NewUUID, Region: e.opts.Region,
		Lambda: e.opts.Lambda, Services: e.opts.Services, Objects: e.opts.Objects,
		Durable: e.opts.Store != nil, Stopping: e.ctx, Host: host{e}}
}

// RegisterToken makes token answerable by SendTaskSuccess, SendTaskFailure
// and SendTaskHeartbeat until release is called. If w timed out by then,
// the token is remembered so that a late answer gets TaskTimedOut rather
// than TaskDoesNotExist.
func (h host) RegisterToken(token string, w *interp.TaskWait) (release func()) {
	e := h.e
	e.mu.Lock()
	e.tokens[token] = w
	e.mu.Unlock()
	return func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		delete(e.tokens, token)
		if w.TimedOut() {
			if len(e.timedOut) > 10000 {
				e.timedOut = map[string]bool{}
			}
			e.timedOut[token] = true
		}
	}
}

// StepFunctions runs a nested execution or an aws-sdk:sfn action.
func (h host) StepFunctions(ctx context.Context, c interp.SfnCall) (any, error) {
	e := h.e
	if c.SDK && c.Action != "startExecution" && c.Action != "startExecution.sync" {
		return e.sdkSfn(ctx, c.Action, c.Params)
	}
	return e.nestedSfn(ctx, c)
}

// ARN is the execution's ARN.
func (x *execution) ARN() string { return x.arn }

// Overflowed reports that the history reached maxEvents.
func (x *execution) Overflowed() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.overflow
}

// Info is what the context object ($$) says of x.
func (x *execution) Info() interp.ExecutionInfo {
	x.mu.Lock()
	defer x.mu.Unlock()
	return interp.ExecutionInfo{ARN: x.arn, Name: x.name, RoleArn: x.sm.info.RoleArn, Input: x.inVal, StartTime: x.start,
		RedriveCount: x.redrives, NoRedriveCount: x.sync, RedriveTime: x.redriveDate,
		StateMachineARN: x.sm.baseArn(), StateMachineName: x.sm.info.Name}
}

// OpenMapRun registers a Map Run of x so that DescribeMapRun and
// ListMapRuns see it, and persists it.
func (x *execution) OpenMapRun(spec interp.MapRunSpec) interp.MapRunHost {
	e := x.e
	arn := e.arn("mapRun", x.sm.info.Name+"/"+spec.Label+":"+spec.RunID)
	info := MapRun{MapRunArn: arn, ExecutionArn: x.arn, Status: StatusRunning, StartDate: e.clock.Now(), MaxConcurrency: int(spec.MaxConcurrency)}
	if spec.ToleratedFailureCount != nil {
		info.ToleratedFailureCount = *spec.ToleratedFailureCount
	}
	if spec.ToleratedFailurePercentage != nil {
		info.ToleratedFailurePercentage = *spec.ToleratedFailurePercentage
	}
	info.ItemCounts.Total = int64(spec.Total)
	info.ExecutionCounts.Total = int64(spec.Total)
	childType := spec.ChildType
	if childType == "" {
		childType = TypeStandard
	}
	mr := &mapRun{execArn: x.arn, info: info, e: e, parent: x, label: spec.Label, resumed: spec.Resumed, children: make([]*execution, spec.Total),
		childRec: &smRecord{info: StateMachine{Arn: x.sm.baseArn() + "/" + spec.Label, Name: x.sm.info.Name + "/" + spec.Label,
			Type: childType, RoleArn: x.sm.info.RoleArn}, machine: spec.Processor}, limits: spec.Limits}
	e.mu.Lock()
	if old := e.mapRuns[arn]; spec.Resumed && old != nil {
		// A resumed run keeps its start and the limits it had, which
		// UpdateMapRun may have changed since the Map state began.
		old.mu.Lock()
		mr.info.StartDate = old.info.StartDate
		mr.info.MaxConcurrency = old.info.MaxConcurrency
		mr.info.ToleratedFailureCount = old.info.ToleratedFailureCount
		mr.info.ToleratedFailurePercentage = old.info.ToleratedFailurePercentage
		old.mu.Unlock()
	}
	e.mapRuns[arn] = mr
	e.mu.Unlock()
	if spec.Limits != nil {
		mc := int64(mr.info.MaxConcurrency)
		spec.Limits.Set(&mc, &mr.info.ToleratedFailureCount, &mr.info.ToleratedFailurePercentage)
	}
	e.persistMapRun(mr)
	return mr
}

// ARN is the Map Run's ARN.
func (m *mapRun) ARN() string { return m.info.MapRunArn }

// Child registers item i's child execution, replacing one with the same
// ARN that a resumed run starts again; in a resumed run, one that already
// succeeded is kept and reported done.
func (m *mapRun) Child(i int, name string, input any) (interp.Run, any, bool) {
	e, p := m.e, m.parent
	carn := e.arn("execution", p.sm.info.Name+"/"+m.label+":"+name)
	e.mu.Lock()
	old := e.execs[carn]
	e.mu.Unlock()
	if m.resumed && old != nil && old.status() == StatusSucceeded {
		var out any
		if d := old.describe(); d.Output != nil {
			_ = json.Unmarshal([]byte(*d.Output), &out)
		}
		m.mu.Lock()
		m.children[i] = old
		m.info.ItemCounts.Succeeded++
		m.info.ExecutionCounts.Succeeded++
		m.mu.Unlock()
		return old, out, true
	}
	in := marshal(input)
	x := newExecution(e, m.childRec, carn, name, in, input)
	x.mapRunArn = m.info.MapRunArn
	x.parent = p
	e.mu.Lock()
	if old != nil {
		for j, y := range e.execList {
			if y == old {
				e.execList = append(e.execList[:j:j], e.execList[j+1:]...)
				break
			}
		}
	}
	e.execs[carn] = x
	e.execList = append(e.execList, x)
	e.mu.Unlock()
	x.mu.Lock()
	x.start = e.clock.Now()
	x.mu.Unlock()
	x.AddEvent(eventtype.ExecutionStarted, 0, &ExecutionStartedEventDetails{Input: interp.TextJSON(in), RoleArn: m.childRec.info.RoleArn})
	m.mu.Lock()
	m.children[i] = x
	m.mu.Unlock()
	return x, nil, false
}

// EndChild finishes child c and counts it.
func (m *mapRun) EndChild(c interp.Run, out any, f *TaskError, aborted bool, prev int64) {
	x := c.(*execution)
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case aborted:
		x.finish(StatusAborted, nil, &TaskError{}, prev)
		m.info.ItemCounts.Aborted++
		m.info.ExecutionCounts.Aborted++
	case f != nil:
		x.finish(StatusFailed, nil, f, prev)
		m.info.ItemCounts.Failed++
		m.info.ExecutionCounts.Failed++
	default:
		x.finish(StatusSucceeded, out, nil, prev)
		m.info.ItemCounts.Succeeded++
		m.info.ExecutionCounts.Succeeded++
	}
}

// Close records the run's end and persists it.
func (m *mapRun) Close(failed bool) {
	now := m.e.clock.Now()
	m.mu.Lock()
	m.info.StopDate = &now
	if failed {
		m.info.Status = StatusFailed
	} else {
		m.info.Status = StatusSucceeded
	}
	m.mu.Unlock()
	m.e.persistMapRun(m)
}

// Results are the children's outcomes, in item order.
func (m *mapRun) Results() []itemio.Result {
	m.mu.Lock()
	children := append([]*execution(nil), m.children...)
	m.mu.Unlock()
	results := make([]itemio.Result, 0, len(children))
	for _, x := range children {
		if x == nil {
			continue
		}
		d := x.describe()
		res := itemio.Result{ExecutionArn: d.ExecutionArn, Name: d.Name, StateMachineArn: d.StateMachineArn, Status: d.Status,
			Input: deref(d.Input), Output: deref(d.Output), Error: deref(d.Error), Cause: deref(d.Cause), StartDate: d.StartDate, RedriveCount: d.RedriveCount}
		if d.StopDate != nil {
			res.StopDate = *d.StopDate
		}
		results = append(results, res)
	}
	return results
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
