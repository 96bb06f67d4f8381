package lambdalocal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/arn"
)

// Step is one entry of steps/steps.json: the settings Terraform gives the
// step's Lambda function.
type Step struct {
	ArnPlaceholder string `json:"arn_placeholder"`
	MemoryMB       int    `json:"memory_mb"`
	TimeoutSeconds int    `json:"timeout_seconds"`
	Description    string `json:"description"`
}

// Activity is one entry of the "activities" object of steps/steps.json: a
// step that runs as an activity worker, not as a Lambda function. Nothing
// here runs it; the file lists it so that workflows can name its ARN.
type Activity struct {
	ArnPlaceholder string `json:"arn_placeholder"`
	Description    string `json:"description"`
}

// Steps is the decoded steps/steps.json.
type Steps struct {
	Runtime      string          `json:"runtime"`
	Architecture string          `json:"architecture"`
	Steps        map[string]Step `json:"steps"`
	// Activities are the activities by name (deployed as
	// <prefix>-<name>).
	Activities map[string]Activity `json:"activities"`
}

// LoadSteps reads and checks steps/steps.json (or a file of the same
// shape). Errors name the file and the step at fault.
func LoadSteps(path string) (*Steps, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lambda: read steps: %w", err)
	}
	return ParseSteps(path, data)
}

// ParseSteps decodes and checks the contents of a steps.json file; name is
// used in error messages.
func ParseSteps(name string, data []byte) (*Steps, error) {
	var s Steps
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("lambda: %s: %w", name, err)
	}
	if len(s.Steps) == 0 {
		return nil, fmt.Errorf("lambda: %s: /steps: no steps defined", name)
	}
	for _, step := range s.StepNames() {
		st := s.Steps[step]
		switch {
		case st.ArnPlaceholder == "":
			return nil, fmt.Errorf("lambda: %s: /steps/%s/arn_placeholder: missing", name, step)
		case st.MemoryMB < 128 || st.MemoryMB > 10240:
			return nil, fmt.Errorf("lambda: %s: /steps/%s/memory_mb: %d is outside Lambda's 128..10240", name, step, st.MemoryMB)
		case st.TimeoutSeconds < 1 || st.TimeoutSeconds > 900:
			return nil, fmt.Errorf("lambda: %s: /steps/%s/timeout_seconds: %d is outside Lambda's 1..900", name, step, st.TimeoutSeconds)
		}
	}
	for a, act := range s.Activities {
		if act.ArnPlaceholder == "" {
			return nil, fmt.Errorf("lambda: %s: /activities/%s/arn_placeholder: missing", name, a)
		}
	}
	return &s, nil
}

// UnmarshalJSON accepts the file's top-level "comment" key.
func (s *Steps) UnmarshalJSON(data []byte) error {
	type plain Steps
	var v struct {
		plain
		Comment string `json:"comment"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	*s = Steps(v.plain)
	return nil
}

// StepNames returns the step (handler) names, sorted.
func (s *Steps) StepNames() []string { return sortedNames(s.Steps) }

// Functions returns one [Function] per step, named prefix + "-" + step as
// Terraform names them (prefix "stepwise" gives "stepwise-plan").
func (s *Steps) Functions(prefix string) []Function {
	var fns []Function
	for _, name := range s.StepNames() {
		st := s.Steps[name]
		fns = append(fns, Function{
			Name:     prefix + "-" + name,
			Handler:  name,
			MemoryMB: st.MemoryMB,
			Timeout:  time.Duration(st.TimeoutSeconds) * time.Second,
		})
	}
	return fns
}

// ArnVars returns the placeholder values for a workflow definition: each
// step's arn_placeholder mapped to its local function ARN, ready for
// statemachine.Render.
func (s *Steps) ArnVars(prefix, region, accountID string) map[string]string {
	vars := map[string]string{}
	for name, st := range s.Steps {
		vars[st.ArnPlaceholder] = FunctionArn(region, accountID, prefix+"-"+name)
	}
	return vars
}

// ActivityVars returns each activity's arn_placeholder mapped to the ARN of
// activity <prefix>-<name>, as Terraform names it.
func (s *Steps) ActivityVars(prefix, region, accountID string) map[string]string {
	vars := map[string]string{}
	for name, a := range s.Activities {
		vars[a.ArnPlaceholder] = arn.States(region, accountID, "activity", prefix+"-"+name)
	}
	return vars
}

// ActivityNames returns the activity names, sorted.
func (s *Steps) ActivityNames() []string { return sortedNames(s.Activities) }

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FunctionArn formats an unqualified Lambda function ARN.
func FunctionArn(region, accountID, name string) string {
	return "arn:aws:lambda:" + region + ":" + accountID + ":function:" + name
}
