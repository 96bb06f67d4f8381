package terraform

import (
	"path/filepath"
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

// TestEveryActivityIsDeployed: the activity resources and their worker
// policies iterate over the definitions module's activities (the
// "activities" of steps/steps.json), there is no other activity, each is
// named as the module names it (the name the local stack gives it and the
// definitions' ARNs carry), and the workflows wait for them.
func TestEveryActivityIsDeployed(t *testing.T) {
	want := map[string]map[string]string{ // type.name → attribute → expression
		"aws_sfn_activity.activity":      {"for_each": "module.definitions.activities", "name": "each.value.name"},
		"aws_iam_policy.activity_worker": {"for_each": "module.definitions.activities", "policy": "each.value.worker_policy"},
	}
	found := map[string]bool{}
	for _, body := range parseModule(t, ".") {
		for _, b := range body.Blocks {
			if b.Type == "module" && b.Labels[0] == "workflow" {
				if d, ok := b.Body.Attributes["depends_on"]; !ok || !strings.Contains(exprText(t, d.Expr), "aws_sfn_activity.activity") {
					t.Errorf("module.workflow does not depend on aws_sfn_activity.activity: a state machine could be created before the activity its definition names")
				}
			}
			if b.Type != "resource" {
				continue
			}
			key := b.Labels[0] + "." + b.Labels[1]
			if b.Labels[0] == "aws_sfn_activity" && want[key] == nil {
				t.Errorf("resource %s: every activity comes from steps/steps.json through aws_sfn_activity.activity", key)
			}
			attrs, ok := want[key]
			if !ok {
				continue
			}
			found[key] = true
			for attr, expr := range attrs {
				a, ok := b.Body.Attributes[attr]
				if !ok {
					t.Errorf("%s has no %s", key, attr)
					continue
				}
				if got := exprText(t, a.Expr); got != expr {
					t.Errorf("%s: %s = %s, want %s", key, attr, got, expr)
				}
			}
		}
	}
	for key := range want {
		if !found[key] {
			t.Errorf("no resource %s", key)
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

// TestEveryWorkflowIsAModuleInstance checks the workflow wiring: the root
// module declares no state machine, rule or schedule of its own; it
// instantiates modules/workflow once per workflow the definitions module
// discovers; and the module publishes versions, starts schedules through the
// alias and creates one schedule per entry of the schedule file.
func TestEveryWorkflowIsAModuleInstance(t *testing.T) {
	var workflowModule *hclsyntax.Block
	for _, body := range parseModule(t, ".") {
		for _, b := range body.Blocks {
			switch {
			case b.Type == "resource" && perWorkflowTypes[b.Labels[0]]:
				t.Errorf("the root module declares %s.%s: per-workflow resources belong in modules/workflow", b.Labels[0], b.Labels[1])
			case b.Type == "module" && b.Labels[0] == "workflow":
				workflowModule = b
			}
		}
	}
	if workflowModule == nil {
		t.Fatal(`no module "workflow" in the root module`)
	}
	for attr, want := range map[string]string{
		"source":   `"./modules/workflow"`,
		"for_each": "module.definitions.workflows",
		"workflow": "each.value",
	} {
		a, ok := workflowModule.Body.Attributes[attr]
		if !ok {
			t.Errorf(`module "workflow" has no %s`, attr)
		} else if got := exprText(t, a.Expr); got != want {
			t.Errorf(`module "workflow": %s = %s, want %s`, attr, got, want)
		}
	}
	want := map[string]map[string]string{ // type.name → attribute → expression
		"aws_sfn_state_machine.this": {"publish": "true", "definition": "local.w.definition"},
		"aws_sfn_alias.live":         {},
		"aws_scheduler_schedule.this": {
			"for_each":            "local.schedules",
			"schedule_expression": "each.value.expression",
		},
		"aws_iam_role_policy.scheduler":      {"policy": "local.w.scheduler_policy"},
		"aws_cloudwatch_event_rule.requests": {"for_each": "local.trigger"},
	}
	found := map[string]*hclsyntax.Block{}
	counts := map[string]int{}
	for _, body := range parseModule(t, filepath.Join("modules", "workflow")) {
		for _, b := range body.Blocks {
			if b.Type == "resource" {
				counts[b.Labels[0]]++
				found[b.Labels[0]+"."+b.Labels[1]] = b
			}
		}
	}
	for addr, attrs := range want {
		b := found[addr]
		if b == nil {
			t.Errorf("modules/workflow has no resource %s", addr)
			continue
		}
		for attr, expr := range attrs {
			a, ok := b.Body.Attributes[attr]
			if !ok {
				t.Errorf("%s has no %s", addr, attr)
			} else if got := exprText(t, a.Expr); got != expr {
				t.Errorf("%s: %s = %s, want %s", addr, attr, got, expr)
			}
		}
	}
	if counts["aws_sfn_state_machine"] != 1 || counts["aws_scheduler_schedule"] != 1 {
		t.Errorf("modules/workflow declares %d state machines and %d schedule blocks; want one of each", counts["aws_sfn_state_machine"], counts["aws_scheduler_schedule"])
	}
	if s := found["aws_scheduler_schedule.this"]; s != nil {
		for _, tb := range s.Body.Blocks {
			if tb.Type == "target" {
				if a, ok := tb.Body.Attributes["arn"]; !ok || exprText(t, a.Expr) != "aws_sfn_alias.live.arn" {
					t.Error("aws_scheduler_schedule.this: target.arn is not aws_sfn_alias.live.arn (schedules start the published version through the alias)")
				}
			}
		}
	}
}

// perWorkflowTypes are the resource types modules/workflow owns.
var perWorkflowTypes = map[string]bool{
	"aws_sfn_state_machine": true, "aws_sfn_alias": true, "aws_scheduler_schedule": true,
	"aws_cloudwatch_event_rule": true, "aws_cloudwatch_event_target": true,
}

// TestMovedBlocksKeepExportResources checks that every moved block of the
// root module names a resource that modules/workflow declares (so an
// existing export deployment keeps its resources instead of destroying and
// recreating them), and that every resource the root module used to declare
// for the export workflow is moved.
func TestMovedBlocksKeepExportResources(t *testing.T) {
	declared := map[string]bool{}
	for _, body := range parseModule(t, filepath.Join("modules", "workflow")) {
		for _, b := range body.Blocks {
			if b.Type == "resource" {
				declared[b.Labels[0]+"."+b.Labels[1]] = true
			}
		}
	}
	moved := map[string]bool{}
	for _, body := range parseModule(t, ".") {
		for _, b := range body.Blocks {
			if b.Type != "moved" {
				continue
			}
			from, to := exprText(t, b.Body.Attributes["from"].Expr), exprText(t, b.Body.Attributes["to"].Expr)
			moved[from] = true
			rest, ok := strings.CutPrefix(to, `module.workflow["export"].`)
			if !ok {
				t.Errorf("moved %s to %s: not into module.workflow[\"export\"]", from, to)
				continue
			}
			if i := strings.IndexByte(rest, '['); i >= 0 {
				rest = rest[:i]
			}
			if !declared[rest] {
				t.Errorf("moved %s to %s: modules/workflow declares no %s", from, to, rest)
			}
			if strings.SplitN(from, ".", 2)[0] != strings.SplitN(rest, ".", 2)[0] {
				t.Errorf("moved %s to %s: the resource type changes", from, to)
			}
		}
	}
	// The export workflow's resources in the root module before issue 13.
	for _, old := range []string{
		"aws_sfn_state_machine.export", "aws_cloudwatch_log_group.states", "aws_iam_role.states",
		"aws_iam_role_policy.states", "aws_cloudwatch_metric_alarm.executions",
		"aws_cloudwatch_event_rule.requests", "aws_iam_role.events", "aws_iam_role_policy.events",
		"aws_sqs_queue.trigger_dlq", "aws_sqs_queue_policy.trigger_dlq",
		"aws_cloudwatch_event_target.start_export", "aws_cloudwatch_metric_alarm.trigger_dead_letters",
	} {
		if !moved[old] {
			t.Errorf("no moved block for %s: an existing deployment would destroy it", old)
		}
	}
}
