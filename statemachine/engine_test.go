package statemachine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/states"
)

// memStore is an in-memory Store. Building a new Engine on the same
// memStore after Close simulates a crash and restart.
type memStore struct {
	mu      sync.Mutex
	data    map[string][]byte
	commits int
}

func newMemStore() *memStore { return &memStore{data: map[string][]byte{}} }

func (s *memStore) Commit(ctx context.Context, b *Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, kv := range b.Puts {
		s.data[kv.Key] = append([]byte(nil), kv.Value...)
	}
	for _, k := range b.Deletes {
		delete(s.data, k)
	}
	s.commits++
	return nil
}

func (s *memStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[key]
	return v, ok, nil
}

func (s *memStore) Scan(ctx context.Context, prefix string, fn func(string, []byte) error) error {
	s.mu.Lock()
	var keys []string
	for k := range s.data {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	vals := make([][]byte, len(keys))
	for i, k := range keys {
		vals[i] = s.data[k]
	}
	s.mu.Unlock()
	for i, k := range keys {
		if err := fn(k, vals[i]); err != nil {
			return err
		}
	}
	return nil
}

func (s *memStore) Close() error { return nil }

// lambdaFunc is a LambdaInvoker fake.
type lambdaFunc struct {
	InvokeFunc func(ctx context.Context, function string, payload []byte) (LambdaResult, error)
}

func (l lambdaFunc) Invoke(ctx context.Context, function string, payload []byte) (LambdaResult, error) {
	return l.InvokeFunc(ctx, function, payload)
}

// serviceFunc is a ServiceInvoker fake.
type serviceFunc struct {
	InvokeServiceFunc func(ctx context.Context, req ServiceRequest) (any, error)
}

func (s serviceFunc) InvokeService(ctx context.Context, req ServiceRequest) (any, error) {
	return s.InvokeServiceFunc(ctx, req)
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type harness struct {
	t     *testing.T
	e     *Engine
	clock *VirtualClock
	sm    string
}

func newHarness(t *testing.T, def string, opts Options) *harness {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = NewVirtualClock(t0)
	}
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	h := &harness{t: t, e: e, clock: opts.Clock.(*VirtualClock)}
	if def != "" {
		sm, err := e.CreateStateMachine(context.Background(), CreateStateMachineInput{Name: "m", Definition: def, RoleArn: "arn:aws:iam::123456789012:role/r"})
		if err != nil {
			t.Fatal(err)
		}
		h.sm = sm.Arn
	}
	return h
}

func (h *harness) start(name, input string) *Execution {
	h.t.Helper()
	x, err := h.e.StartExecution(context.Background(), StartExecutionInput{StateMachineArn: h.sm, Name: name, Input: input, InputSet: true})
	if err != nil {
		h.t.Fatal(err)
	}
	return x
}

func (h *harness) wait(arn string) *Execution {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x, err := h.e.WaitExecution(ctx, arn)
	if err != nil {
		h.t.Fatalf("wait %s: %v", arn, err)
	}
	return x
}

func (h *harness) types(arn string) []string {
	h.t.Helper()
	evs, err := h.e.GetExecutionHistory(context.Background(), arn)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

func strOrNil(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

const waitDef = `{"StartAt":"A","States":{
 "A":{"Type":"Pass","Result":{"n":1},"Next":"W"},
 "W":{"Type":"Wait","Seconds":60,"Next":"B"},
 "B":{"Type":"Pass","End":true}}}`

func TestDurableWaitKeepsRemainingTime(t *testing.T) {
	store := newMemStore()
	clock := NewVirtualClock(t0)
	h := newHarness(t, waitDef, Options{Clock: clock, Store: store})
	x := h.start("run1", `{}`)
	if !clock.WaitPending(1, nil) {
		t.Fatal("no timer")
	}
	clock.Advance(30 * time.Second)
	h.e.Close() // crash: the execution stays RUNNING in the store

	clock2 := NewVirtualClock(clock.Now())
	h2 := newHarness(t, "", Options{Clock: clock2, Store: store})
	d, err := h2.e.DescribeExecution(context.Background(), x.ExecutionArn)
	if err != nil || d.Status != StatusRunning {
		t.Fatalf("after restart: %v %v", d, err)
	}
	clock2.WaitPending(1, nil)
	clock2.Advance(29 * time.Second)
	if s := mustDescribe(t, h2.e, x.ExecutionArn).Status; s != StatusRunning {
		t.Fatalf("finished %s before the remaining 30 s elapsed", s)
	}
	clock2.Advance(time.Second)
	got := h2.wait(x.ExecutionArn)
	if got.Status != StatusSucceeded || strOrNil(got.Output) != `{"n":1}` {
		t.Fatalf("got %s %s", got.Status, strOrNil(got.Output))
	}
	want := "ExecutionStarted PassStateEntered PassStateExited WaitStateEntered WaitStateExited PassStateEntered PassStateExited ExecutionSucceeded"
	if g := strings.Join(h2.types(x.ExecutionArn), " "); g != want {
		t.Fatalf("history\n got %s\nwant %s", g, want)
	}
}

func mustDescribe(t *testing.T, e *Engine, arn string) *Execution {
	t.Helper()
	d, err := e.DescribeExecution(context.Background(), arn)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const tokenDef = `{"StartAt":"T","States":{
 "T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","HeartbeatSeconds":100,
      "Parameters":{"Token.$":"$$.Task.Token"},"End":true}}}`

func tokenServices(tokens chan<- string) serviceFunc {
	return serviceFunc{InvokeServiceFunc: func(ctx context.Context, req ServiceRequest) (any, error) {
		tokens <- req.Input.(map[string]any)["Token"].(string)
		return map[string]any{"MessageId": "m-1"}, nil
	}}
}

func TestDurableTaskTokenSurvivesRestart(t *testing.T) {
	store := newMemStore()
	tokens := make(chan string, 4)
	h := newHarness(t, tokenDef, Options{Store: store, Services: tokenServices(tokens)})
	x := h.start("cb", `{}`)
	tok := <-tokens
	if len(tok) < 22 {
		t.Fatalf("token %q too short", tok)
	}
	h.clock.WaitPending(1, nil) // heartbeat timer armed: the task is waiting
	h.e.Close()

	h2 := newHarness(t, "", Options{Clock: NewVirtualClock(h.clock.Now()), Store: store, Services: tokenServices(tokens)})
	h2.clock.WaitPending(1, nil)
	if err := h2.e.SendTaskSuccess(context.Background(), tok, `{"ok":true}`); err != nil {
		t.Fatalf("SendTaskSuccess with the pre-crash token: %v", err)
	}
	got := h2.wait(x.ExecutionArn)
	if got.Status != StatusSucceeded || strOrNil(got.Output) != `{"ok":true}` {
		t.Fatalf("got %s %s", got.Status, strOrNil(got.Output))
	}
	select {
	case tk := <-tokens:
		t.Fatalf("task was invoked again after restart with token %q", tk)
	default:
	}
	if err := h2.e.SendTaskSuccess(context.Background(), tok, `{}`); !errors.Is(err, ErrTaskDoesNotExist) {
		t.Fatalf("token reuse after the task ended: got %v, want TaskDoesNotExist", err)
	}
}

func TestTaskTokenHeartbeatTimeout(t *testing.T) {
	tokens := make(chan string, 1)
	h := newHarness(t, tokenDef, Options{Services: tokenServices(tokens)})
	x := h.start("hb", `{}`)
	tok := <-tokens
	h.clock.WaitPending(1, nil)
	h.clock.Advance(50 * time.Second)
	if err := h.e.SendTaskHeartbeat(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	h.clock.WaitPending(2, nil) // the re-armed heartbeat timer (the first one is abandoned)
	h.clock.Advance(100 * time.Second)
	got := h.wait(x.ExecutionArn)
	if got.Status != StatusFailed || strOrNil(got.Error) != states.HeartbeatTimeout {
		t.Fatalf("got %s %s", got.Status, strOrNil(got.Error))
	}
	if err := h.e.SendTaskSuccess(context.Background(), tok, `{}`); !errors.Is(err, ErrTaskTimedOut) {
		t.Fatalf("token of a timed-out task: got %v, want TaskTimedOut", err)
	}
	if err := h.e.SendTaskFailure(context.Background(), "not a token!", "E", "c"); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("bad token: %v", err)
	}
}

func TestStartExecutionIdempotency(t *testing.T) {
	h := newHarness(t, waitDef, Options{})
	a := h.start("same", `{"a":1}`)
	b := h.start("same", `{"a":1}`)
	if a.ExecutionArn != b.ExecutionArn {
		t.Fatalf("same name and input while RUNNING: %s vs %s", a.ExecutionArn, b.ExecutionArn)
	}
	_, err := h.e.StartExecution(context.Background(), StartExecutionInput{StateMachineArn: h.sm, Name: "same", Input: `{"a":2}`, InputSet: true})
	if !errors.Is(err, ErrExecutionAlreadyExists) {
		t.Fatalf("different input: %v", err)
	}
	h.clock.SetAuto(true)
	h.wait(a.ExecutionArn)
	_, err = h.e.StartExecution(context.Background(), StartExecutionInput{StateMachineArn: h.sm, Name: "same", Input: `{"a":1}`, InputSet: true})
	if !errors.Is(err, ErrExecutionAlreadyExists) {
		t.Fatalf("finished execution: %v", err)
	}
}

func TestStopExecution(t *testing.T) {
	h := newHarness(t, waitDef, Options{})
	x := h.start("s", `{}`)
	h.clock.WaitPending(1, nil)
	if _, err := h.e.StopExecution(context.Background(), x.ExecutionArn, "Bye", "stopped by test"); err != nil {
		t.Fatal(err)
	}
	got := h.wait(x.ExecutionArn)
	if got.Status != StatusAborted || strOrNil(got.Error) != "Bye" {
		t.Fatalf("got %s %s", got.Status, strOrNil(got.Error))
	}
	ty := h.types(x.ExecutionArn)
	if ty[len(ty)-1] != "ExecutionAborted" {
		t.Fatalf("last event %s", ty[len(ty)-1])
	}
}

func TestStopExecutionInsideMap(t *testing.T) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"W","States":{
	  "W":{"Type":"Wait","Seconds":100,"End":true}}},"End":true}}}`
	h := newHarness(t, def, Options{})
	x := h.start("s", `[1,2,3]`)
	h.clock.WaitPending(3, nil)
	if _, err := h.e.StopExecution(context.Background(), x.ExecutionArn, "", ""); err != nil {
		t.Fatal(err)
	}
	got := h.wait(x.ExecutionArn)
	h.e.Close() // let the iterations unwind
	ty := h.types(x.ExecutionArn)
	if got.Status != StatusAborted || ty[len(ty)-1] != "ExecutionAborted" {
		t.Fatalf("status %s, history %v", got.Status, ty)
	}
}

func TestRedriveRerunsFailedState(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	lam := lambdaFunc{InvokeFunc: func(ctx context.Context, fn string, p []byte) (LambdaResult, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return LambdaResult{FunctionError: "Unhandled", Payload: []byte(`{"errorType":"Flaky","errorMessage":"x"}`)}, nil
		}
		return LambdaResult{Payload: []byte(`{"done":true}`)}, nil
	}}
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"a":1},"Next":"L"},
	 "L":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}}`
	h := newHarness(t, def, Options{Lambda: lam})
	x := h.start("r", `{}`)
	if got := h.wait(x.ExecutionArn); got.Status != StatusFailed || strOrNil(got.Error) != "Flaky" {
		t.Fatalf("first run: %s %s", got.Status, strOrNil(got.Error))
	}
	if _, err := h.e.RedriveExecution(context.Background(), x.ExecutionArn); err != nil {
		t.Fatal(err)
	}
	got := h.wait(x.ExecutionArn)
	if got.Status != StatusSucceeded || got.RedriveCount != 1 || strOrNil(got.Output) != `{"done":true}` {
		t.Fatalf("after redrive: %s redrives=%d %s", got.Status, got.RedriveCount, strOrNil(got.Output))
	}
	ty := strings.Join(h.types(x.ExecutionArn), " ")
	if !strings.Contains(ty, "ExecutionFailed ExecutionRedriven TaskStateEntered") || strings.Count(ty, "PassStateEntered") != 1 {
		t.Fatalf("history %s", ty)
	}
	if _, err := h.e.RedriveExecution(context.Background(), x.ExecutionArn); !errors.Is(err, ErrExecutionNotRedrivable) {
		t.Fatalf("redrive of a SUCCEEDED execution: %v", err)
	}
}

