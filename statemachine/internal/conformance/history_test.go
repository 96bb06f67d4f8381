package conformance

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// TestParallelHistory checks the comparison of histories whose Parallel
// branch events the recording sorted and re-numbered [0].
func TestParallelHistory(t *testing.T) {
	recorded := `[
	 {"id": 1, "previousEventId": 0, "timestamp": "timestamp", "type": "ExecutionStarted"},
	 {"id": 2, "previousEventId": 1, "timestamp": "timestamp", "type": "ParallelStateStarted"},
	 {"id": [0], "previousEventId": 0, "timestamp": "timestamp", "type": "PassStateEntered", "stateEnteredEventDetails": {"name": "A"}},
	 {"id": [0], "previousEventId": 0, "timestamp": "timestamp", "type": "PassStateEntered", "stateEnteredEventDetails": {"name": "B"}},
	 {"id": 6, "previousEventId": 5, "timestamp": "timestamp", "type": "ExecutionSucceeded"}
	]`
	c := &Case{Name: "p", Category: "parallel", Notes: []string{"history was normalised by SfnNoneRecursiveParallelTransformer: ..."}}
	c.Expected.History = json.RawMessage(recorded)
	ev := func(id, prev int, typ, name string) json.RawMessage {
		d := ""
		if name != "" {
			d = `,"stateEnteredEventDetails":{"name":"` + name + `"}`
		}
		return json.RawMessage(`{"timestamp":1.5,"id":` + strconv.Itoa(id) + `,"previousEventId":` + strconv.Itoa(prev) + `,"type":"` + typ + `"` + d + `}`)
	}
	tests := []struct {
		name   string
		events []json.RawMessage
		reason string // "" = match
	}{
		{"branches in the other order, dropped end event present",
			[]json.RawMessage{ev(1, 0, "ExecutionStarted", ""), ev(2, 1, "ParallelStateStarted", ""), ev(3, 2, "PassStateEntered", "B"),
				ev(4, 2, "PassStateEntered", "A"), ev(5, 4, "ParallelStateSucceeded", ""), ev(6, 5, "ExecutionSucceeded", "")}, ""},
		{"a branch event differs",
			[]json.RawMessage{ev(1, 0, "ExecutionStarted", ""), ev(2, 1, "ParallelStateStarted", ""), ev(3, 2, "PassStateEntered", "B"),
				ev(4, 2, "PassStateEntered", "C"), ev(5, 4, "ParallelStateSucceeded", ""), ev(6, 5, "ExecutionSucceeded", "")},
			`nearest: .stateEnteredEventDetails.name: want "A" got "B"`},
		{"kept event's previousEventId differs",
			[]json.RawMessage{ev(1, 0, "ExecutionStarted", ""), ev(2, 1, "ParallelStateStarted", ""), ev(3, 2, "PassStateEntered", "B"),
				ev(4, 2, "PassStateEntered", "A"), ev(5, 4, "ParallelStateSucceeded", ""), ev(6, 4, "ExecutionSucceeded", "")},
			"history event 6 ExecutionSucceeded: previousEventId want 5 got 4"},
	}
	for _, tt := range tests {
		f := newComparer(c, nil).history(tt.events)
		got := ""
		if f != nil {
			got = f.reason
		}
		if (tt.reason == "") != (got == "") || !strings.Contains(got, tt.reason) {
			t.Errorf("%s: reason %q, want one containing %q", tt.name, got, tt.reason)
		}
	}
}

// TestMapStateExitedLink checks that a recording from before
// mapRunExitChange accepts today's link of a distributed Map's
// MapStateExited (to MapRunStarted) besides the recorded one, and that a
// newer recording accepts only its own.
func TestMapStateExitedLink(t *testing.T) {
	recorded := func(exitPrev int) string {
		return `[
	 {"id": 1, "previousEventId": 0, "type": "MapRunStarted"},
	 {"id": 2, "previousEventId": 1, "type": "MapRunSucceeded"},
	 {"id": 3, "previousEventId": 2, "type": "MapStateSucceeded"},
	 {"id": 4, "previousEventId": ` + strconv.Itoa(exitPrev) + `, "type": "MapStateExited"}
	]`
	}
	engine := func(exitPrev int) []json.RawMessage {
		return []json.RawMessage{
			json.RawMessage(`{"id":1,"previousEventId":0,"type":"MapRunStarted"}`),
			json.RawMessage(`{"id":2,"previousEventId":1,"type":"MapRunSucceeded"}`),
			json.RawMessage(`{"id":3,"previousEventId":2,"type":"MapStateSucceeded"}`),
			json.RawMessage(`{"id":4,"previousEventId":` + strconv.Itoa(exitPrev) + `,"type":"MapStateExited"}`),
		}
	}
	tests := []struct {
		date               string
		recordedPrev, prev int
		ok                 bool
	}{
		{"19-06-2024, 12:31:11", 2, 1, true},  // old recording, today's link
		{"19-06-2024, 12:31:11", 2, 2, true},  // old recording, its own link
		{"19-06-2024, 12:31:11", 2, 3, false}, // neither
		{"28-10-2025, 09:45:56", 1, 1, true},
		{"28-10-2025, 09:45:56", 1, 2, false}, // the old link is not accepted for new recordings
	}
	for _, tt := range tests {
		c := &Case{Name: "m", Category: "map"}
		c.Source.RecordedDate = tt.date
		c.Expected.History = json.RawMessage(recorded(tt.recordedPrev))
		f := newComparer(c, nil).history(engine(tt.prev))
		if (f == nil) != tt.ok {
			t.Errorf("recorded %s linking to %d, engine linking to %d: failure %v, want ok=%v", tt.date, tt.recordedPrev, tt.prev, f, tt.ok)
		}
	}
}
