package steps

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/statemachine/validate"
)

// TestExportDefinition checks statemachine/export.asl.json against the
// step settings: it uses exactly the ARN placeholders steps.json names
// (plus BucketName, which Terraform also fills), renders as Terraform
// renders it, and passes the engine's validator without errors.
func TestExportDefinition(t *testing.T) {
	def, err := os.ReadFile(filepath.Join("..", "statemachine", "export.asl.json"))
	if err != nil {
		t.Fatal(err)
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
	var want []string
	// The approval step serves the decision page behind a function URL;
	// no state machine calls it.
	delete(settings.Steps, "approval")
	for step, s := range settings.Steps {
		vars[s.ArnPlaceholder] = "arn:aws:lambda:eu-west-1:123456789012:function:stepwise-" + step
		want = append(want, s.ArnPlaceholder)
	}
	sort.Strings(want)
	got := slices.DeleteFunc(statemachine.Placeholders(def), func(s string) bool { return s == "BucketName" })
	if !slices.Equal(got, want) {
		t.Fatalf("placeholders %v, steps.json has %v", got, want)
	}
	rendered, err := statemachine.Render(def, vars)
	if err != nil {
		t.Fatal(err)
	}
	for step := range settings.Steps {
		if !strings.Contains(string(rendered), "function:stepwise-"+step+`"`) {
			t.Errorf("step %s is not used by the definition", step)
		}
	}
	for _, d := range validate.Definition(rendered, validate.Options{}) {
		if d.Severity == validate.SeverityError {
			t.Errorf("%+v", d)
		}
	}
}
