package workflow

import (
	"path"
	"sort"
	"strings"

	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/statemachine/jsonata"
	"github.com/stepwise-dev/stepwise/statemachine/validate"
)

// loadWorkflow checks the files of one workflow; it returns nil when the
// definition cannot be read as JSON.
func (p *problems) loadWorkflow(name string, files parts, steps []Step, activities []Activity) *Workflow {
	w := &Workflow{Name: name, File: path.Join(Dir, name+DefinitionSuffix), Definition: files[DefinitionSuffix]}
	p.checkDefinition(w, steps, activities)
	if b := files[TriggerSuffix]; b != nil {
		w.Trigger, w.TriggerFile = b, path.Join(Dir, name+TriggerSuffix)
		p.checkTrigger(w.TriggerFile, b)
	}
	if b := files[TriggerInputSuffix]; b != nil {
		w.TriggerInput, w.TriggerInputFile = b, path.Join(Dir, name+TriggerInputSuffix)
		if w.Trigger == nil {
			p.add(w.TriggerInputFile, "/", "an input transformer needs a trigger: %s is missing (create it, or remove this file)", path.Join(Dir, name+TriggerSuffix))
		}
		p.checkTriggerInput(w.TriggerInputFile, b)
	}
	if b := files[ScheduleSuffix]; b != nil {
		w.ScheduleFile = path.Join(Dir, name+ScheduleSuffix)
		w.Schedules = p.parseSchedules(w.ScheduleFile, b)
	}
	return w
}

// checkDefinition checks an ASL file: JSON syntax, placeholders, the Lambda
// steps and activities its Tasks call, and the ASL itself once rendered.
func (p *problems) checkDefinition(w *Workflow, steps []Step, activities []Activity) {
	data := w.Definition
	root := p.decodeFile(w.File, data)
	if root == nil {
		return
	}
	known := map[string]string{BucketPlaceholder: ""}
	activity := map[string]string{} // placeholder → activity name
	vars := map[string]string{BucketPlaceholder: "stepwise"}
	for _, s := range steps {
		known[s.ArnPlaceholder] = s.Handler
		vars[s.ArnPlaceholder] = "arn:aws:lambda:us-east-1:123456789012:function:stepwise-" + s.Handler
	}
	for _, a := range activities {
		known[a.ArnPlaceholder] = ""
		activity[a.ArnPlaceholder] = a.Name
		vars[a.ArnPlaceholder] = ActivityArn("us-east-1", "123456789012", a.DeployedName("stepwise"))
	}
	renderable := true
	used := map[string]bool{}
	walk(root, func(n *node) {
		if n.kind == 's' && !p.checkPlaceholders(w.File, data, n, known, vars, used) {
			renderable = false
		}
		if n.kind == 'o' {
			p.checkTask(w.File, data, n)
		}
	})
	for ph := range used {
		if h := known[ph]; h != "" {
			w.Steps = append(w.Steps, h)
		}
		if a := activity[ph]; a != "" {
			w.Activities = append(w.Activities, a)
		}
	}
	sort.Strings(w.Steps)
	sort.Strings(w.Activities)
	if !renderable {
		return
	}
	rendered, err := statemachine.Render(data, vars)
	if err != nil {
		p.add(w.File, "/", "%v", err)
		return
	}
	ds := validate.Report(rendered, validate.Options{Source: data, CheckJSONata: func(expr string) error {
		_, err := jsonata.Compile(expr, jsonata.StepFunctions())
		return err
	}})
	for _, d := range ds {
		if d.Severity != validate.SeverityError {
			continue
		}
		e := p.add(w.File, d.Location, "%s", d.Message)
		e.Line, e.Column = d.Line, d.Column
	}
}

// walk calls f on n and every value inside it, in document order.
func walk(n *node, f func(*node)) {
	f(n)
	for _, k := range n.keys {
		walk(n.obj[k], f)
	}
	for _, c := range n.arr {
		walk(c, f)
	}
}

