// The control plane's side of env.go: the Engine is the interpreter's
// host, an *execution its run and a *mapRun its mapRunHost. Only here
// does the interpreter's work reach e.mu, e.execs, e.execList, e.mapRuns
// and e.tokens.

package statemachine

import (
	"context"
	"encoding/json"

	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
	"github.com/stepwise-dev/stepwise/statemachine/itemio"
)

var (
	_ host       = (*Engine)(nil)
	_ run        = (*execution)(nil)
	_ mapRunHost = (*mapRun)(nil)
)

// newEnv is the interpreter's view of e.
func (e *Engine) newEnv() *env {
	return &env{clock: e.clock, rand: e.opts.Rand, newUUID: e.opts.NewUUID, region: e.opts.Region,
		lambda: e.opts.Lambda, services: e.opts.Services, objects: e.opts.Objects,
		durable: e.opts.Store != nil, stopping: e.ctx, host: e}
}

// registerToken makes token answerable by SendTaskSuccess, SendTaskFailure
// and SendTaskHeartbeat until release is called. If w timed out by then,
// the token is remembered so that a late answer gets TaskTimedOut rather
// than TaskDoesNotExist.
func (e *Engine) registerToken(token string, w *taskWait) (release func()) {
	e.mu.Lock()
	e.tokens[token] = w
	e.mu.Unlock()
	return func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		delete(e.tokens, token)
		if w.timedOut {
			if len(e.timedOut) > 10000 {
				e.timedOut = map[string]bool{}
			}
			e.timedOut[token] = true
		}
	}
}

// stepFunctions runs a nested execution or an aws-sdk:sfn action.
func (e *Engine) stepFunctions(ctx context.Context, c sfnCall) (any, *failure) {
	if c.sdk && c.action != "startExecution" && c.action != "startExecution.sync" {
		return e.sdkSfn(ctx, c.action, c.params)
	}
	return e.nestedSfn(ctx, c)
}

func (x *execution) overflowed() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.overflow
}

// contextObject builds the Execution and StateMachine members of $$ once
// per run.
func (x *execution) contextObject() (exe, sm map[string]any) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.ctxExec == nil {
		exe := map[string]any{
			"Id":        x.arn,
			"Input":     x.inVal,
			"Name":      x.name,
			"RoleArn":   x.sm.info.RoleArn,
			"StartTime": x.start.UTC().Format(isoMillis),
		}
		if !x.sync {
			exe["RedriveCount"] = float64(x.redrives)
		}
		if x.redriveDate != nil {
			exe["RedriveTime"] = x.redriveDate.UTC().Format(isoMillis)
		}
		x.ctxExec = exe
		x.ctxSM = map[string]any{"Id": x.sm.baseArn(), "Name": x.sm.info.Name}
	}
	return x.ctxExec, x.ctxSM
}

// openMapRun registers a Map Run of x so that DescribeMapRun and
// ListMapRuns see it, and persists it.
func (x *execution) openMapRun(spec mapRunSpec) mapRunHost {
	e := x.e
	arn := e.arn("mapRun", x.sm.info.Name+"/"+spec.label+":"+spec.runID)
	info := MapRun{MapRunArn: arn, ExecutionArn: x.arn, Status: StatusRunning, StartDate: e.clock.Now(), MaxConcurrency: int(spec.maxConc)}
	if spec.tolerance.count != nil {
		info.ToleratedFailureCount = *spec.tolerance.count
	}
	if spec.tolerance.pct != nil {
		info.ToleratedFailurePercentage = *spec.tolerance.pct
	}
	info.ItemCounts.Total = int64(spec.total)
	info.ExecutionCounts.Total = int64(spec.total)
	childType := spec.childType
	if childType == "" {
		childType = TypeStandard
	}
	mr := &mapRun{execArn: x.arn, info: info, e: e, parent: x, label: spec.label, resumed: spec.resumed, children: make([]*execution, spec.total),
		childRec: &smRecord{info: StateMachine{Arn: x.sm.baseArn() + "/" + spec.label, Name: x.sm.info.Name + "/" + spec.label,
			Type: childType, RoleArn: x.sm.info.RoleArn}, machine: spec.processor}}
	e.mu.Lock()
	e.mapRuns[arn] = mr
	e.mu.Unlock()
	e.persistMapRun(mr)
	return mr
}

func (m *mapRun) arn() string { return m.info.MapRunArn }

// child registers item i's child execution, replacing one with the same
// ARN that a resumed run starts again; in a resumed run, one that already
// succeeded is kept and reported done.
func (m *mapRun) child(i int, name string, input any) (run, any, bool) {
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
	x.addEvent(eventtype.ExecutionStarted, 0, &ExecutionStartedEventDetails{Input: textJSON(in), RoleArn: m.childRec.info.RoleArn})
	m.mu.Lock()
	m.children[i] = x
	m.mu.Unlock()
	return x, nil, false
}

func (m *mapRun) endChild(c run, out any, f *failure, aborted bool, prev int64) {
	x := c.(*execution)
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case aborted:
		x.finish(StatusAborted, nil, &failure{}, prev)
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

func (m *mapRun) close(failed bool) {
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

func (m *mapRun) results() []itemio.Result {
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