func TestLimits(t *testing.T) {
	t.Run("input", func(t *testing.T) {
		h := newHarness(t, waitDef, Options{})
		big := `{"s":"` + strings.Repeat("a", maxPayload) + `"}`
		_, err := h.e.StartExecution(context.Background(), StartExecutionInput{StateMachineArn: h.sm, Input: big, InputSet: true})
		if !errors.Is(err, ErrInvalidExecutionInput) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("events", func(t *testing.T) {
		def := `{"StartAt":"Inc","States":{
		 "Inc":{"Type":"Pass","Parameters":{"n.$":"States.MathAdd($.n, 1)"},"Next":"Loop"},
		 "Loop":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericLessThan":100000,"Next":"Inc"}],"Default":"Done"},
		 "Done":{"Type":"Succeed"}}}`
		h := newHarness(t, def, Options{})
		x := h.start("", `{"n":0}`)
		got := h.wait(x.ExecutionArn)
		if got.Status != StatusFailed || strOrNil(got.Error) != states.Runtime {
			t.Fatalf("got %s %s", got.Status, strOrNil(got.Error))
		}
		evs, _ := h.e.GetExecutionHistory(context.Background(), x.ExecutionArn)
		if len(evs) != maxEvents || evs[len(evs)-1].Type != "ExecutionFailed" {
			t.Fatalf("%d events ending with %s, want %d ending with ExecutionFailed", len(evs), evs[len(evs)-1].Type, maxEvents)
		}
	})
	t.Run("global timeout", func(t *testing.T) {
		def := `{"TimeoutSeconds":5,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}}`
		h := newHarness(t, def, Options{})
		h.clock.SetAuto(true)
		x := h.start("", `{}`)
		got := h.wait(x.ExecutionArn)
		if got.Status != StatusTimedOut {
			t.Fatalf("got %s", got.Status)
		}
	})
}

func TestHistoryJSONShape(t *testing.T) {
	h := newHarness(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, Options{})
	x := h.start("j", `{"a":"<&>"}`)
	h.wait(x.ExecutionArn)
	evs, _ := h.e.GetExecutionHistory(context.Background(), x.ExecutionArn)
	b, err := evs[1].MarshalJSON() // json.Marshal would re-escape <, & and >
	if err != nil {
		t.Fatal(err)
	}
	want := `{"timestamp":1767323045,"type":"PassStateEntered","id":2,"previousEventId":0,"stateEnteredEventDetails":{"name":"P","input":"{\"a\":\"<&>\"}","inputDetails":{"truncated":false}}}`
	if string(b) != want {
		t.Fatalf("\n got %s\nwant %s", b, want)
	}
}

// crashStore applies the first limit commits and silently drops the rest,
// as if the process died right after commit number limit.
type crashStore struct {
	*memStore
	mu    sync.Mutex
	limit int
	n     int
}

func (c *crashStore) Commit(ctx context.Context, b *Batch) error {
	c.mu.Lock()
	c.n++
	drop := c.n > c.limit
	c.mu.Unlock()
	if drop {
		return nil
	}
	return c.memStore.Commit(ctx, b)
}

func TestDurableResumeAtEveryCommit(t *testing.T) {
	def := `{"StartAt":"P","States":{
	 "P":{"Type":"Pass","Parameters":{"v.$":"$.v"},"Next":"T"},
	 "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:inc","ResultPath":"$.t","Next":"W"},
	 "W":{"Type":"Wait","Seconds":10,"Next":"C"},
	 "C":{"Type":"Choice","Choices":[{"Variable":"$.t.v","NumericEquals":2,"Next":"S"}],"Default":"F"},
	 "F":{"Type":"Fail","Error":"Wrong"},
	 "S":{"Type":"Succeed"}}}`
	lam := lambdaFunc{InvokeFunc: func(ctx context.Context, fn string, p []byte) (LambdaResult, error) {
		var in struct{ V float64 }
		if err := json.Unmarshal(p, &in); err != nil {
			return LambdaResult{}, err
		}
		return LambdaResult{Payload: []byte(fmt.Sprintf(`{"v":%g}`, in.V+1))}, nil
	}}
	const want = `{"t":{"v":2},"v":1}`
	for limit := 2; ; limit++ { // commit 1 is CreateStateMachine, 2 is StartExecution
		inner := newMemStore()
		cs := &crashStore{memStore: inner, limit: limit}
		clock := NewVirtualClock(t0)
		clock.SetAuto(true)
		h := newHarness(t, def, Options{Clock: clock, Store: cs, Lambda: lam})
		x := h.start("c", `{"v":1}`)
		h.wait(x.ExecutionArn)
		h.e.Close()
		clock.SetAuto(false)
		total := cs.n

		clock2 := NewVirtualClock(t0)
		clock2.SetAuto(true)
		h2 := newHarness(t, "", Options{Clock: clock2, Store: inner, Lambda: lam})
		got := h2.wait(x.ExecutionArn)
		clock2.SetAuto(false)
		if got.Status != StatusSucceeded || strOrNil(got.Output) != want {
			t.Fatalf("crash after commit %d/%d: %s %s %s", limit, total, got.Status, strOrNil(got.Output), strOrNil(got.Cause))
		}
		evs, _ := h2.e.GetExecutionHistory(context.Background(), x.ExecutionArn)
		for i, ev := range evs {
			if ev.ID != int64(i+1) || ev.PreviousEventID >= ev.ID {
				t.Fatalf("crash after commit %d: event %d has id %d prev %d", limit, i, ev.ID, ev.PreviousEventID)
			}
		}
		if evs[len(evs)-1].Type != "ExecutionSucceeded" {
			t.Fatalf("crash after commit %d: last event %s", limit, evs[len(evs)-1].Type)
		}
		if limit >= total {
			break
		}
	}
}

func TestManyConcurrentExecutions(t *testing.T) {
	def := `{"StartAt":"W","States":{
	 "W":{"Type":"Wait","SecondsPath":"$.s","Next":"P"},
	 "P":{"Type":"Pass","Parameters":{"i.$":"$.i","sq.$":"States.MathAdd($.i, $.i)"},"End":true}}}`
	h := newHarness(t, def, Options{Store: newMemStore()})
	const n = 200
	arns := make([]string, n)
	for i := range arns {
		arns[i] = h.start(fmt.Sprintf("x%d", i), fmt.Sprintf(`{"i":%d,"s":%d}`, i, i%7)).ExecutionArn
	}
	h.clock.SetAuto(true)
	defer h.clock.SetAuto(false)
	for i, arn := range arns {
		got := h.wait(arn)
		if want := fmt.Sprintf(`{"i":%d,"sq":%d}`, i, 2*i); got.Status != StatusSucceeded || strOrNil(got.Output) != want {
			t.Fatalf("execution %d: %s %s, want %s", i, got.Status, strOrNil(got.Output), want)
		}
	}
	list, err := h.e.ListExecutions(context.Background(), ListExecutionsInput{StateMachineArn: h.sm})
	if err != nil || len(list) != n || list[0].Name != fmt.Sprintf("x%d", n-1) {
		t.Fatalf("ListExecutions: %d executions, first %v, err %v", len(list), list[0].Name, err)
	}
}

// failStore fails every Commit after the first n.
type failStore struct {
	*memStore
	n int
}

func (f *failStore) Commit(ctx context.Context, b *Batch) error {
	if f.n <= 0 {
		return errors.New("disk full")
	}
	f.n--
	return f.memStore.Commit(ctx, b)
}

func TestStartExecutionFailsWhenNotDurable(t *testing.T) {
	h := newHarness(t, waitDef, Options{Store: &failStore{memStore: newMemStore(), n: 1}}) // CreateStateMachine only
	_, err := h.e.StartExecution(context.Background(), StartExecutionInput{StateMachineArn: h.sm, Name: "x"})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("StartExecution: %v, want the store's error", err)
	}
	arn := strings.Replace(h.sm, ":stateMachine:", ":execution:", 1) + ":x"
	if _, err := h.e.DescribeExecution(context.Background(), arn); !errors.Is(err, ErrExecutionDoesNotExist) {
		t.Fatalf("DescribeExecution after a failed start: %v", err)
	}
}

// TestTokenTimeoutAsInvocationReturns: a .waitForTaskToken task whose
// TimeoutSeconds elapses just as its Lambda invocation returns must still
// time out waiting for the token (the deadline is not lost to the race
// between the invocation's result and the timer).
func TestTokenTimeoutAsInvocationReturns(t *testing.T) {
	var h *harness
	lam := lambdaFunc{InvokeFunc: func(ctx context.Context, fn string, p []byte) (LambdaResult, error) {
		// The deadline passes while the function is still running; it
		// returns right after, so both are ready when the engine looks.
		h.clock.Advance(11 * time.Second)
		return LambdaResult{Payload: []byte(`{}`)}, nil
	}}
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
	 "Parameters":{"FunctionName":"f","Payload":{"token.$":"$$.Task.Token"}},"TimeoutSeconds":10,"End":true}}}`
	h = newHarness(t, def, Options{Lambda: lam})
	for i := range 20 {
		x := h.start(fmt.Sprintf("r%d", i), `{}`)
		if got := h.wait(x.ExecutionArn); got.Status != StatusFailed || strOrNil(got.Error) != states.Timeout {
			t.Fatalf("execution %d: %s %s, want FAILED %s", i, got.Status, strOrNil(got.Error), states.Timeout)
		}
	}
}

// TestGlobalTimeoutWhenTheLastStateEndsLate: an execution whose last state
// ends after TimeoutSeconds has passed times out, also when nothing has yet
// cancelled the run (the deadline and the state's end race).
func TestGlobalTimeoutWhenTheLastStateEndsLate(t *testing.T) {
	var h *harness
	lam := lambdaFunc{InvokeFunc: func(ctx context.Context, fn string, p []byte) (LambdaResult, error) {
		h.clock.Advance(6 * time.Second) // past the 5 s deadline, then return at once
		return LambdaResult{Payload: []byte(`{}`)}, nil
	}}
	def := `{"TimeoutSeconds":5,"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}}`
	h = newHarness(t, def, Options{Lambda: lam})
	for i := range 20 {
		x := h.start(fmt.Sprintf("r%d", i), `{}`)
		if got := h.wait(x.ExecutionArn); got.Status != StatusTimedOut {
			t.Fatalf("execution %d: %s, want TIMED_OUT", i, got.Status)
		}
	}
}

