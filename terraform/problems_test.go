package terraform

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInvalidWorkflowFilesFailThePlan plans a root module that uses the
// definitions module on broken fixtures, as `terraform plan` of the real
// root module would, and requires the plan to fail with the message naming
// the file and the JSON pointer (the format runner validate uses).
func TestInvalidWorkflowFilesFailThePlan(t *testing.T) {
	tests := []struct{ fixture, want string }{
		{"bad-schedule", "statemachine/beta.schedule.json: /schedules/0/expression: cron(0 6 ? * MON) has 5 fields, want 6"},
		{"missing-step", "statemachine/alpha.asl.json: /States/Greet: ${ReportFunctionArn} names a Lambda step that steps/steps.json does not list"},
		{"broken", "statemachine/ghost.trigger.json: /: there is no workflow ghost"},
		{"broken", "statemachine/alpha.asl.json: /States/Unknown: unknown placeholder ${TableName}"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			err := planDefinitions(t, filepath.Join("testdata", "workflows", tt.fixture))
			if err == nil {
				t.Fatalf("plan on %s succeeded; want it to fail with %q", tt.fixture, tt.want)
			}
			// Terraform wraps long messages; compare with the line breaks
			// and the box-drawing margin removed.
			var words []string
			for _, line := range strings.Split(err.Error(), "\n") {
				words = append(words, strings.Fields(strings.TrimLeft(line, "│ "))...)
			}
			if got := strings.Join(words, " "); !strings.Contains(got, tt.want) {
				t.Fatalf("plan error does not contain %q:\n%v", tt.want, err)
			}
		})
	}
	t.Run("two", func(t *testing.T) {
		if err := planDefinitions(t, filepath.Join("testdata", "workflows", "two")); err != nil {
			t.Fatalf("plan on the valid two-workflow fixture failed: %v", err)
		}
	})
}

func planDefinitions(t *testing.T, repo string) error {
	t.Helper()
	dir := t.TempDir()
	module, err := filepath.Abs(filepath.Join("modules", "definitions"))
	if err != nil {
		t.Fatal(err)
	}
	repoAbs, err := filepath.Abs(repo)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(dir, module)
	if err != nil {
		t.Fatal(err)
	}
	root := `
module "d" {
  source      = "` + filepath.ToSlash(rel) + `"
  region      = "eu-west-1"
  account_id  = "123456789012"
  bucket_name = "stepwise-plan-check"
  repo_dir    = "` + filepath.ToSlash(repoAbs) + `"
}
output "workflows" { value = keys(module.d.workflows) }
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(root), 0o644); err != nil {
		t.Fatal(err)
	}
	tf := newTF(t, dir)
	ctx := context.Background()
	if err := tf.Init(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = tf.Plan(ctx)
	return err
}
