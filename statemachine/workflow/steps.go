package workflow

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Step is one entry of steps/steps.json: a Lambda step served by the one
// bootstrap under its handler name.
type Step struct {
	// Handler is the key in steps.json, the Lambda handler field and the
	// name in the Go step registry.
	Handler string
	// ArnPlaceholder is the ${...} name the ASL files use for the step's
	// function ARN.
	ArnPlaceholder string
	MemoryMB       int
	TimeoutSeconds int
	Description    string
}

var (
	handlerName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,47}$`)
	identifier  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
)

// loadSteps checks steps/steps.json and returns its steps sorted by
// handler name.
func (p *problems) loadSteps(data []byte) []Step {
	root := p.decodeFile(StepsFile, data)
	if root == nil {
		return nil
	}
	if root.kind != 'o' {
		p.addAt(StepsFile, "/", data, root.off, "want an object with \"steps\", got %s", kindName(root.kind))
		return nil
	}
	for _, k := range root.keys {
		switch k {
		case "comment", "runtime", "architecture":
		case "steps":
		default:
			p.addAt(StepsFile, root.obj[k].ptr, data, root.obj[k].off, "unknown field %q (want comment, runtime, architecture, steps)", k)
		}
	}
	steps := root.get("steps")
	if steps == nil || steps.kind != 'o' || len(steps.keys) == 0 {
		p.addAt(StepsFile, "/steps", data, root.off, "want an object of steps by handler name, e.g. {\"plan\": {\"arn_placeholder\": \"PlanFunctionArn\", ...}}")
		return nil
	}
	var out []Step
	byPlaceholder := map[string]string{}
	for _, h := range steps.keys {
		n := steps.obj[h]
		if !handlerName.MatchString(h) {
			p.addAt(StepsFile, n.ptr, data, n.off, "step name %q must match %s (it is a Go registry key and part of a Lambda function name)", h, handlerName)
		}
		if n.kind != 'o' {
			p.addAt(StepsFile, n.ptr, data, n.off, "want an object, got %s", kindName(n.kind))
			continue
		}
		st := Step{Handler: h}
		for _, k := range n.keys {
			v := n.obj[k]
			switch k {
			case "arn_placeholder", "description":
				if v.kind != 's' {
					p.addAt(StepsFile, v.ptr, data, v.off, "want a string, got %s", kindName(v.kind))
				} else if k == "description" {
					st.Description = v.str
				} else {
					st.ArnPlaceholder = v.str
				}
			case "memory_mb":
				st.MemoryMB = p.intIn(data, v, 128, 10240, "Lambda's memory range")
			case "timeout_seconds":
				st.TimeoutSeconds = p.intIn(data, v, 1, 900, "Lambda's timeout range")
			default:
				p.addAt(StepsFile, v.ptr, data, v.off, "unknown field %q (want arn_placeholder, memory_mb, timeout_seconds, description)", k)
			}
		}
		for _, req := range []string{"arn_placeholder", "memory_mb", "timeout_seconds"} {
			if n.get(req) == nil {
				p.addAt(StepsFile, n.ptr+"/"+req, data, n.off, "missing")
			}
		}
		if pl := st.ArnPlaceholder; pl != "" {
			switch {
			case !identifier.MatchString(pl) || pl == "BucketName":
				p.addAt(StepsFile, n.ptr+"/arn_placeholder", data, n.get("arn_placeholder").off, "%q is not usable as a ${...} placeholder (want a plain name such as %sFunctionArn, not BucketName)", pl, exportedName(h))
			case byPlaceholder[pl] != "":
				p.addAt(StepsFile, n.ptr+"/arn_placeholder", data, n.get("arn_placeholder").off, "%q is already the placeholder of step %q; each step needs its own", pl, byPlaceholder[pl])
			default:
				byPlaceholder[pl] = h
			}
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Handler < out[j].Handler })
	return out
}

func (p *problems) intIn(data []byte, v *node, lo, hi int, what string) int {
	if v.kind != 'n' {
		p.addAt(StepsFile, v.ptr, data, v.off, "want a whole number, got %s", kindName(v.kind))
		return 0
	}
	i, err := strconv.Atoi(v.num.String())
	if err != nil || i < lo || i > hi {
		p.addAt(StepsFile, v.ptr, data, v.off, "%s is outside %s %d..%d", v.num, what, lo, hi)
		return 0
	}
	return i
}

// exportedName capitalises a handler name for a suggested placeholder.
func exportedName(h string) string {
	if h == "" {
		return h
	}
	return strings.ToUpper(h[:1]) + h[1:]
}
