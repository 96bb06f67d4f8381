package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReplayPerfectEngine runs every corpus case against a fake engine
// that answers with the recorded results turned back into raw AWS form
// (placeholders replaced by real names, masks by plausible values). A
// perfect engine must pass, so every failure here is a runner bug, not an
// engine bug.
func TestReplayPerfectEngine(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "..", "shared", "conformance")
	if _, err := os.Stat(filepath.Join(dir, "cases")); err != nil {
		t.Skipf("CONFORMANCE CORPUS ABSENT: %s/cases not found (%v)", dir, err)
	}
	cases, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, c := range cases {
		res := Run(context.Background(), c, replayDriver(c))
		if !res.Passed {
			failed++
			t.Errorf("%s: %s", c.ID(), res.Reason)
		}
	}
	t.Logf("replayed %d cases, %d runner failures", len(cases), failed)
}

const (
	replayP2      = "0badc0de-0000-4000-8000-00000000e2e2"
	replayMapRun  = "0badc0de-0000-4000-8000-0000000map01"
	replayMapPart = "MapLabel"
)

var (
	uuidToken      = regexp.MustCompile(`<uuid:(\d+)>`)
	jsonInputToken = regexp.MustCompile(`<json-input:(\d+)>`)
	requestIDToken = regexp.MustCompile(`(\\")?<request-id>\\"`)
)

// unmask turns recorded snapshot text back into raw AWS text.
func unmask(c *Case, s string) string {
	n := NewNames(c)
	s = n.Forward(s)
	r := strings.NewReplacer(
		"<ExecArnPart_0idx>", StdExecName,
		"<execution-name>", StdExecName,
		"<SyncExecArn_Part1_0idx>", SyncExecName,
		"<SyncExecArn_Part2_0idx>", replayP2,
		"<ExpressExecArn_Part1_0idx>", AsyncExecName,
		"<ExpressExecArn_Part2_0idx>", replayP2,
		"<MapRunArnPart0_0idx>", replayMapPart,
		"<MapRunArnPart1_0idx>", replayMapRun[:24]+"abcdef012345",
		"snf_role_arn", RoleArn,
		"sfn_role_arn", RoleArn,
		"<request_id>", "f00d-1",
	)
	s = r.Replace(s)
	s = requestIDToken.ReplaceAllString(s, `\"feedface-0000-4000-8000-00000000beef\"`)
	s = uuidToken.ReplaceAllStringFunc(s, func(m string) string {
		return fmt.Sprintf("feedface-0000-4000-8000-%012s", uuidToken.FindStringSubmatch(m)[1])
	})
	s = jsonInputToken.ReplaceAllString(s, `{\"in\":$1}`)
	return s
}

// raw converts a recorded (decoded) value into the raw form AWS sent:
// object values under AWS string fields become JSON text again, masked
// timestamps become numbers and "date" an ISO date-time.
func raw(v any, key string, inDetails bool) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			isDetails := strings.HasSuffix(k, "EventDetails") || k == "details"
			out[k] = raw(x, k, isDetails || (inDetails && k == "assignedVariables"))
		}
		if inDetails || key == "assignedVariables" {
			for k, x := range out {
				switch k {
				case "input", "output", "parameters", "cause", "result":
				default:
					if key != "assignedVariables" {
						continue
					}
				}
				if m, ok := x.(map[string]any); ok {
					s, _ := marshal(m)
					out[k] = s
				}
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = raw(x, key, inDetails)
		}
		return out
	case string:
		if key == "timestamp" && t == "timestamp" {
			return json.Number("1717410030.5")
		}
		if t == "date" {
			return "2024-06-03T10:20:30.123Z"
		}
		return t
	}
	return v
}

// decodeUnmasked decodes an unmasked recorded value; a failure panics,
// which Run reports as the case's failure.
func decodeUnmasked(c *Case, data json.RawMessage) any {
	v, err := decode([]byte(unmask(c, string(data))))
	if err != nil {
		panic(fmt.Sprintf("%s: unmasked value is not JSON: %v", c.ID(), err))
	}
	return v
}

