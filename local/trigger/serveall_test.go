package trigger_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/local/trigger"
)

func prefixPattern(prefix string) []byte {
	return []byte(`{"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"object": {"key": [{"prefix": "` + prefix + `"}]}}}`)
}

// TestServeAll: each event goes to every trigger; it is acknowledged once
// every trigger has settled it, and not while a start failed, so that the
// durable source delivers it again and the triggers that started their
// execution then find it existing.
func TestServeAll(t *testing.T) {
	var a, b executions
	failB := true
	var mu sync.Mutex
	startB := func(ctx context.Context, name, input string) error {
		mu.Lock()
		fail := failB
		mu.Unlock()
		if fail {
			return errors.New("engine stopping")
		}
		return b.start(ctx, name, input)
	}
	quiet := slog.New(slog.DiscardHandler)
	ta, err := trigger.New(trigger.Options{Pattern: prefixPattern("in/"), Start: a.start, Logger: quiet, Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	tb, err := trigger.New(trigger.Options{Pattern: prefixPattern("in/b/"), Start: startB, Logger: quiet, Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	var acked []string
	ack := func(ev locals3.Event) error {
		acked = append(acked, ev.Detail.Object.Key)
		return nil
	}
	serve := func(keys ...string) {
		events := make(chan locals3.Event, len(keys))
		for _, k := range keys {
			var ev locals3.Event
			// The sequencer identifies the write: a redelivery has the same.
			if err := json.Unmarshal(event(k, "00000000000000000"+k[len(k)-1:]), &ev); err != nil {
				t.Fatal(err)
			}
			events <- ev
		}
		close(events)
		trigger.ServeAll(context.Background(), events, ack, ta, tb)
	}

	// in/a/x matches a only; in/b/y matches both, and b fails.
	serve("in/a/x", "in/b/y", "other/z")
	if len(a.inputs) != 2 || len(b.inputs) != 0 {
		t.Errorf("started a=%d b=%d, want 2 and 0", len(a.inputs), len(b.inputs))
	}
	if got := fmtList(acked); got != "in/a/x other/z" {
		t.Errorf("acknowledged %s, want in/a/x and other/z (in/b/y is not settled)", got)
	}

	// Delivered again, once b works: a finds its execution, b starts.
	mu.Lock()
	failB = false
	mu.Unlock()
	acked = nil
	serve("in/b/y")
	if len(a.inputs) != 2 || len(b.inputs) != 1 || a.calls != 3 {
		t.Errorf("after redelivery a=%d (calls %d) b=%d, want 2 (3) and 1", len(a.inputs), a.calls, len(b.inputs))
	}
	if got := fmtList(acked); got != "in/b/y" {
		t.Errorf("acknowledged %s, want in/b/y", got)
	}
}

func fmtList(l []string) string { return strings.Join(l, " ") }