// TestTaskTimeoutWhenTheResultComesLate: a Task result that comes after
// the task's TimeoutSeconds is a States.Timeout, both for a Lambda function
// ARN and for lambda:invoke, also when the result is ready by the time the
// task looks (the timer and the result race).
func TestTaskTimeoutWhenTheResultComesLate(t *testing.T) {
	for _, tc := range []struct{ name, resource, params, event string }{
		{"function ARN", "arn:aws:lambda:us-east-1:123456789012:function:f", "", "LambdaFunctionTimedOut"},
		{"lambda:invoke", "arn:aws:states:::lambda:invoke", `,"Parameters":{"FunctionName":"f"}`, "TaskTimedOut"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h *harness
			lam := lambdaFunc{InvokeFunc: func(ctx context.Context, fn string, p []byte) (LambdaResult, error) {
				h.clock.Advance(11 * time.Second) // past the 10 s timeout, then return at once
				return LambdaResult{Payload: []byte(`{}`)}, nil
			}}
			def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + tc.resource + `"` + tc.params + `,"TimeoutSeconds":10,"End":true}}}`
			h = newHarness(t, def, Options{Lambda: lam})
			for i := range 20 {
				x := h.start(fmt.Sprintf("r%d", i), `{}`)
				got := h.wait(x.ExecutionArn)
				if got.Status != StatusFailed || strOrNil(got.Error) != states.Timeout {
					t.Fatalf("execution %d: %s %s, want FAILED %s", i, got.Status, strOrNil(got.Error), states.Timeout)
				}
				if ty := h.types(x.ExecutionArn); !slices.Contains(ty, tc.event) {
					t.Fatalf("execution %d: history %v has no %s", i, ty, tc.event)
				}
			}
		})
	}
}

