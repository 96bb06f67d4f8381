package workflow

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/statemachine/arn"
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

// Activity is one entry of the "activities" object of steps/steps.json: a
// step that runs longer than Lambda's 15 minutes (or where Lambda cannot
// run it) as an activity worker — a program of the team's own, such as one
// built on package steps/activity, that polls Step Functions for tasks.
// Terraform creates the activity <prefix>-<name>, and so does the local
// stack.
type Activity struct {
	// Name is the key in steps.json; the activity is <prefix>-<Name>.
	Name string
	// ArnPlaceholder is the ${...} name the ASL files use for the
	// activity's ARN.
	ArnPlaceholder string
	Description    string
}

// DeployedName is the activity's name in a deployment with prefix.
func (a Activity) DeployedName(prefix string) string { return prefix + "-" + a.Name }

// ActivityArn formats an activity's ARN.
func ActivityArn(region, accountID, name string) string {
	return arn.States(region, accountID, "activity", name)
}

var (
	handlerName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,47}$`)
	identifier  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
)

// loadSteps checks steps/steps.json and returns its steps sorted by
// handler name and its activities sorted by name.
func (p *problems) loadSteps(data []byte) ([]Step, []Activity) {
	root := p.decodeFile(StepsFile, data)
	if root == nil {
		return nil, nil
	}
	if root.kind != 'o' {
		p.addAt(StepsFile, "/", data, root.off, "want an object with \"steps\", got %s", kindName(root.kind))
		return nil, nil
	}
	for _, k := range root.keys {
		switch k {
		case "comment", "runtime", "architecture":
		case "steps", "activities":
		default:
			p.addAt(StepsFile, root.obj[k].ptr, data, root.obj[k].off, "unknown field %q (want comment, runtime, architecture, steps, activities)", k)
		}
	}
	// byPlaceholder: placeholder → "step x" / "activity y"; one name
	// stands for one ARN.
	byPlaceholder := map[string]string{}
	steps := root.get("steps")
	if steps == nil || steps.kind != 'o' || len(steps.keys) == 0 {
		p.addAt(StepsFile, "/steps", data, root.off, "want an object of steps by handler name, e.g. {\"plan\": {\"arn_placeholder\": \"PlanFunctionArn\", ...}}")
		return nil, p.loadActivities(data, root.get("activities"), byPlaceholder)
	}
	var out []Step
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
				p.addAt(StepsFile, n.ptr+"/arn_placeholder", data, n.get("arn_placeholder").off, "%q is already the placeholder of %s; each step needs its own", pl, byPlaceholder[pl])
			default:
				byPlaceholder[pl] = fmt.Sprintf("step %q", h)
			}
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Handler < out[j].Handler })
	return out, p.loadActivities(data, root.get("activities"), byPlaceholder)
}

// loadActivities checks the optional "activities" object of steps.json.
func (p *problems) loadActivities(data []byte, acts *node, byPlaceholder map[string]string) []Activity {
	if acts == nil {
		return nil
	}
	if acts.kind != 'o' {
		p.addAt(StepsFile, acts.ptr, data, acts.off, "want an object of activities by name, e.g. {\"encode\": {\"arn_placeholder\": \"EncodeActivityArn\"}}, got %s", kindName(acts.kind))
		return nil
	}
	var out []Activity
	for _, name := range acts.keys {
		n := acts.obj[name]
		if !handlerName.MatchString(name) {
			p.addAt(StepsFile, n.ptr, data, n.off, "activity name %q must match %s (it is part of the activity's name, <prefix>-%s)", name, handlerName, name)
		}
		if n.kind != 'o' {
			p.addAt(StepsFile, n.ptr, data, n.off, "want an object, got %s", kindName(n.kind))
			continue
		}
		a := Activity{Name: name}
		for _, k := range n.keys {
			v := n.obj[k]
			switch k {
			case "arn_placeholder", "description":
				switch {
				case v.kind != 's':
					p.addAt(StepsFile, v.ptr, data, v.off, "want a string, got %s", kindName(v.kind))
				case k == "description":
					a.Description = v.str
				default:
					a.ArnPlaceholder = v.str
				}
			default:
				p.addAt(StepsFile, v.ptr, data, v.off, "unknown field %q (want arn_placeholder, description; an activity's timeouts are the Task state's TimeoutSeconds and HeartbeatSeconds)", k)
			}
		}
		ph := n.get("arn_placeholder")
		switch pl := a.ArnPlaceholder; {
		case ph == nil:
			p.addAt(StepsFile, n.ptr+"/arn_placeholder", data, n.off, "missing")
		case pl == "":
		case !identifier.MatchString(pl) || pl == BucketPlaceholder:
			p.addAt(StepsFile, ph.ptr, data, ph.off, "%q is not usable as a ${...} placeholder (want a plain name such as %sActivityArn, not BucketName)", pl, exportedName(name))
		case byPlaceholder[pl] != "":
			p.addAt(StepsFile, ph.ptr, data, ph.off, "%q is already the placeholder of %s; each activity needs its own", pl, byPlaceholder[pl])
		default:
			byPlaceholder[pl] = fmt.Sprintf("activity %q", name)
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
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
