package validate

import "fmt"

// edge is a transition from one state to another, with the pointer of the
// field that names the target.
type edge struct {
	to  string
	loc string
}

// edges lists the transitions out of a state in document order.
func edges(st *object, ptr string) []edge {
	var out []edge
	if s, ok := st.m["Next"].(string); ok {
		out = append(out, edge{s, ptr + "/Next"})
	}
	if choices, ok := st.m["Choices"].([]any); ok {
		for i, r := range choices {
			if o, ok := r.(*object); ok {
				if s, ok := o.m["Next"].(string); ok {
					out = append(out, edge{s, fmt.Sprintf("%s/Choices[%d]/Next", ptr, i)})
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
					out = append(out, edge{s, fmt.Sprintf("%s/Catch[%d]/Next", ptr, i)})
				}
			}
		}
	}
	return out
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
// for unreachable states).
func (c *checker) checkGraph(m machine) {
	startAt, _ := m.obj.m["StartAt"].(string)
	if _, ok := m.states.m[startAt]; !ok {
		c.add(CodeMissingTransition, m.ptr+"/StartAt", "Missing 'Next' target: %s", startAt)
	}
	terminal := false
	for _, name := range m.states.keys {
		st := m.states.m[name].(*object)
		for _, e := range edges(st, m.ptr+"/States/"+name) {
			if _, ok := m.states.m[e.to]; !ok {
				c.add(CodeMissingTransition, e.loc, "Missing 'Next' target: %s", e.to)
			}
		}
		if isTerminal(st) {
			terminal = true
		}
	}
	if !terminal {
		c.add(CodeMissingEndState, "", "Workflow has no terminal state")
		return
	}
	seen := map[string]bool{}
	queue := []string{startAt}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		st, ok := m.states.m[name].(*object)
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		for _, e := range edges(st, "") {
			queue = append(queue, e.to)
		}
	}
	for _, name := range m.states.keys {
		if !seen[name] {
			c.add(CodeMissingTransition, m.ptr+"/States/"+name, "State \"%s\" is not reachable.", name)
		}
	}
}