// A store whose execution record lost its definition record (xd/) is
// damaged: New must say so and name the key instead of loading the
// execution with an empty definition.
func TestLoadMissingDefinitionRecord(t *testing.T) {
	store := newMemStore()
	h := newHarness(t, `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, Options{Store: store})
	x := h.start("run1", `{}`)
	h.wait(x.ExecutionArn)
	h.e.Close()
	key := "xd/" + x.ExecutionArn
	if _, ok := store.data[key]; !ok {
		t.Fatalf("no %s in the store", key)
	}
	delete(store.data, key)
	_, err := New(Options{Clock: NewVirtualClock(t0), Store: store})
	if err == nil || !strings.Contains(err.Error(), key+" is missing") {
		t.Fatalf("New on a store without %s: err = %v, want one naming the missing record", key, err)
	}
}

// handoffLambda is a LambdaInvoker that holds the virtual clock itself,
// as test harnesses do, and implements ClockHandoff.
type handoffLambda struct{ lambdaFunc }

func (handoffLambda) HoldsClockDuringCalls() {}

// TestClockHandoffAtCallStart: an invoker that takes its own hold on the
// clock some time after it was called (30 ms of real time here, six times
// the auto-advance settling time, as a descheduled goroutine may) must not
// see the task's timeout fire first when it is a ClockHandoff: the engine
// keeps its hold through the call. For an invoker that is not one, the
// clock does move before the call holds it: the gap the handoff closes.
// (sfntest's TestWorkflowReminderThenExpiry failed through that gap about
// once in 300 runs on a loaded 2-CPU machine.)
func TestClockHandoffAtCallStart(t *testing.T) {
	for _, tc := range []struct {
		name, resource, params string
		handoff                bool
	}{
		{"function ARN, handoff", "arn:aws:lambda:us-east-1:123456789012:function:f", "", true},
		{"lambda:invoke, handoff", "arn:aws:states:::lambda:invoke", `,"Parameters":{"FunctionName":"f"}`, true},
		{"function ARN, no handoff", "arn:aws:lambda:us-east-1:123456789012:function:f", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h *harness
			moved := make(chan bool, 1)
			invoke := func(ctx context.Context, fn string, p []byte) (LambdaResult, error) {
				if tc.handoff {
					time.Sleep(30 * time.Millisecond) // descheduled before holding the clock
				} else {
					// Wait for the clock to move on its own (the timeout).
					for end := time.Now().Add(5 * time.Second); h.clock.Now().Equal(t0) && time.Now().Before(end); {
						time.Sleep(time.Millisecond)
					}
				}
				moved <- !h.clock.Now().Equal(t0)
				release := h.clock.Hold()
				defer release()
				return LambdaResult{Payload: []byte(`{}`)}, nil
			}
			var lam LambdaInvoker = lambdaFunc{InvokeFunc: invoke}
			if tc.handoff {
				lam = handoffLambda{lambdaFunc{InvokeFunc: invoke}}
			}
			def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + tc.resource + `"` + tc.params + `,"TimeoutSeconds":10,"End":true}}}`
			h = newHarness(t, def, Options{Lambda: lam})
			h.clock.SetAuto(true)
			x := h.start("", `{}`)
			got := h.wait(x.ExecutionArn)
			if m := <-moved; m == tc.handoff {
				t.Fatalf("the clock moved before the call held it: %v, want %v", m, !tc.handoff)
			}
			// Without the handoff the outcome depends on the race (a
			// result at the deadline is on time); with it, none.
			if tc.handoff && got.Status != StatusSucceeded {
				t.Fatalf("%s %s, want SUCCEEDED", got.Status, strOrNil(got.Error))
			}
		})
	}
}
