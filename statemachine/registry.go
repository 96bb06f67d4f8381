// The control plane's registries as the interpreter sees them: task
// tokens, Map Runs and child executions. The interpreter goes through
// these methods and never takes e.mu or edits e.execs, e.execList,
// e.mapRuns or e.tokens itself.

package statemachine

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

// addMapRun registers a Map Run so that DescribeMapRun and ListMapRuns see it.
func (e *Engine) addMapRun(mr *mapRun) {
	e.mu.Lock()
	e.mapRuns[mr.info.MapRunArn] = mr
	e.mu.Unlock()
}

// lookupExecution returns the execution with arn, or nil.
func (e *Engine) lookupExecution(arn string) *execution {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.execs[arn]
}

// addChildExecution registers x (a Map Run child), replacing an execution
// with the same ARN that a resumed run starts again.
func (e *Engine) addChildExecution(x *execution) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if old, ok := e.execs[x.arn]; ok {
		for j, y := range e.execList {
			if y == old {
				e.execList = append(e.execList[:j:j], e.execList[j+1:]...)
				break
			}
		}
	}
	e.execs[x.arn] = x
	e.execList = append(e.execList, x)
}
