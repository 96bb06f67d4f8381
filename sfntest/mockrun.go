package sfntest

import (
	"fmt"
	"sort"
)

// TestCase returns a copy of w that runs the named test case of the mock
// config: each state the case lists answers from its mocked response (the
// n-th invocation of the state in the execution, Map iterations and
// retries included, takes the entry whose range holds n), and every other
// Task calls its handler — Step Functions Local's "hybrid" path. machine
// is the key under /StateMachines ("" is the workflow's name, or
// stepwise-<name> as the local stack names it). Errors name
// the mock config file and the JSON pointer of the problem.
func (w *Workflow) TestCase(c *MockConfig, machine, testCase string) (*Workflow, error) {
	if machine == "" {
		// The workflow's name, or the name the local stack and Terraform
		// deploy it under (stepwise-<name>).
		machine = w.name
		if _, ok := c.machines[machine]; !ok {
			if _, ok := c.machines["stepwise-"+w.name]; ok {
				machine = "stepwise-" + w.name
			}
		}
	}
	states, err := c.TestCase(machine, testCase)
	if err != nil {
		return nil, err
	}
	for _, st := range sortedKeys(states) {
		s, ok := w.asl.states[st]
		if !ok {
			return nil, fmt.Errorf("%s: /StateMachines/%s/TestCases/%s/%s: state machine %s has no state %q (its states: %s)", c.file, esc(machine), esc(testCase), esc(st), w.file, st, w.asl.names())
		}
		if s.Type != "Task" {
			return nil, fmt.Errorf("%s: /StateMachines/%s/TestCases/%s/%s: state %q is a %s state; only Task states can be mocked", c.file, esc(machine), esc(testCase), esc(st), st, s.Type)
		}
		if activityArnRe.MatchString(s.Resource) {
			// Step Functions Local fails such an execution with States.Runtime,
			// "Activity state cannot be mocked"; refused here before it runs.
			return nil, fmt.Errorf("%s: /StateMachines/%s/TestCases/%s/%s: state %q is an activity Task, and an activity state cannot be mocked (as in Step Functions Local): remove it from the test case; in a Go test, sfntest.Activity runs the activity's handler", c.file, esc(machine), esc(testCase), esc(st), st)
		}
	}
	cp := *w
	cp.mockFn = func(state string, n int) (Response, bool) {
		name, ok := states[state]
		if !ok {
			return Response{}, false
		}
		r, ok := c.Response(name, n)
		if !ok {
			return Response{problem: fmt.Sprintf("state %q was invoked %d times, but mocked response %q of %s (/MockedResponses/%s) has no entry for invocation %d; add a range that holds %d", state, n+1, name, c.file, esc(name), n, n)}, true
		}
		if r.Throw != nil {
			return Throw(r.Throw.Error, r.Throw.Cause), true
		}
		return Response{ret: r.Return}, true
	}
	return &cp, nil
}

// Machines lists the state machines the config has test cases for.
func (c *MockConfig) Machines() []string { return sortedKeys(c.machines) }

// TestCases lists a state machine's test cases, sorted.
func (c *MockConfig) TestCases(machine string) []string {
	out := sortedKeys(c.machines[machine])
	sort.Strings(out)
	return out
}

// File is the name the config was loaded from.
func (c *MockConfig) File() string { return c.file }
