package graph

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Node IDs of the start and end markers. They are printable (they end up
// in HTML attributes); a state with one of these names is drawn as the
// marker's twin, which is harmless.
const (
	StartID = "stepwise:start"
	EndID   = "stepwise:end"
)

type aslMachine struct {
	StartAt string               `json:"StartAt"`
	States  map[string]*aslState `json:"States"`
}

type aslState struct {
	Type    string           `json:"Type"`
	Next    string           `json:"Next"`
	End     bool             `json:"End"`
	Default string           `json:"Default"`
	Choices []map[string]any `json:"Choices"`
	Catch   []struct {
		ErrorEquals []string `json:"ErrorEquals"`
		Next        string   `json:"Next"`
	} `json:"Catch"`
	Branches      []*aslMachine `json:"Branches"`
	ItemProcessor *aslMachine   `json:"ItemProcessor"`
	Iterator      *aslMachine   `json:"Iterator"`
}

// FromASL builds the graph of an ASL definition: one node per state, with
// the state's name as its ID (state names are unique in a whole state
// machine), Start and End markers, Choice edges labelled with their
// condition, Default and Catch edges, and the states of Parallel branches
// and Map processors in the group of their Parallel or Map state.
func FromASL(definition []byte) (*Graph, error) {
	var m aslMachine
	dec := json.NewDecoder(strings.NewReader(string(definition)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("graph: definition is not an ASL document: %w", err)
	}
	if m.StartAt == "" || len(m.States) == 0 {
		return nil, fmt.Errorf("graph: definition has no StartAt or no States")
	}
	g := &Graph{Nodes: []Node{{ID: StartID, Label: "Start"}}}
	g.Edges = append(g.Edges, Edge{From: StartID, To: m.StartAt, Kind: EdgeNext})
	g.addMachine(&m, "", EndID)
	g.Nodes = append(g.Nodes, Node{ID: EndID, Label: "End"})
	return g, nil
}

// addMachine adds m's states in group; a state that ends its machine
// leads to exit.
func (g *Graph) addMachine(m *aslMachine, group, exit string) {
	names := make([]string, 0, len(m.States))
	for name := range m.States {
		names = append(names, name)
	}
	// StartAt first, then by name: a stable, readable order within a row.
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == m.StartAt) != (names[j] == m.StartAt) {
			return names[i] == m.StartAt
		}
		return names[i] < names[j]
	})
	for _, name := range names {
		s := m.States[name]
		if s == nil {
			continue
		}
		g.Nodes = append(g.Nodes, Node{ID: name, Label: name, Group: group})
		var nested []*aslMachine
		nested = append(nested, s.Branches...)
		if s.ItemProcessor != nil {
			nested = append(nested, s.ItemProcessor)
		} else if s.Iterator != nil {
			nested = append(nested, s.Iterator)
		}
		after := s.Next
		if after == "" {
			after = exit
		}
		for _, sub := range nested {
			if sub == nil || sub.StartAt == "" {
				continue
			}
			g.Edges = append(g.Edges, Edge{From: name, To: sub.StartAt, Kind: EdgeBranch})
			g.addMachine(sub, name, "stepwise:exit:"+name) // ends lead back out of the branch
		}
		switch {
		case s.Type == "Choice":
			for _, rule := range s.Choices {
				next, _ := rule["Next"].(string)
				g.Edges = append(g.Edges, Edge{From: name, To: next, Kind: EdgeChoice, Label: Condition(rule)})
			}
			if s.Default != "" {
				g.Edges = append(g.Edges, Edge{From: name, To: s.Default, Kind: EdgeDefault, Label: "Default"})
			}
		case s.Next != "":
			g.Edges = append(g.Edges, Edge{From: name, To: s.Next, Kind: EdgeNext})
		case s.Type != "Fail" && (s.End || s.Type == "Succeed"):
			g.Edges = append(g.Edges, Edge{From: name, To: exit, Kind: EdgeNext})
		}
		for _, c := range s.Catch {
			g.Edges = append(g.Edges, Edge{From: name, To: c.Next, Kind: EdgeCatch, Label: "catch " + strings.Join(c.ErrorEquals, ", ")})
		}
		if len(nested) > 0 {
			// A branch's last states lead on to what follows the
			// Map or Parallel, so the layout puts that below the frame.
			g.rewireExits("stepwise:exit:"+name, after)
		}
	}
}

// rewireExits turns the edges to a branch's exit marker into branch edges
// to the state after the Map or Parallel.
func (g *Graph) rewireExits(marker, to string) {
	for i, e := range g.Edges {
		if e.To == marker {
			g.Edges[i].To, g.Edges[i].Kind = to, EdgeBranch
		}
	}
}

var comparisons = map[string]string{
	"Equals": "==", "LessThan": "<", "GreaterThan": ">", "LessThanEquals": "<=", "GreaterThanEquals": ">=",
}

// Condition writes a Choice rule compactly: "$.total > 100",
// "$.kind == \"csv\"", "$.x is present", "!(…)", "a && (b || c)"; a JSONata
// Condition as its expression.
func Condition(rule map[string]any) string {
	if c, ok := rule["Condition"].(string); ok {
		c = strings.TrimSpace(c)
		c = strings.TrimSuffix(strings.TrimPrefix(c, "{%"), "%}")
		return strings.Join(strings.Fields(c), " ")
	}
	for _, op := range []string{"And", "Or"} {
		if list, ok := rule[op].([]any); ok {
			parts := make([]string, 0, len(list))
			for _, r := range list {
				sub, _ := r.(map[string]any)
				s := Condition(sub)
				if _, and := sub["And"]; and {
					s = "(" + s + ")"
				} else if _, or := sub["Or"]; or {
					s = "(" + s + ")"
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, map[string]string{"And": " && ", "Or": " || "}[op])
		}
	}
	if not, ok := rule["Not"].(map[string]any); ok {
		return "!(" + Condition(not) + ")"
	}
	v, _ := rule["Variable"].(string)
	keys := make([]string, 0, len(rule))
	for k := range rule {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, op := range keys {
		operand := rule[op]
		if strings.HasPrefix(op, "Is") {
			what := strings.ToLower(strings.TrimPrefix(op, "Is"))
			if b, _ := operand.(bool); b {
				return v + " is " + what
			}
			return v + " is not " + what
		}
		if op == "StringMatches" {
			return v + " matches " + literal(operand)
		}
		base, isPath := strings.CutSuffix(op, "Path")
		for _, typ := range []string{"String", "Numeric", "Boolean", "Timestamp"} {
			sym, ok := comparisons[strings.TrimPrefix(base, typ)]
			if !ok || !strings.HasPrefix(base, typ) {
				continue
			}
			if isPath {
				s, _ := operand.(string)
				return v + " " + sym + " " + s
			}
			return v + " " + sym + " " + literal(operand)
		}
	}
	return v
}

func literal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
