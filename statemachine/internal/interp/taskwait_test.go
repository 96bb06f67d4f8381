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
