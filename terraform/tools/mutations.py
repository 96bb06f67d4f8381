#!/usr/bin/env python3
# Mutation check of the offline Terraform checks (issues 6 and 13): applies each
# mutation below, one at a time, to a scratch git worktree of HEAD, runs every
# check, and prints which checks caught it. A mutation no check catches is a
# gap. Needs terraform (or tofu) and tflint:
#
#   TERRAFORM_BIN=$(command -v terraform) TFLINT_BIN=$(command -v tflint) python3 terraform/tools/mutations.py
#
# About five minutes on two cores.
import atexit, os, subprocess, sys, tempfile
repo = subprocess.run(['git', 'rev-parse', '--show-toplevel'], capture_output=True, text=True, check=True).stdout.strip()
W = os.path.join(tempfile.mkdtemp(prefix='stepwise-mutations-'), 'wt')
subprocess.run(['git', 'worktree', 'add', '-q', '--detach', W, 'HEAD'], cwd=repo, check=True)
atexit.register(lambda: subprocess.run(['git', 'worktree', 'remove', '--force', W], cwd=repo))
TF = os.environ.get('TERRAFORM_BIN', 'terraform')
TFLINT = os.environ['TFLINT_BIN']
env = dict(os.environ, TF_CLI_CONFIG_FILE='/dev/null', TERRAFORM_BIN=TF)
checks = {
 '1 terraform test': f'cd terraform/modules/definitions && {TF} init -backend=false -input=false >/dev/null && {TF} test',
 '2 render equality (Go, terraform-exec)': 'go test -count=1 ./terraform/ -run TestRenderedDefinitionMatchesLocalStack',
 '3 provider schema (Go)': 'go test -count=1 ./terraform/ -run TestRootModuleMatchesProviderSchema',
 '4 fmt + tflint': f'{TF} fmt -check -recursive terraform && {TFLINT} --chdir=terraform --recursive --format=compact',
 '5 HCL wiring (Go)': "go test -count=1 ./terraform/ -run 'TestEveryStepHasFunctionRoleAndLogGroup|TestEveryActivityIsDeployed'",
 '6 workflow wiring, moved blocks, plan errors (Go)': "go test -count=1 ./terraform/ -run 'TestEveryWorkflowIsAModuleInstance|TestMovedBlocksKeepExportResources|TestInvalidWorkflowFilesFailThePlan'",
}
M = [
 ('ASL placeholder that the module does not fill', 'statemachine/export.asl.json', '${PlanFunctionArn}', '${PlanFunctionARN}'),
 ('a policy grants s3:GetObject on "*"', 'terraform/modules/definitions/workflows.tf', 'Resource = ["${local.bucket_arn}/${local.p.work}*"]\n          },\n          {\n            Sid      = "WriteMapResults"', 'Resource = ["*"]\n          },\n          {\n            Sid      = "WriteMapResults"'),
 ('the state machine role may no longer invoke the functions\' versions/ARNs', 'terraform/modules/definitions/workflows.tf', 'Resource = flatten([for step in local.workflow_steps[n] : [local.function_arns[step], "${local.function_arns[step]}:*"]])', 'Resource = ["arn:aws:lambda:*:*:function:other"]'),
 ('a state machine role may invoke every step, not only those its definition calls', 'terraform/modules/definitions/workflows.tf', 'Resource = flatten([for step in local.workflow_steps[n] : [local.function_arns[step], "${local.function_arns[step]}:*"]])', 'Resource = flatten([for step, arn in local.function_arns : [arn, "${arn}:*"]])'),
 ('a schedule role that may start any state machine', 'terraform/modules/definitions/workflows.tf', 'Resource = [local.machines[n].arn, "${local.machines[n].arn}:live"]', 'Resource = ["${local.arn_prefix}:stateMachine:*"]'),
 ('a workflow whose steps are not in steps.json', 'steps/steps.json', None, None),
 ('a malformed cron expression accepted', 'terraform/modules/definitions/schedules.tf', 'length(regexall("\\\\S+", e.cron)) != 6 ?', 'length(regexall("\\\\S+", e.cron)) < 5 ?'),
 ('a trigger without a workflow accepted', 'terraform/modules/definitions/workflows.tf', 'if !contains(local.workflow_names, n)\n', 'if false\n'),
 ('an unknown argument on aws_scheduler_schedule', 'terraform/modules/workflow/schedules.tf', '  schedule_expression          = each.value.expression\n', '  schedule_expression          = each.value.expression\n  timezone                     = each.value.timezone\n'),
 ('schedules start the unpublished state machine, not the alias', 'terraform/modules/workflow/schedules.tf', 'arn      = aws_sfn_alias.live.arn', 'arn      = aws_sfn_state_machine.this.arn'),
 ('the export deployment loses its trigger target (moved block dropped)', 'terraform/moved.tf', 'moved {\n  from = aws_cloudwatch_event_target.start_export\n  to   = module.workflow["export"].aws_cloudwatch_event_target.start["s3"]\n}\n', ''),
 ('bucket policy no longer TLS-only', 'terraform/modules/definitions/main.tf', '"aws:SecureTransport" = "false"', '"aws:SecureTransport" = "true"'),
 ('account id validation dropped', 'terraform/modules/definitions/variables.tf', None, None),
 ('trust policy without aws:SourceAccount', 'terraform/modules/definitions/main.tf', 'Principal = { Service = "lambda.amazonaws.com" }\n      Action    = "sts:AssumeRole"\n      Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }', 'Principal = { Service = "lambda.amazonaws.com" }\n      Action    = "sts:AssumeRole"\n      Condition = { StringEquals = { "aws:SourceIp" = var.account_id } }'),
 ('cleanup may delete under exports/', 'terraform/modules/definitions/main.tf', 'delete = [local.p.work, local.p.approvals]', 'delete = [local.p.work, local.p.approvals, local.p.exports]'),
 ('module names functions differently from the local stack', 'terraform/modules/definitions/main.tf', 'step => "${var.name_prefix}-${step}"', 'step => "${var.name_prefix}-fn-${step}"'),
 ('local stack names its functions differently', 'local/stack/deploy.go', 'vars := steps.ArnVars(prefix, region, accountID)', 'vars := steps.ArnVars(prefix+"-local", region, accountID)'),
 ('unknown argument on a resource', 'terraform/lambda.tf', '  memory_size      = each.value.memory_mb', '  memory_size      = each.value.memory_mb\n  memory_mb        = 1'),
 ('required argument removed (aws_iam_role.assume_role_policy)', 'terraform/lambda.tf', '  assume_role_policy   = module.definitions.lambda_assume_role_policy\n', ''),
 ('unknown resource type', 'terraform/workflows.tf', None, None),
 ('misformatted HCL', 'terraform/outputs.tf', None, None),
 ('unused variable declared', 'terraform/variables.tf', None, None),
 ('a step without a log group', 'terraform/lambda.tf', 'resource "aws_cloudwatch_log_group" "step" {\n  for_each = local.steps', 'resource "aws_cloudwatch_log_group" "step" {\n  for_each = { for k, v in local.steps : k => v if k != "cleanup" }'),
 ('a function that is not a step', 'terraform/lambda.tf', None, None),
 ('an activity worker may work on every activity', 'terraform/modules/definitions/main.tf', 'Resource = [arn]', 'Resource = ["${local.arn_prefix}:activity:*"]'),
 ('local stack names its activities differently', 'local/lambda/config.go', '":activity:" + prefix + "-" + name', '":activity:" + prefix + "-act-" + name'),
 ('an activity steps.json lists is not deployed', 'terraform/activities.tf', 'for_each = module.definitions.activities\n\n  name = each.value.name', 'for_each = { for a, v in module.definitions.activities : a => v if a != "encode" }\n\n  name = each.value.name'),
 ('decision function allowed states:*', 'terraform/modules/definitions/approval.tf', 'Action   = ["states:SendTaskSuccess"]', 'Action   = ["states:*"]'),
 ('function URL without the signature check configured', 'terraform/modules/definitions/approval.tf', '    approval = {\n      STEPWISE_APPROVAL_KEY_PARAMETER = local.approval.key_parameter_name\n    }\n', '    approval = {}\n'),
]
def special(name, path, s):
    if name.startswith('account id validation'):
        i = s.index('variable "account_id"'); j = s.index('validation {', i); k = s.index('\n  }\n', j) + 4
        return s[:j] + s[k:]
    if name.startswith('a workflow whose steps'):
        # Drop the plan step: statemachine/export.asl.json still calls ${PlanFunctionArn}.
        return ''.join(l for l in s.splitlines(True) if not l.lstrip().startswith('"plan":'))
    if name.startswith('unknown resource type'):
        return s + '\nresource "aws_sfn_state_machinee" "typo" {\n  name = "x"\n}\n'
    if name.startswith('misformatted'):
        return s.replace(' = ', '   =   ', 1)
    if name.startswith('unused variable'):
        return s + '\nvariable "never_used" {\n  type        = string\n  description = "unused"\n  default     = ""\n}\n'
    if name.startswith('a function that is not a step'):
        return s + '\nresource "aws_lambda_function" "extra" {\n  function_name = "stray"\n  role          = aws_iam_role.step["plan"].arn\n  runtime       = module.definitions.runtime\n  handler       = "stray"\n  filename      = var.lambda_zip\n}\n'
    return None
