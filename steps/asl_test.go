package steps

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/statemachine/validate"
)

// TestDefinitions checks every statemachine/*.asl.json against the step
// settings: each uses only ARN placeholders steps.json names (plus
// BucketName, which Terraform also fills), every step is used by some
// workflow, and each renders as Terraform renders it and passes the
// engine's validator without errors.
func TestDefinitions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "statemachine", "*.asl.json"))
	if err != nil || len(files) < 2 {
		t.Fatalf("workflows %v: %v", files, err)
	}
	var settings struct {
		Steps map[string]struct {
			ArnPlaceholder string `json:"arn_placeholder"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(SettingsJSON, &settings); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"BucketName": "stepwise-exports-example"}
	// The approval step serves the decision page behind a function URL;
	// no state machine calls it.
	delete(settings.Steps, "approval")
	for step, s := range settings.Steps {
		vars[s.ArnPlaceholder] = "arn:aws:lambda:eu-west-1:123456789012:function:stepwise-" + step
	}
	used := map[string]bool{}
	for _, file := range files {
		def, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range statemachine.Placeholders(def) {
			if _, ok := vars[p]; !ok {
				t.Errorf("%s: placeholder ${%s} is not in steps.json", file, p)
			}
		}
		rendered, err := statemachine.Render(def, vars)
		if err != nil {
			t.Fatal(err)
		}
		for step := range settings.Steps {
			if strings.Contains(string(rendered), "function:stepwise-"+step+`"`) {
				used[step] = true
			}
		}
		for _, d := range validate.Definition(rendered, validate.Options{}) {
			if d.Severity == validate.SeverityError {
				t.Errorf("%s: %+v", file, d)
			}
		}
	}
	var unused []string
	for step := range settings.Steps {
		if !used[step] {
			unused = append(unused, step)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("steps.json lists steps no workflow uses: %v", unused)
	}
}
