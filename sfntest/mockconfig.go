package sfntest

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// This file reads AWS Step Functions Local's MockConfigFile format
// unchanged; mockrun.go runs its test cases.

// MockedResponse is one entry of a mocked response: either Return (the
// service's response, e.g. a Lambda Invoke result) or Throw.
type MockedResponse struct {
	Return json.RawMessage `json:"Return,omitempty"`
	Throw  *MockThrow      `json:"Throw,omitempty"`
}

// MockThrow is the error a mocked task fails with.
type MockThrow struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

type mockRange struct {
	from, to int
	resp     MockedResponse
}

// MockConfig is a parsed MockConfigFile.
type MockConfig struct {
	file      string
	machines  map[string]map[string]map[string]string // machine → test case → state → response name
	responses map[string][]mockRange
}

// LoadMockConfig reads and checks a MockConfigFile.
func LoadMockConfig(file string) (*MockConfig, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return ParseMockConfig(file, b)
}

// ParseMockConfig checks the bytes of a MockConfigFile; name is used in errors.
func ParseMockConfig(name string, b []byte) (*MockConfig, error) {
	var raw struct {
		StateMachines map[string]struct {
			TestCases map[string]map[string]string `json:"TestCases"`
		} `json:"StateMachines"`
		MockedResponses map[string]map[string]MockedResponse `json:"MockedResponses"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: not a MockConfigFile: %v", name, err)
	}
	c := &MockConfig{file: name, machines: map[string]map[string]map[string]string{}, responses: map[string][]mockRange{}}
	for rn, entries := range raw.MockedResponses {
		var rs []mockRange
		for key, r := range entries {
			ptr := "/MockedResponses/" + esc(rn) + "/" + esc(key)
			from, to, err := parseRange(key)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %v", name, ptr, err)
			}
			if (r.Return == nil) == (r.Throw == nil) {
				return nil, fmt.Errorf("%s: %s: needs exactly one of Return or Throw", name, ptr)
			}
			rs = append(rs, mockRange{from, to, r})
		}
		sort.Slice(rs, func(i, j int) bool { return rs[i].from < rs[j].from })
		for i := 1; i < len(rs); i++ {
			if rs[i].from <= rs[i-1].to {
				return nil, fmt.Errorf("%s: /MockedResponses/%s: invocation ranges overlap at %d", name, esc(rn), rs[i].from)
			}
		}
		c.responses[rn] = rs
	}
	for mn, m := range raw.StateMachines {
		c.machines[mn] = map[string]map[string]string{}
		for tn, states := range m.TestCases {
			for st, rn := range states {
				if _, ok := c.responses[rn]; !ok {
					return nil, fmt.Errorf("%s: /StateMachines/%s/TestCases/%s/%s: unknown mocked response %q; define it under /MockedResponses", name, esc(mn), esc(tn), esc(st), rn)
				}
			}
			c.machines[mn][tn] = states
		}
	}
	return c, nil
}

// TestCase returns the state → mocked response name map of one test case.
func (c *MockConfig) TestCase(machine, testCase string) (map[string]string, error) {
	m, ok := c.machines[machine]
	if !ok {
		return nil, fmt.Errorf("%s: /StateMachines/%s: no such state machine", c.file, esc(machine))
	}
	tc, ok := m[testCase]
	if !ok {
		return nil, fmt.Errorf("%s: /StateMachines/%s/TestCases/%s: unknown test case", c.file, esc(machine), esc(testCase))
	}
	return tc, nil
}

// Response returns the response for the n-th (0-based) invocation of a
// mocked response; ok is false past the last range.
func (c *MockConfig) Response(name string, n int) (MockedResponse, bool) {
	for _, r := range c.responses[name] {
		if n >= r.from && n <= r.to {
			return r.resp, true
		}
	}
	return MockedResponse{}, false
}

func parseRange(s string) (int, int, error) {
	a, b, isRange := strings.Cut(s, "-")
	from, err := strconv.Atoi(a)
	if err != nil || from < 0 {
		return 0, 0, fmt.Errorf("bad invocation range %q: want \"N\" or \"N-M\" with 0 <= N <= M", s)
	}
	to := from
	if isRange {
		to, err = strconv.Atoi(b)
		if err != nil || to < from {
			return 0, 0, fmt.Errorf("bad invocation range %q: want \"N\" or \"N-M\" with 0 <= N <= M", s)
		}
	}
	return from, to, nil
}

func esc(s string) string { return strings.NewReplacer("~", "~0", "/", "~1").Replace(s) }
