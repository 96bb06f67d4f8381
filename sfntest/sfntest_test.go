package sfntest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/sfntest"
)

type order struct {
	Total float64  `json:"total"`
	Items []string `json:"items"`
}

type priced struct {
	Total float64 `json:"total"`
}

// InvalidOrder is an error type: its name is the errorType Catch matches.
type InvalidOrder struct{ Reason string }

func (e *InvalidOrder) Error() string { return e.Reason }

// Throttled is retried by the Price state's first retrier.
type Throttled struct{}

func (Throttled) Error() string { return "slow down" }

func price(_ context.Context, o order) (priced, error) {
	if o.Total < -100 {
		return priced{}, &InvalidOrder{Reason: "negative total"}
	}
	return priced{Total: o.Total}, nil
}

func load(t *testing.T, opts ...sfntest.Option) *sfntest.Workflow {
	t.Helper()
	w, err := sfntest.Load("testdata/order.asl.json", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestHandlerPathAndOutput runs a real Go handler (Default branch of the
// Choice, the Parallel with an inline Map) and checks output, path and
// per-visit data.
func TestHandlerPathAndOutput(t *testing.T) {
	w := load(t, sfntest.Handler("price", price))
	r := w.Test(t, `{"total":12,"items":["a","b"]}`)
	r.ExpectSucceeded(t).ExpectOutput(t, `["label",["a","b"]]`).ExpectPath(t, "Price", "Big", "Ship")
	if packs := r.Visits("Pack"); len(packs) != 2 || packs[1].Scope != "Ship#1/Lines[1]" || packs[1].Input != `"b"` {
		t.Fatalf("Pack visits: %+v", packs)
	}
	if l := r.Visits("Label"); len(l) != 1 || l[0].Scope != "Ship#0" || l[0].Output != `"label"` {
		t.Fatalf("Label visits: %+v", l)
	}
	if p := r.Visits("Price"); len(p) != 1 || p[0].Output != `{"items":["a","b"],"price":{"total":12},"total":12}` {
		t.Fatalf("Price visit: %+v", p)
	}
	if r.Invocations["Price"] != 1 || len(r.History) == 0 {
		t.Fatalf("invocations %v, %d events", r.Invocations, len(r.History))
	}
}

// TestErrorTypeCaught checks that a handler's error type name is the error
// Catch matches, as with aws-lambda-go on AWS.
func TestErrorTypeCaught(t *testing.T) {
	r := load(t, sfntest.Handler("price", price)).Test(t, `{"total":-500}`)
	r.ExpectFailed(t, "OrderRejected").ExpectPath(t, "Price", "Rejected")
	if v := r.Visits("Price")[0]; v.Error != "InvalidOrder" || !strings.Contains(v.Cause, "negative total") {
		t.Fatalf("Price visit: %+v", v)
	}
}

// TestMockSequenceRetryVirtualTime mocks Price: nine throttles then a
// result; with BackoffRate 2 the back-off sums to 511 s, and the approval
// is followed by a 7-day Wait — all on the virtual clock.
func TestMockSequenceRetryVirtualTime(t *testing.T) {
	var rs []sfntest.Response
	for range 9 {
		rs = append(rs, sfntest.Throw("Throttled", "slow down"))
	}
	rs = append(rs, sfntest.Return(map[string]any{"StatusCode": 200, "Payload": map[string]any{"total": 5000}}))
	w := load(t, sfntest.Mock("Price", rs...), sfntest.OnToken("Approve", sfntest.Succeed(map[string]string{"by": "ann"})), sfntest.Handler("notify", func(context.Context, map[string]any) error { return nil }))
	r := w.Test(t, `{"items":[]}`)
	r.ExpectSucceeded(t).ExpectPath(t, "Price", "Big", "Approve", "Cool", "Ship")
	want := 511*time.Second + 7*24*time.Hour
	if r.Elapsed != want {
		t.Fatalf("virtual elapsed %v, want %v", r.Elapsed, want)
	}
	if r.Invocations["Price"] != 10 || r.Visits("Price")[0].Attempts != 10 {
		t.Fatalf("invocations %v", r.Invocations)
	}
}

// TestTokenFromTheTest answers the approval token from the test.
func TestTokenFromTheTest(t *testing.T) {
	var notified atomic.Int32
	w := load(t, sfntest.Handler("price", price), sfntest.Handler("notify", func(_ context.Context, in struct{ Token string }) error {
		if in.Token == "" {
			return errors.New("no token")
		}
		notified.Add(1)
		return nil
	}))
	ctx := sfntest.Context(t)
	x, err := w.Start(ctx, `{"total":2000,"items":["x"]}`)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := x.Token(ctx, "Approve")
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tok.Succeed(ctx, `{"ok":true}`); err != nil {
		t.Fatal(err)
	}
	r, err := x.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.ExpectSucceeded(t).ExpectPath(t, "Price", "Big", "Approve", "Cool", "Ship")
	if notified.Load() != 1 {
		t.Fatalf("notify ran %d times", notified.Load())
	}
}

// TestTokenTimesOut lets the approval's HeartbeatSeconds (1 h) fire before
// its TimeoutSeconds (24 h), whether nothing answers (NoAnswer) or the test
// releases the token it took.
func TestTokenTimesOut(t *testing.T) {
	opts := []sfntest.Option{sfntest.Mock("Price", sfntest.Return(map[string]any{"Payload": map[string]any{"total": 2000}})),
		sfntest.Handler("notify", func(context.Context, any) error { return nil })}
	r := load(t, append(opts, sfntest.OnToken("Approve", sfntest.NoAnswer()))...).Test(t, `{}`)
	r.ExpectFailed(t, "States.HeartbeatTimeout").ExpectPath(t, "Price", "Big", "Approve")
	if r.Elapsed != time.Hour {
		t.Fatalf("elapsed %v, want 1h", r.Elapsed)
	}

	ctx := sfntest.Context(t)
	x, err := load(t, opts...).Start(ctx, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := x.Token(ctx, "Approve")
	if err != nil {
		t.Fatal(err)
	}
	tok.Release()
	if r, err = x.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	r.ExpectFailed(t, "States.HeartbeatTimeout")
}

// TestTokenFailure answers the token with SendTaskFailure.
func TestTokenFailure(t *testing.T) {
	w := load(t, sfntest.Mock("Price", sfntest.Return(map[string]any{"Payload": map[string]any{"total": 2000}})),
		sfntest.Handler("notify", func(context.Context, any) error { return nil }))
	ctx := sfntest.Context(t)
	x, err := w.Start(ctx, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := x.Token(ctx, "Approve")
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Fail(ctx, "Vetoed", "the approver said no"); err != nil {
		t.Fatal(err)
	}
	r, err := x.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.ExpectFailed(t, "Vetoed")
	if v := r.Visits("Approve"); len(v) != 1 || v[0].Error != "Vetoed" || v[0].Cause != "the approver said no" {
		t.Fatalf("Approve visit %+v", v)
	}
}

// TestBadInput: a panicking handler, a mock of a missing state and a token
// nothing answers are each a clear failure naming the state.
func TestBadInput(t *testing.T) {
	t.Run("panic", func(t *testing.T) {
		w := load(t, sfntest.Handler("price", func(context.Context, order) (priced, error) { panic("boom") }))
		r, err := w.Run(sfntest.Context(t), `{}`)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != "FAILED" || len(r.Problems) != 1 || !strings.Contains(r.Problems[0], `state "Price": the handler of "price" panicked: boom`) {
			t.Fatalf("status %s problems %q", r.Status, r.Problems)
		}
	})
	t.Run("mock of a missing state", func(t *testing.T) {
		_, err := sfntest.Load("testdata/order.asl.json", sfntest.Mock("Pricing", sfntest.Return(1)))
		if err == nil || !strings.Contains(err.Error(), `sfntest.Mock("Pricing"): the state machine has no state "Pricing"`) || !strings.Contains(err.Error(), "testdata/order.asl.json") {
			t.Fatal(err)
		}
	})
	t.Run("token nobody answers", func(t *testing.T) {
		w := load(t, sfntest.Mock("Price", sfntest.Return(map[string]any{"Payload": map[string]any{"total": 2000}})), sfntest.Handler("notify", func(context.Context, any) error { return nil }))
		r, err := w.Run(sfntest.Context(t), `{}`)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Problems) != 1 || !strings.Contains(r.Problems[0], `state "Approve" waits for a task token and nothing answers it`) {
			t.Fatalf("problems %q", r.Problems)
		}
	})
	t.Run("interactive token never answered", func(t *testing.T) {
		w := load(t, sfntest.Mock("Price", sfntest.Return(map[string]any{"Payload": map[string]any{"total": 2000}})), sfntest.Handler("notify", func(context.Context, any) error { return nil }))
		x, err := w.Start(sfntest.Context(t), `{}`)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x.Token(sfntest.Context(t), "Approve"); err != nil { // the state has asked
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // the test's time is up
		r, err := x.Wait(ctx)
		if !errors.Is(err, context.Canceled) || r.Status != "RUNNING" || !strings.Contains(fmt.Sprint(r.Problems), `state "Approve" still waits for its task token`) {
			t.Fatalf("err %v status %s problems %q", err, r.Status, r.Problems)
		}
	})
	t.Run("token of a state never reached", func(t *testing.T) {
		ctx := sfntest.Context(t)
		x, err := load(t, sfntest.Handler("price", price)).Start(ctx, `{"total":1,"items":[]}`)
		if err != nil {
			t.Fatal(err)
		}
		_, err = x.Token(ctx, "Approve")
		if err == nil || !strings.Contains(err.Error(), `the execution ended (SUCCEEDED) before state "Approve" asked for a task token; path: Price → Big → Ship`) {
			t.Fatal(err)
		}
		x.Wait(ctx)
	})
	t.Run("handler that never returns", func(t *testing.T) {
		started, release := make(chan struct{}), make(chan struct{})
		defer close(release)
		w := load(t, sfntest.Handler("price", func(ctx context.Context, o order) (priced, error) { close(started); <-release; return priced{}, nil }))
		x, err := w.Start(sfntest.Context(t), `{}`)
		if err != nil {
			t.Fatal(err)
		}
		<-started
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r, err := x.Wait(ctx)
		if !errors.Is(err, context.Canceled) || !strings.Contains(fmt.Sprint(r.Problems), `state "Price" was still running its task`) {
			t.Fatalf("err %v problems %q", err, r.Problems)
		}
	})
	t.Run("missing handler", func(t *testing.T) {
		r, err := load(t).Run(sfntest.Context(t), `{}`)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Problems) != 1 || !strings.Contains(r.Problems[0], `state "Price" invokes Lambda function`) || !strings.Contains(r.Problems[0], `sfntest.Handler("price", fn)`) {
			t.Fatalf("problems %q", r.Problems)
		}
	})
}

// BenchmarkSevenDaysAndRetries measures the wall time of an execution
// with nine retries (BackoffRate 2, 511 s of back-off), an approval and a
// 7-day Wait: all on the virtual clock.
func BenchmarkSevenDaysAndRetries(b *testing.B) {
	var rs []sfntest.Response
	for range 9 {
		rs = append(rs, sfntest.Throw("Throttled", "slow down"))
	}
	rs = append(rs, sfntest.Return(map[string]any{"Payload": map[string]any{"total": 5000}}))
	w, err := sfntest.Load("testdata/order.asl.json", sfntest.Mock("Price", rs...), sfntest.OnToken("Approve", sfntest.Succeed(1)),
		sfntest.Handler("notify", func(context.Context, any) error { return nil }))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		r, err := w.Run(context.Background(), `{"items":[1,2,3]}`)
		if err != nil || r.Status != "SUCCEEDED" {
			b.Fatalf("%v %s %s %v", err, r.Status, r.Error, r.Problems)
		}
	}
}
