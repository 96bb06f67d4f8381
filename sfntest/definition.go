package sfntest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// definition is the shape of a state machine that the harness needs: every
// state (also inside Parallel branches and Map item processors) with the
// parts coverage counts. State names are unique in a whole state machine,
// as Step Functions requires, so a name identifies a state.
type definition struct {
	root   *machine
	states map[string]*stateDef // by name
	order  []string             // document order (depth first)
}

type machine struct {
	startAt string
	names   []string
}

type stateDef struct {
	Name     string
	Type     string
	Resource string
	Next     string
	End      bool
	Default  string
	Choices  []string // Next of each rule
	Retry    [][]string
	NoRetry  []bool // a retrier with MaxAttempts 0: it never retries, so coverage does not count it
	Catch    []catcher
	Branches []*machine // Parallel branches, or the Map's item processor
	Parent   string     // enclosing Parallel or Map state, "" at top level
	Branch   int        // branch index within Parent
	Distrib  bool       // a Distributed Map
	Raw      map[string]any
}

type catcher struct {
	Errors []string
	Next   string
}

func parseDefinition(b []byte) (*definition, error) {
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	d := &definition{states: map[string]*stateDef{}}
	m, err := d.machine(raw, "", 0, "")
	if err != nil {
		return nil, err
	}
	d.root = m
	return d, nil
}

func (d *definition) machine(raw map[string]any, parent string, branch int, ptr string) (*machine, error) {
	m := &machine{}
	m.startAt, _ = raw["StartAt"].(string)
	sts, _ := raw["States"].(map[string]any)
	if sts == nil {
		return nil, fmt.Errorf("%s/States: missing", ptr)
	}
	names := make([]string, 0, len(sts))
	for n := range sts {
		names = append(names, n)
	}
	// Document order is lost by map decoding; sort for stable output, with
	// StartAt first.
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == m.startAt) != (names[j] == m.startAt) {
			return names[i] == m.startAt
		}
		return names[i] < names[j]
	})
	m.names = names
	for _, n := range names {
		sr, _ := sts[n].(map[string]any)
		s := &stateDef{Name: n, Parent: parent, Branch: branch, Raw: sr}
		if _, dup := d.states[n]; dup {
			return nil, fmt.Errorf("%s/States/%s: state name used twice", ptr, esc(n))
		}
		d.states[n] = s
		d.order = append(d.order, n)
		s.Type, _ = sr["Type"].(string)
		s.Resource, _ = sr["Resource"].(string)
		s.Next, _ = sr["Next"].(string)
		s.End, _ = sr["End"].(bool)
		s.Default, _ = sr["Default"].(string)
		for _, c := range list(sr["Choices"]) {
			cm, _ := c.(map[string]any)
			next, _ := cm["Next"].(string)
			s.Choices = append(s.Choices, next)
		}
		for _, r := range list(sr["Retry"]) {
			rm, _ := r.(map[string]any)
			s.Retry = append(s.Retry, strs(rm["ErrorEquals"]))
			n, set := rm["MaxAttempts"].(float64)
			s.NoRetry = append(s.NoRetry, set && n == 0)
		}
		for _, c := range list(sr["Catch"]) {
			cm, _ := c.(map[string]any)
			next, _ := cm["Next"].(string)
			s.Catch = append(s.Catch, catcher{Errors: strs(cm["ErrorEquals"]), Next: next})
		}
		sptr := ptr + "/States/" + esc(n)
		for i, b := range list(sr["Branches"]) {
			bm, _ := b.(map[string]any)
			sub, err := d.machine(bm, n, i, sptr+"/Branches/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			s.Branches = append(s.Branches, sub)
		}
		proc, _ := sr["ItemProcessor"].(map[string]any)
		if proc == nil {
			proc, _ = sr["Iterator"].(map[string]any)
		}
		if proc != nil {
			cfg, _ := proc["ProcessorConfig"].(map[string]any)
			mode, _ := cfg["Mode"].(string)
			s.Distrib = mode == "DISTRIBUTED"
			sub, err := d.machine(proc, n, 0, sptr+"/ItemProcessor")
			if err != nil {
				return nil, err
			}
			s.Branches = append(s.Branches, sub)
		}
	}
	return m, nil
}

// names returns the state names, sorted, for messages.
func (d *definition) names() string {
	n := append([]string(nil), d.order...)
	sort.Strings(n)
	return strings.Join(n, ", ")
}

func list(v any) []any { l, _ := v.([]any); return l }

func strs(v any) []string {
	var out []string
	for _, x := range list(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// matches reports whether a Retry or Catch ErrorEquals list takes the
// error name, with the rules of Step Functions: States.ALL takes every
// error but States.Runtime and States.DataLimitExceeded (terminal), and
// States.TaskFailed every error but States.Timeout.
func matches(errorEquals []string, name string) bool {
	for _, e := range errorEquals {
		switch {
		case e == name:
			return true
		case e == "States.ALL":
			return name != "States.Runtime" && name != "States.DataLimitExceeded"
		case e == "States.TaskFailed":
			if name != "States.Timeout" && name != "States.Runtime" && name != "States.DataLimitExceeded" {
				return true
			}
		}
	}
	return false
}
