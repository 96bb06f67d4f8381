package terraform

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-exec/tfexec"
	lambdalocal "github.com/stepwise-dev/stepwise/local/lambda"
	"github.com/stepwise-dev/stepwise/local/stack"
	"github.com/stepwise-dev/stepwise/statemachine"
)

// terraformBinary finds terraform or OpenTofu, or skips loudly.
func terraformBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TERRAFORM_BIN"); p != "" {
		return p
	}
	for _, name := range []string{"terraform", "tofu"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("SKIPPED: no terraform or tofu binary (set TERRAFORM_BIN; .ci/terraform-tools.sh builds OpenTofu from source): the Terraform rendering is not checked")
	return ""
}

func newTF(t *testing.T, dir string) *tfexec.Terraform {
	t.Helper()
	tf, err := tfexec.NewTerraform(dir, terraformBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	// A missing CLI config file (TF_CLI_CONFIG_FILE pointing nowhere) only
	// produces warnings; point it at an empty file.
	empty := filepath.Join(t.TempDir(), "empty.tfrc")
	os.WriteFile(empty, nil, 0o644)
	if err := tf.SetEnv(map[string]string{"TF_CLI_CONFIG_FILE": empty}); err != nil {
		t.Fatal(err)
	}
	return tf
}

// TestRenderedDefinitionMatchesLocalStack applies the provider-free
// definitions module to a local state file through terraform-exec and
// checks that every definition Terraform deploys is byte-identical to the
// one the local stack renders from the same files with statemachine.Render:
// for this repository's workflows and for the two-workflow fixture.
func TestRenderedDefinitionMatchesLocalStack(t *testing.T) {
	for _, repo := range []string{"..", filepath.Join("testdata", "workflows", "two"), filepath.Join("testdata", "workflows", "activity")} {
		t.Run(filepath.Base(repo), func(t *testing.T) {
			checkRendering(t, repo)
		})
	}
}

func checkRendering(t *testing.T, repo string) {
	dir := t.TempDir()
	abs, err := filepath.Abs(filepath.Join("modules", "definitions"))
	if err != nil {
		t.Fatal(err)
	}
	// A relative source ("../...") makes Terraform use the module in place,
	// so its file() paths resolve inside this repository; an absolute one
	// would be copied into .terraform/modules first.
	module, err := filepath.Rel(dir, abs)
	if err != nil {
		t.Fatal(err)
	}
	repoAbs, err := filepath.Abs(repo)
	if err != nil {
		t.Fatal(err)
	}
	// An explicit local backend keeps the state in the test's directory
	// (tfexec.State, the -state flag, is deprecated).
	root := `
terraform {
  backend "local" { path = "terraform.tfstate" }
}
module "d" {
  source      = "` + filepath.ToSlash(module) + `"
  region      = "eu-west-1"
  account_id  = "123456789012"
  bucket_name = "stepwise-render-check"
  repo_dir    = "` + filepath.ToSlash(repoAbs) + `"
}
output "definitions" { value = { for n, w in module.d.workflows : n => w.definition } }
output "function_arns" { value = module.d.function_arns }
output "activity_arns" { value = { for a, act in module.d.activities : a => act.arn } }
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(root), 0o644); err != nil {
		t.Fatal(err)
	}
	tf := newTF(t, dir)
	ctx := context.Background()
	if err := tf.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tf.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	outs, err := tf.Output(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var tfDefinitions map[string]string
	if err := json.Unmarshal(outs["definitions"].Value, &tfDefinitions); err != nil {
		t.Fatal(err)
	}
	var arns map[string]string
	if err := json.Unmarshal(outs["function_arns"].Value, &arns); err != nil {
		t.Fatal(err)
	}

	// The local stack's way, computed independently of Terraform: its own
	// names and ARNs for the steps of steps/steps.json (stack.TemplateVars),
	// with the same prefix, region, account and bucket.
	stepsFile := filepath.Join(repo, "steps", "steps.json")
	steps, err := lambdalocal.LoadSteps(stepsFile)
	if err != nil {
		t.Fatal(err)
	}
	vars := stack.TemplateVars(steps, "stepwise", "eu-west-1", "123456789012", "stepwise-render-check")
	for step, arn := range arns {
		if local := vars[stepPlaceholder(t, stepsFile, step)]; local != arn {
			t.Errorf("step %s: Terraform names its function %s, the local stack %s", step, arn, local)
		}
	}
	var activityArns map[string]string
	if err := json.Unmarshal(outs["activity_arns"].Value, &activityArns); err != nil {
		t.Fatal(err)
	}
	if len(activityArns) != len(steps.Activities) {
		t.Errorf("Terraform deploys %d activities, steps.json lists %d", len(activityArns), len(steps.Activities))
	}
	for a, arn := range activityArns {
		if local := vars[steps.Activities[a].ArnPlaceholder]; local != arn {
			t.Errorf("activity %s: Terraform names it %s, the local stack %s", a, arn, local)
		}
	}
	files, err := filepath.Glob(filepath.Join(repo, "statemachine", "*.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 || len(files) != len(tfDefinitions) {
		t.Fatalf("%d workflow files in %s/statemachine, Terraform deploys %d workflows", len(files), repo, len(tfDefinitions))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".asl.json")
		asl, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		local, err := statemachine.Render(asl, vars)
		if err != nil {
			t.Fatal(err)
		}
		if string(local) != tfDefinitions[name] {
			t.Errorf("Terraform and the local stack render %s differently\nterraform:\n%s\nlocal:\n%s", f, tfDefinitions[name], local)
		}
	}
}

// stepPlaceholder returns the ${...} name steps.json gives a step's ARN.
func stepPlaceholder(t *testing.T, stepsFile, step string) string {
	t.Helper()
	var settings struct {
		Steps map[string]struct {
			ArnPlaceholder string `json:"arn_placeholder"`
		} `json:"steps"`
	}
	data, err := os.ReadFile(stepsFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &settings); err != nil {
		t.Fatal(err)
	}
	return settings.Steps[step].ArnPlaceholder
}

// TestDefinitionsModuleTests runs `terraform test` in the provider-free
// module (its assertions live in modules/definitions/tests).
func TestDefinitionsModuleTests(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: terraform test takes a few seconds")
	}
	tf := newTF(t, filepath.Join("modules", "definitions"))
	ctx := context.Background()
	if err := tf.Init(ctx); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err := tf.Test(ctx, &out)
	// terraform-exec asks for the JSON view; keep the human messages.
	var msgs []string
	for _, line := range strings.Split(out.String(), "\n") {
		var ev struct {
			Message string `json:"@message"`
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Message != "" {
			msgs = append(msgs, ev.Message)
		}
	}
	if err != nil {
		t.Fatalf("terraform test failed: %v\n%s", err, strings.Join(msgs, "\n"))
	}
	t.Log(strings.Join(msgs, "\n"))
}
