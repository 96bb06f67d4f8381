package interp

import "testing"

// TestDeliverBeforeTheTaskReads: a worker can heartbeat and answer while
// the task still waits for the Lambda call that handed out the token. The
// answer must replace the unread heartbeat, not be refused (it was refused
// with TaskTimedOut, and sfntest's TestTokenFromTheTest failed under load).
func TestDeliverBeforeTheTaskReads(t *testing.T) {
	w := &TaskWait{ch: make(chan TokenResult, 1)}
	for i := range 2 {
		if !w.Deliver(TokenResult{Heartbeat: true}) {
			t.Fatalf("heartbeat %d was refused while the task was still waiting", i+1)
		}
	}
	if !w.Deliver(TokenResult{Output: "first"}) {
		t.Fatal("an answer after an unread heartbeat was refused")
	}
	if w.Deliver(TokenResult{Output: "second"}) {
		t.Fatal("a second answer was accepted")
	}
	if w.Deliver(TokenResult{Heartbeat: true}) {
		t.Fatal("a heartbeat after the answer was taken as delivered")
	}
	got := <-w.ch
	if got.Output != "first" || got.Heartbeat {
		t.Fatalf("the task read %+v, want the first answer", got)
	}
	select {
	case extra := <-w.ch:
		t.Fatalf("the task got a second delivery %+v", extra)
	default:
	}
}

// TestExpireKeepsAnAcceptedAnswer: when the task's timer fires, an answer
// already delivered (its sender was told it was accepted) stands, an
// unread heartbeat stands against the heartbeat timer only, and once the
// wait expired every delivery is refused. (runner test's NoDecision mock
// case timed out under the race detector: its answer and the timer were
// both ready and the task's select took the timer.)
func TestExpireKeepsAnAcceptedAnswer(t *testing.T) {
	w := &TaskWait{ch: make(chan TokenResult, 1)}
	if !w.Deliver(TokenResult{Output: "yes"}) {
		t.Fatal("answer refused")
	}
	if tr, ok := w.expire(false); !ok || tr.Output != "yes" {
		t.Fatalf("expire with an answer delivered = %+v, %v; want the answer", tr, ok)
	}

	w = &TaskWait{ch: make(chan TokenResult, 1)}
	if !w.Deliver(TokenResult{Heartbeat: true}) {
		t.Fatal("heartbeat refused")
	}
	if tr, ok := w.expire(true); !ok || !tr.Heartbeat {
		t.Fatalf("heartbeat timer with a heartbeat delivered = %+v, %v; want the heartbeat", tr, ok)
	}
	if !w.Deliver(TokenResult{Heartbeat: true}) {
		t.Fatal("second heartbeat refused")
	}
	if _, ok := w.expire(false); ok {
		t.Fatal("the task's timeout gave way to a heartbeat")
	}
	if w.Deliver(TokenResult{Output: "late"}) || !w.TimedOut() {
		t.Fatalf("after the timeout: an answer was accepted (timed out: %v)", w.TimedOut())
	}

	w = &TaskWait{ch: make(chan TokenResult, 1)}
	if _, ok := w.expire(false); ok {
		t.Fatal("expire with nothing delivered did not time out")
	}
	if w.Deliver(TokenResult{Heartbeat: true}) || w.Deliver(TokenResult{Output: "late"}) {
		t.Fatal("a delivery after the timeout was accepted")
	}
}
