package validate

import (
	"fmt"
	"strings"
)

// edge is a transition from one state to another, with the location of the
// field that names the target.
type edge struct {
	to  string
	loc string
}

// edges lists the transitions out of a state in document order.
func (c *checker) edges(st *object, ptr string) []edge {
	var out []edge
	if s, ok := st.m["Next"].(string); ok {
		out = append(out, edge{s, ptr + "/Next"})
	}
	if choices, ok := st.m["Choices"].([]any); ok {
		for i, r := range choices {
			if o, ok := r.(*object); ok {
				if s, ok := o.m["Next"].(string); ok {
					out = append(out, edge{s, c.index(ptr+"/Choices", i) + "/Next"})
				}
			}
		}
	}
	if s, ok := st.m["Default"].(string); ok {
		out = append(out, edge{s, ptr + "/Default"})
	}
	if catches, ok := st.m["Catch"].([]any); ok {
		for i, r := range catches {
			if o, ok := r.(*object); ok {
				if s, ok := o.m["Next"].(string); ok {
					out = append(out, edge{s, c.index(ptr+"/Catch", i) + "/Next"})
				}
			}
		}
	}
	return out
}

// misspeltEdges lists the transitions a report assumes were meant: the
// value of a misspelt "Next" or "Default" ("Nxt": "B"), so that B is not
// also reported unreachable.
func misspeltEdges(st *object) []edge {
	var out []edge
	for _, k := range st.keys {
		if st.has("Next") || knownStateField(k) {
			continue
		}
		if s, ok := st.m[k].(string); ok {
			if f := suggest(k, []string{"Next", "Default"}); f != "" && !st.has(f) {
				out = append(out, edge{to: s})
			}
		}
	}
	return out
}

func knownStateField(k string) bool {
	if commonStateFields[k] {
		return true
	}
	for _, fields := range stateFields {
		if fields[k] {
			return true
		}
	}
	return false
}

func isTerminal(st *object) bool {
	switch st.m["Type"] {
	case "Succeed", "Fail":
		return true
	}
	end, _ := st.m["End"].(bool)
	return end
}

// checkGraph reports transitions to states that do not exist, machines
// without a terminal state, and states no transition reaches — in that
// order, as AWS does (a machine without a terminal state is not searched
// for unreachable states). A report also suggests the state a missing
// target probably meant, and follows that suggestion when looking for
// unreachable states.
func (c *checker) checkGraph(m machine) {
	meant := map[string]string{} // missing target → the state it probably names
	missing := func(loc, name string) {
		hint := ""
		if c.report {
			if s := suggest(name, m.states.keys); s != "" {
				hint = fmt.Sprintf("; did you mean '%s'?", s)
				meant[name] = s
			} else if c.names[name] {
				hint = "; that state is in another States object (a Parallel branch, a Map processor or the machine around them), and a transition cannot leave its own"
			} else {
				hint = fmt.Sprintf("; the states here are %s", listNames(m.states.keys))
			}
		}
		c.add(CodeMissingTransition, loc, "Missing 'Next' target: %s%s", name, hint)
	}
	startAt, isString := m.obj.m["StartAt"].(string)
	if _, ok := m.states.m[startAt]; !ok && (isString || !c.report) {
		missing(m.ptr+"/StartAt", startAt)
	}
	terminal := false
	for _, name := range m.states.keys {
		st, ok := m.states.m[name].(*object)
		if !ok {
			continue
		}
		for _, e := range c.edges(st, c.key(m.ptr+"/States", name)) {
			if _, ok := m.states.m[e.to]; !ok {
				missing(e.loc, e.to)
			}
		}
		if isTerminal(st) {
			terminal = true
		}
	}
	if !terminal {
		loc := ""
		if c.report {
			loc = m.ptr + "/States"
		}
		c.add(CodeMissingEndState, loc, "Workflow has no terminal state")
		if !c.report {
			return
		}
	}
	if c.report && !isString {
		return // no StartAt: every state would be unreachable
	}
	seen := map[string]bool{}
	queue := []string{startAt}
	if s, ok := meant[startAt]; ok {
		queue = append(queue, s)
	}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		st, ok := m.states.m[name].(*object)
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		out := c.edges(st, "")
		if c.report {
			out = append(out, misspeltEdges(st)...)
		}
		for _, e := range out {
			queue = append(queue, e.to)
			if s, ok := meant[e.to]; ok {
				queue = append(queue, s)
			}
		}
	}
	for _, name := range m.states.keys {
		if !seen[name] {
			c.add(CodeMissingTransition, c.key(m.ptr+"/States", name), "State \"%s\" is not reachable.", name)
		}
	}
}

// listNames lists state names for a message, at most ten.
func listNames(names []string) string {
	if len(names) > 10 {
		return strings.Join(names[:10], ", ") + ", ..."
	}
	return strings.Join(names, ", ")
}
