package workflow

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// Where the files are, relative to the root of a checkout.
const (
	Dir       = "statemachine"
	StepsFile = "steps/steps.json"
)

// Suffixes of the files of a workflow.
const (
	DefinitionSuffix   = ".asl.json"
	TriggerSuffix      = ".trigger.json"
	TriggerInputSuffix = ".trigger-input.json"
	ScheduleSuffix     = ".schedule.json"
)

// BucketPlaceholder is the placeholder for the project bucket's name.
const BucketPlaceholder = "BucketName"

// NamePattern is what a workflow name must match.
var NamePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// Workflow is one workflow's files, checked.
type Workflow struct {
	// Name is <name> of statemachine/<name>.asl.json.
	Name string
	// File is the definition's path in the checkout
	// ("statemachine/<name>.asl.json").
	File string
	// Definition is the ASL as written, with its ${...} placeholders.
	Definition []byte
	// Trigger and TriggerInput are the contents of the trigger and
	// trigger-input files; nil when absent.
	Trigger, TriggerInput []byte
	// TriggerFile, TriggerInputFile and ScheduleFile are the paths of the
	// optional files; "" when absent.
	TriggerFile, TriggerInputFile, ScheduleFile string
	// Schedules are the schedules of the schedule file, in file order.
	Schedules []Schedule
	// Steps are the handler names of the steps the definition calls,
	// sorted.
	Steps []string
	// Activities are the names of the activities of steps.json the
	// definition names, sorted.
	Activities []string
}

// StateMachineName is the name the workflow is deployed under.
func (w *Workflow) StateMachineName(prefix string) string { return prefix + "-" + w.Name }

// Project is a checkout's workflows and steps.
type Project struct {
	// Workflows are sorted by name.
	Workflows []*Workflow
	// Steps are the steps of steps/steps.json, sorted by handler name.
	Steps []Step
	// Activities are the activities of steps/steps.json, sorted by name.
	Activities []Activity
}

// Workflow returns the workflow called name, or nil.
func (p *Project) Workflow(name string) *Workflow {
	for _, w := range p.Workflows {
		if w.Name == name {
			return w
		}
	}
	return nil
}

// Names returns the workflow names, sorted.
func (p *Project) Names() []string {
	out := make([]string, len(p.Workflows))
	for i, w := range p.Workflows {
		out[i] = w.Name
	}
	return out
}

// Vars returns the placeholder values for a deployment: each step's
// arn_placeholder → the ARN of function <prefix>-<handler>, each
// activity's → the ARN of activity <prefix>-<name>, and BucketName →
// bucket. They are the values Terraform's templatefile gets.
func (p *Project) Vars(prefix, region, accountID, bucket string) map[string]string {
	vars := map[string]string{BucketPlaceholder: bucket}
	for _, s := range p.Steps {
		vars[s.ArnPlaceholder] = "arn:aws:lambda:" + region + ":" + accountID + ":function:" + prefix + "-" + s.Handler
	}
	for k, v := range p.ActivityVars(prefix, region, accountID) {
		vars[k] = v
	}
	return vars
}

// ActivityVars returns each activity's arn_placeholder → the ARN of
// activity <prefix>-<name>.
func (p *Project) ActivityVars(prefix, region, accountID string) map[string]string {
	vars := map[string]string{}
	for _, a := range p.Activities {
		vars[a.ArnPlaceholder] = ActivityArn(region, accountID, a.DeployedName(prefix))
	}
	return vars
}

// Render fills the placeholders of w's definition from vars (see
// [Project.Vars]) as Terraform's templatefile does. An error names the
// file.
func (p *Project) Render(w *Workflow, vars map[string]string) ([]byte, error) {
	out, err := statemachine.Render(w.Definition, vars)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", w.File, err)
	}
	return out, nil
}

// Load reads statemachine/*.json and steps/steps.json from the root of a
// checkout and checks everything: file names, JSON syntax, steps.json, each
// definition (placeholders, the Lambda steps it calls, the ASL itself),
// triggers and schedules. The error, if any, is [Errors] with every
// problem. The project is returned even then, holding what loaded, so that
// a caller may show it; one that deploys must not use it.
func Load(fsys fs.FS) (*Project, error) {
	p := &problems{}
	proj := &Project{}
	stepsData, err := fs.ReadFile(fsys, StepsFile)
	if err != nil {
		p.add(StepsFile, "/", "cannot read it: %v (every Lambda step of every workflow is listed there)", unwrapPath(err))
	} else {
		proj.Steps, proj.Activities = p.loadSteps(stepsData)
	}
	files := map[string][]byte{}
	entries, err := fs.ReadDir(fsys, Dir)
	if err != nil {
		p.add(Dir, "/", "cannot read the workflow directory: %v", unwrapPath(err))
		return proj, p.err()
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		file := path.Join(Dir, e.Name())
		b, err := fs.ReadFile(fsys, file)
		if err != nil {
			p.add(file, "/", "cannot read it: %v", unwrapPath(err))
			continue
		}
		files[e.Name()] = b
	}
	byName := p.group(files)
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if w := p.loadWorkflow(n, byName[n], proj.Steps, proj.Activities); w != nil {
			proj.Workflows = append(proj.Workflows, w)
		}
	}
	return proj, p.err()
}

// parts are the files of one workflow, by suffix.
type parts map[string][]byte

// group sorts the files of statemachine/ by workflow name, reporting names
// that fit no pattern.
func (p *problems) group(files map[string][]byte) map[string]parts {
	out := map[string]parts{}
	for base, data := range files {
		file := path.Join(Dir, base)
		suffix := ""
		for _, s := range []string{DefinitionSuffix, TriggerInputSuffix, TriggerSuffix, ScheduleSuffix} {
			if strings.HasSuffix(base, s) {
				suffix = s
				break
			}
		}
		if suffix == "" {
			p.add(file, "/", "not a workflow file: want <name>%s, <name>%s, <name>%s or <name>%s (move other JSON files to a subdirectory such as statemachine/testdata/)",
				DefinitionSuffix, TriggerSuffix, TriggerInputSuffix, ScheduleSuffix)
			continue
		}
		name := strings.TrimSuffix(base, suffix)
		if !NamePattern.MatchString(name) {
			p.add(file, "/", "workflow name %q must match %s (lower-case letters, digits and '-', starting with a letter, at most 40 characters)", name, NamePattern)
			continue
		}
		if out[name] == nil {
			out[name] = parts{}
		}
		out[name][suffix] = data
	}
	for name, ps := range out {
		if ps[DefinitionSuffix] != nil {
			continue
		}
		for suffix := range ps {
			p.add(path.Join(Dir, name+suffix), "/", "there is no workflow %q: %s is missing (create it, or rename or remove this file)", name, path.Join(Dir, name+DefinitionSuffix))
		}
		delete(out, name)
	}
	return out
}

func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