func replayDriver(c *Case) func(Env) (Driver, error) {
	return func(env Env) (Driver, error) {
		text := func(data json.RawMessage) *string {
			if len(data) == 0 {
				return nil
			}
			v := raw(decodeUnmasked(c, data), "", false)
			if s, ok := v.(string); ok {
				return &s
			}
			s, _ := marshal(v)
			return &s
		}
		execArn := ""
		return &fakeDriver{
			CreateFunc: func(name, def, typ string) (string, error) {
				if c.Kind == "create_state_machine" {
					want, _ := recordedError(c.Expected.Recorded)
					return "", &APIError{Code: want.Code, Message: strings.ReplaceAll(want.Message, "arn:<partition>:", "arn:aws:")}
				}
				return "arn:aws:states:us-east-1:111111111111:stateMachine:" + name, nil
			},
			AliasFunc: func(sm, name string) (string, error) { return sm + ":" + name, nil },
			ValidateFunc: func(def, typ string) ([]Diagnostic, error) {
				var resp struct {
					Diagnostics []Diagnostic `json:"diagnostics"`
				}
				err := json.Unmarshal(c.Expected.ValidateResponse, &resp)
				return resp.Diagnostics, err
			},
			StartFunc: func(sm, name string, in *string, sync bool) (string, error) {
				execArn = "arn:aws:states:us-east-1:111111111111:execution:swconfSM:" + name
				if strings.HasPrefix(c.ExecutionType, "EXPRESS") {
					execArn = "arn:aws:states:us-east-1:111111111111:express:swconfSM:" + name + ":" + replayP2
				}
				return execArn, nil
			},
			WaitFunc: func(arn string) (*Execution, error) {
				e := &Execution{ExecutionArn: arn, Status: c.Expected.Status, StateMachineArn: "arn:aws:states:us-east-1:111111111111:stateMachine:swconfSM"}
				e.Output = text(c.Expected.Output)
				e.Cause = text(c.Expected.Cause)
				e.Error = c.Expected.Error
				for _, d := range []json.RawMessage{c.Expected.DescribeExecution, c.Expected.StartSync} {
					if len(d) == 0 {
						continue
					}
					m := decodeUnmasked(c, d).(map[string]any)
					e.Name, _ = m["name"].(string)
					e.Input = text(mustJSON(m["input"]))
					e.RedriveStatus, _ = m["redriveStatus"].(string)
					e.RedriveStatusReason, _ = m["redriveStatusReason"].(string)
					e.StateMachineVersionArn, _ = m["stateMachineVersionArn"].(string)
					e.StateMachineAliasArn, _ = m["stateMachineAliasArn"].(string)
				}
				return e, nil
			},
			HistoryFunc: func(arn string) ([]json.RawMessage, error) {
				if len(c.Expected.EndEvent) > 0 {
					ev := decodeUnmasked(c, c.Expected.EndEvent).(map[string]any)
					var id int
					fmt.Sscan(fmt.Sprint(ev["id"]), &id)
					typ := fmt.Sprint(ev["type"])
					var out []json.RawMessage
					for i := 1; i < id; i++ {
						out = append(out, json.RawMessage(fmt.Sprintf(`{"id":%d,"previousEventId":%d,"type":"Filler","timestamp":1}`, i, i-1)))
					}
					last := map[string]any{"id": json.Number(fmt.Sprint(id)), "previousEventId": json.Number(fmt.Sprint(ev["previous_event_id"])), "type": typ,
						"timestamp": json.Number("1"),
						strings.ToLower(typ[:1]) + typ[1:] + "EventDetails": raw(ev["details"], "details", true)}
					out = append(out, mustJSON(last))
					return out, nil
				}
				events := raw(decodeUnmasked(c, c.Expected.History), "", false).([]any)
				// Give the Parallel region's [0] ids real ones, and put back
				// the events the recording's transformer dropped.
				used := map[string]bool{}
				for _, e := range events {
					used[fmt.Sprint(e.(map[string]any)["id"])] = true
				}
				var out []json.RawMessage
				next := 1
				nextFree := func() int {
					for used[fmt.Sprint(next)] {
						next++
					}
					used[fmt.Sprint(next)] = true
					return next
				}
				var ordered []map[string]any
				for _, e := range events {
					m := e.(map[string]any)
					if _, ok := m["id"].([]any); ok {
						m["id"] = json.Number(fmt.Sprint(nextFree()))
					}
					ordered = append(ordered, m)
				}
				maxID := 0
				byID := map[int]map[string]any{}
				for _, m := range ordered {
					var id int
					fmt.Sscan(fmt.Sprint(m["id"]), &id)
					byID[id] = m
					maxID = max(maxID, id)
				}
				for i := 1; i <= maxID; i++ {
					m := byID[i]
					if m == nil {
						m = map[string]any{"id": json.Number(fmt.Sprint(i)), "previousEventId": json.Number("0"), "type": "ParallelStateSucceeded", "timestamp": json.Number("1")}
					}
					out = append(out, mustJSON(m))
				}
				return out, nil
			},
			StopFunc: func(arn, e, cause string) error { return nil },
		}, nil
	}
}

func mustJSON(v any) json.RawMessage {
	s, err := marshal(v)
	if err != nil {
		panic(err)
	}
	return json.RawMessage(s)
}