// checkPlaceholders checks the ${...} in one string value; unknown names
// get a stand-in value in vars so that the rest can still be validated. It
// returns false when the file cannot be rendered at all.
func (p *problems) checkPlaceholders(file string, data []byte, n *node, known map[string]string, vars map[string]string, used map[string]bool) bool {
	ok := true
	s := n.str
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "$${") || strings.HasPrefix(s[i:], "%%{"):
			i += 2
		case strings.HasPrefix(s[i:], "%{"):
			p.addAt(file, n.ptr, data, n.off, "template directives (%%{...}) are not supported (Terraform and the local stack must render the file the same way); write %%%%{ for a literal %%{")
			ok = false
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				p.addAt(file, n.ptr, data, n.off, "unterminated ${ placeholder; write $${ for a literal ${")
				return false
			}
			name := strings.TrimSpace(s[i+2 : i+2+end])
			i += 2 + end
			if !identifier.MatchString(name) {
				p.addAt(file, n.ptr, data, n.off, "placeholder ${%s} is not a plain name; write $${ for a literal ${", name)
				ok = false
				continue
			}
			used[name] = true
			if _, found := known[name]; found {
				continue
			}
			vars[name] = "arn:aws:lambda:us-east-1:123456789012:function:unknown"
			if strings.HasSuffix(name, "ActivityArn") {
				p.addAt(file, n.ptr, data, n.off, "unknown placeholder ${%s}: no activity in %s has arn_placeholder %q (add it under \"activities\" there, or use one of %s)", name, StepsFile, name, knownList(known))
			} else if strings.HasSuffix(name, "Arn") {
				p.addAt(file, n.ptr, data, n.off, "unknown placeholder ${%s}: no step in %s has arn_placeholder %q (add the step there, or use one of %s)", name, StepsFile, name, knownList(known))
			} else {
				p.addAt(file, n.ptr, data, n.off, "unknown placeholder ${%s} (known: %s)", name, knownList(known))
			}
		}
	}
	return ok
}

func knownList(known map[string]string) string {
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, "${"+k+"}")
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// checkTask reports a Task state that calls a Lambda function or an
// activity by a literal name or ARN instead of a placeholder of steps.json:
// such a function or activity is not deployed by Stepwise, locally or by
// Terraform.
func (p *problems) checkTask(file string, data []byte, n *node) {
	typ, res := n.get("Type"), n.get("Resource")
	if typ == nil || typ.kind != 's' || typ.str != "Task" || res == nil || res.kind != 's' {
		return
	}
	if strings.HasPrefix(res.str, "arn:aws:states:") && strings.Contains(res.str, ":activity:") {
		p.addAt(file, res.ptr, data, res.off, "activity %q is not an activity of %s: list it under \"activities\" there (Terraform and the local stack create it) and write its ${...ActivityArn} placeholder here", res.str, StepsFile)
		return
	}
	target := res
	if strings.HasPrefix(res.str, "arn:aws:states:::lambda:invoke") {
		target = nil
		for _, args := range []string{"Parameters", "Arguments"} {
			if fn := n.get(args).get("FunctionName"); fn != nil && fn.kind == 's' {
				target = fn
			}
		}
		if target == nil {
			return
		}
	} else if !strings.HasPrefix(res.str, "arn:aws:lambda:") {
		return
	}
	v := target.str
	if strings.Contains(v, "${") || strings.HasPrefix(strings.TrimSpace(v), "{%") {
		return // a placeholder (checked on its own) or a JSONata expression
	}
	p.addAt(file, target.ptr, data, target.off, "Lambda function %q is not a step of %s: list the step there and write its ${...FunctionArn} placeholder here", v, StepsFile)
}

// checkTrigger checks an EventBridge event pattern's shape: a non-empty
// object. The local trigger compiles it in full.
func (p *problems) checkTrigger(file string, data []byte) {
	root := p.decodeFile(file, data)
	if root == nil {
		return
	}
	if root.kind != 'o' || len(root.keys) == 0 {
		p.addAt(file, "/", data, root.off, "want an EventBridge event pattern (a non-empty object such as {\"source\": [\"aws.s3\"], \"detail-type\": [\"Object Created\"]}), got %s", kindName(root.kind))
	}
}

// checkTriggerInput checks an input transformer: input_paths (variable →
// "$" or "$.dotted.path") and a non-empty input_template.
func (p *problems) checkTriggerInput(file string, data []byte) {
	root := p.decodeFile(file, data)
	if root == nil {
		return
	}
	if root.kind != 'o' {
		p.addAt(file, "/", data, root.off, "want an object with input_paths and input_template, got %s", kindName(root.kind))
		return
	}
	for _, k := range root.keys {
		v := root.obj[k]
		switch k {
		case "comment":
		case "input_paths":
			if v.kind != 'o' {
				p.addAt(file, v.ptr, data, v.off, "want an object of variable → JSONPath, got %s", kindName(v.kind))
				continue
			}
			for _, name := range v.keys {
				pv := v.obj[name]
				if name == "" || strings.HasPrefix(name, "aws.events.") {
					p.addAt(file, pv.ptr, data, pv.off, "variable name %q is empty or reserved", name)
				}
				if pv.kind != 's' || (pv.str != "$" && !strings.HasPrefix(pv.str, "$.")) {
					p.addAt(file, pv.ptr, data, pv.off, "want a path \"$\" or \"$.detail...\"")
				}
			}
		case "input_template":
			if v.kind != 's' || v.str == "" {
				p.addAt(file, v.ptr, data, v.off, "want a non-empty string")
			}
		default:
			p.addAt(file, v.ptr, data, v.off, "unknown field %q (want comment, input_paths, input_template)", k)
		}
	}
	if root.get("input_template") == nil {
		p.addAt(file, "/input_template", data, root.off, "missing")
	}
}
