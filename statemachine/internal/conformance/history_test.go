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