results = []
for name, path, old, new in M:
    subprocess.run(['git', 'checkout', '-q', '--', '.'], cwd=W, check=True)
    p = os.path.join(W, path); s = open(p).read()
    if old is None:
        t = special(name, path, s)
        if t is None or t == s:
            results.append((name, 'MUTATION NOT APPLIED')); print(f'{name}: MUTATION NOT APPLIED', flush=True); continue
    else:
        if old not in s:
            results.append((name, 'MUTATION NOT APPLIED')); print(f'{name}: MUTATION NOT APPLIED', flush=True); continue
        t = s.replace(old, new, 1)
    open(p, 'w').write(t)
    caught = []
    for cname, cmd in checks.items():
        r = subprocess.run(cmd, shell=True, cwd=W, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            caught.append(cname)
    results.append((name, ', '.join(caught) or 'NOT CAUGHT'))
    print(f'{name}: {results[-1][1]}', flush=True)
subprocess.run(['git', 'checkout', '-q', '--', '.'], cwd=W, check=True)
# Baseline: every check passes on the unmutated tree.
ok = True
for cname, cmd in checks.items():
    r = subprocess.run(cmd, shell=True, cwd=W, env=env, capture_output=True, text=True)
    print('unmutated:', cname, 'passes' if r.returncode == 0 else 'FAILS:\n' + r.stdout[-2000:] + r.stderr[-2000:])
    ok = ok and r.returncode == 0
missed = [n for n, c in results if c in ('NOT CAUGHT', 'MUTATION NOT APPLIED')]
sys.exit(0 if ok and not missed else 1)
