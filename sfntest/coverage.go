package sfntest

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// Coverage is what the runs of one workflow exercised, summed over runs.
type Coverage struct {
	Workflow string `json:"workflow"`
	File     string `json:"file"`
	Runs     int    `json:"runs"`
	// States counts the visits of each state.
	States map[string]int `json:"states"`
	// Choices counts, per Choice state, how often each rule was taken; the
	// last entry is Default (0 also when the state has no Default).
	Choices map[string][]int `json:"choices"`
	// Retries and Catches count, per state, how often each retrier and
	// catcher fired.
	Retries map[string][]int `json:"retries"`
	Catches map[string][]int `json:"catches"`
	// Branches counts, per Parallel state, the runs of each branch, and
	// per Map state the iterations (one entry).
	Branches map[string][]int `json:"branches"`

	def *definition
}

type coverage = Coverage

func (d *definition) newCoverage(name, file string) *Coverage {
	c := &Coverage{Workflow: name, File: file, def: d, States: map[string]int{}, Choices: map[string][]int{},
		Retries: map[string][]int{}, Catches: map[string][]int{}, Branches: map[string][]int{}}
	for _, n := range d.order {
		s := d.states[n]
		c.States[n] = 0
		if s.Type == "Choice" {
			c.Choices[n] = make([]int, len(s.Choices)+1)
		}
		if len(s.Retry) > 0 {
			c.Retries[n] = make([]int, len(s.Retry))
		}
		if len(s.Catch) > 0 {
			c.Catches[n] = make([]int, len(s.Catch))
		}
		if len(s.Branches) > 0 {
			c.Branches[n] = make([]int, len(s.Branches))
		}
	}
	return c
}

// cover computes the coverage of one run.
func (d *definition) cover(ctx context.Context, e *statemachine.Engine, r *Result) *Coverage {
	c := d.newCoverage(r.Workflow, "")
	c.Runs = 1
	byScope := map[string][]StateRun{}
	var scopes []string
	for _, v := range r.States {
		if _, ok := byScope[v.Scope]; !ok {
			scopes = append(scopes, v.Scope)
		}
		byScope[v.Scope] = append(byScope[v.Scope], v)
	}
	for _, sc := range scopes {
		if sc != "" {
			seg := sc[strings.LastIndex(sc, "/")+1:]
			if i := strings.IndexAny(seg, "#["); i > 0 {
				name := seg[:i]
				if b, ok := c.Branches[name]; ok {
					idx := 0
					if seg[i] == '#' {
						idx, _ = strconv.Atoi(seg[i+1:])
					}
					if idx < len(b) {
						b[idx]++
					}
				}
			}
		}
		vs := byScope[sc]
		for i, v := range vs {
			s := d.states[v.Name]
			if s == nil {
				continue
			}
			c.States[v.Name]++
			for k := 0; k < v.Attempts-1 && k < len(v.failures); k++ {
				for ri, errs := range s.Retry {
					if matches(errs, v.failures[k]) {
						c.Retries[v.Name][ri]++
						break
					}
				}
			}
			if i+1 >= len(vs) {
				continue
			}
			next := vs[i+1].Name
			switch {
			case s.Type == "Choice":
				if k := d.choiceTaken(ctx, e, s, v, next); k >= 0 {
					c.Choices[v.Name][k]++
				}
			case v.failed && len(s.Catch) > 0:
				if k := catchTaken(s, v, next); k >= 0 {
					c.Catches[v.Name][k]++
				}
			}
		}
	}
	return c
}

// catchTaken finds the catcher that sent a failed visit to next: the
// first whose ErrorEquals takes the error, among those going to next.
func catchTaken(s *stateDef, v StateRun, next string) int {
	first := -1
	for k, ct := range s.Catch {
		if ct.Next != next {
			continue
		}
		if v.Error != "" && matches(ct.Errors, v.Error) {
			return k
		}
		if first < 0 {
			first = k
		}
	}
	return first
}

// choiceTaken finds the rule (len(Choices) for Default) a Choice visit
// took. When the next state alone does not tell (two rules, or a rule and
// Default, go to the same state), the state is evaluated again with
// TestState on the same input, each rule pointing to a state of its own.
func (d *definition) choiceTaken(ctx context.Context, e *statemachine.Engine, s *stateDef, v StateRun, next string) int {
	var cands []int
	for k, n := range s.Choices {
		if n == next {
			cands = append(cands, k)
		}
	}
	if s.Default == next {
		cands = append(cands, len(s.Choices))
	}
	if len(cands) <= 1 {
		if len(cands) == 1 {
			return cands[0]
		}
		return -1
	}
	raw := map[string]any{}
	for k, val := range s.Raw {
		raw[k] = val
	}
	var rules []any
	for k, rule := range list(s.Raw["Choices"]) {
		rm, _ := rule.(map[string]any)
		cp := map[string]any{}
		for kk, vv := range rm {
			cp[kk] = vv
		}
		cp["Next"] = "SfntestRule" + strconv.Itoa(k)
		rules = append(rules, cp)
	}
	raw["Choices"] = rules
	if _, ok := raw["Default"]; ok {
		raw["Default"] = "SfntestDefault"
	}
	def, _ := json.Marshal(raw)
	out, err := e.TestState(ctx, statemachine.TestStateInput{Definition: string(def), Input: v.Input, StateName: v.Name})
	if err != nil || out == nil {
		return cands[0]
	}
	if out.NextState == "SfntestDefault" {
		return len(s.Choices)
	}
	if k, err := strconv.Atoi(strings.TrimPrefix(out.NextState, "SfntestRule")); err == nil {
		return k
	}
	return cands[0]
}

var (
	coverMu  sync.Mutex
	coverAll = map[string]*Coverage{}
)

// record adds a run's coverage to the process-wide total of its workflow.
func record(w *Workflow, c *Coverage) {
	coverMu.Lock()
	defer coverMu.Unlock()
	key := w.file
	tot, ok := coverAll[key]
	if !ok {
		tot = w.asl.newCoverage(w.name, w.file)
		coverAll[key] = tot
	}
	tot.add(c)
}

func (c *Coverage) add(o *Coverage) {
	c.Runs += o.Runs
	for k, v := range o.States {
		c.States[k] += v
	}
	for _, m := range []struct{ dst, src map[string][]int }{{c.Choices, o.Choices}, {c.Retries, o.Retries}, {c.Catches, o.Catches}, {c.Branches, o.Branches}} {
		for k, v := range m.src {
			d := m.dst[k]
			for i := range v {
				if i < len(d) {
					d[i] += v[i]
				}
			}
		}
	}
}

// Coverages returns the coverage of every workflow run in this process so
// far, sorted by workflow name.
func Coverages() []*Coverage {
	coverMu.Lock()
	defer coverMu.Unlock()
	out := make([]*Coverage, 0, len(coverAll))
	for _, c := range coverAll {
		cp := c.def.newCoverage(c.Workflow, c.File)
		cp.add(c)
		out = append(out, cp)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Workflow < out[j].Workflow || out[i].Workflow == out[j].Workflow && out[i].File < out[j].File
	})
	return out
}
