output "workflows" {
  description = "Every workflow of statemachine/, keyed by name: its names, ARNs, rendered definition, the steps it calls, trigger, schedules and every policy document. The plan fails here, with every problem listed, when the workflow files are invalid."
  value       = local.workflows

  precondition {
    condition     = length(local.problems) == 0
    error_message = "The workflow files are invalid (fix each file named below, then plan again):\n${join("\n", local.problems)}"
  }
}

output "problems" {
  description = "Every problem found in the workflow files and steps/steps.json, as \"<file>: <json pointer>: <message>\"; empty when they are valid."
  value       = local.problems
}

output "template_vars" {
  description = "The placeholder values used to render the definitions (the local stack fills the same names)."
  value       = local.template_vars
}

output "steps" {
  description = "Step settings from steps/steps.json, keyed by handler name."
  value       = local.steps
}

output "runtime" {
  description = "Lambda runtime for every step (from steps/steps.json)."
  value       = local.settings.runtime
}

output "architecture" {
  description = "Lambda architecture for every step (from steps/steps.json)."
  value       = local.settings.architecture
}

output "function_names" {
  description = "Lambda function name per step."
  value       = local.function_names
}

output "function_arns" {
  description = "Lambda function ARN per step, computed from its name."
  value       = local.function_arns
}

output "activities" {
  description = "Activities of steps/steps.json, keyed by name: the activity's name (<prefix>-<name>), ARN, description and the policy its workers need."
  value = {
    for a, s in local.activities : a => {
      name          = local.activity_names[a]
      arn           = local.activity_arns[a]
      description   = try(s.description, "")
      worker_policy = local.activity_worker_policies[a]
    }
  }
}

output "lambda_assume_role_policy" {
  description = "Trust policy for the step roles."
  value       = local.lambda_assume_role_policy
}

output "step_policies" {
  description = "Permissions of each step's role, keyed by step."
  value       = local.step_policies
}

output "bucket_policy" {
  description = "The bucket policy (TLS only)."
  value       = local.bucket_policy
}

output "resourceless_actions" {
  description = "Actions granted on \"*\" because AWS documents no resource-level permissions for them, with the reason."
  value       = local.resourceless_actions
}

output "prefixes" {
  description = "S3 key prefixes used by the workflows."
  value       = var.prefixes
}
