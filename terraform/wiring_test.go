package terraform

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestEveryStepHasFunctionRoleAndLogGroup reads the root module's HCL and
// checks the wiring terraform validate cannot see without the provider:
// the per-step resources iterate over the steps of steps/steps.json (so a
// step cannot lack a function, role, policy, log group or alarm), there is
// no other Lambda function, and the handler field names the step.
func TestEveryStepHasFunctionRoleAndLogGroup(t *testing.T) {
	perStep := map[string]string{ // resource type → the name of its per-step block
		"aws_lambda_function":         "step",
		"aws_iam_role":                "step",
		"aws_iam_role_policy":         "step",
		"aws_cloudwatch_log_group":    "step",
		"aws_cloudwatch_metric_alarm": "step_errors",
	}
	found := map[string]*hclsyntax.Block{}
	functions := 0
	for _, body := range parseModule(t, ".") {
		for _, b := range body.Blocks {
			if b.Type != "resource" {
				continue
			}
			typ, name := b.Labels[0], b.Labels[1]
			if typ == "aws_lambda_function" {
				functions++
			}
			if perStep[typ] == name {
				found[typ] = b
			}
		}
	}
	if functions != 1 {
		t.Errorf("the root module declares %d aws_lambda_function blocks; want exactly one, iterated over the steps", functions)
	}
	for typ, name := range perStep {
		b := found[typ]
		if b == nil {
			t.Errorf("no resource %s.%s: every step needs one", typ, name)
			continue
		}
		fe, ok := b.Body.Attributes["for_each"]
		if !ok {
			t.Errorf("%s.%s has no for_each over the steps", typ, name)
			continue
		}
		if got := exprText(t, fe.Expr); got != "local.steps" {
			t.Errorf("%s.%s: for_each = %s, want local.steps (the steps of steps/steps.json)", typ, name, got)
		}
	}
	if fn := found["aws_lambda_function"]; fn != nil {
		want := map[string]string{
			"handler":          "each.key",
			"memory_size":      "each.value.memory_mb",
			"timeout":          "each.value.timeout_seconds",
			"source_code_hash": "filebase64sha256(var.lambda_zip)",
			"role":             "aws_iam_role.step[each.key].arn",
		}
		for attr, expr := range want {
			a, ok := fn.Body.Attributes[attr]
			if !ok {
				t.Errorf("aws_lambda_function.step has no %s", attr)
				continue
			}
			if got := exprText(t, a.Expr); got != expr {
				t.Errorf("aws_lambda_function.step: %s = %s, want %s", attr, got, expr)
			}
		}
	}
	// local.steps must be the definitions module's view of steps/steps.json.
	for _, body := range parseModule(t, ".") {
		for _, b := range body.Blocks {
			if b.Type != "locals" {
				continue
			}
			if a, ok := b.Body.Attributes["steps"]; ok {
				if got := exprText(t, a.Expr); got != "module.definitions.steps" {
					t.Errorf("local.steps = %s, want module.definitions.steps", got)
				}
			}
		}
	}
}

func exprText(t *testing.T, e hclsyntax.Expression) string {
	t.Helper()
	r := e.Range()
	src, err := readRange(r.Filename, r.Start.Byte, r.End.Byte)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(src), "")
}
