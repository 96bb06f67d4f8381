output "definition" {
  description = "The state machine definition: statemachine/export.asl.json with every placeholder filled."
  value       = local.definition
}

output "template_vars" {
  description = "The placeholder values used to render the definition (the local stack fills the same names)."
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

output "state_machine_name" {
  description = "Name of the export state machine."
  value       = local.state_machine_name
}

output "state_machine_arn" {
  description = "ARN of the export state machine, computed from its name."
  value       = local.state_machine_arn
}

output "state_machine_log_group" {
  description = "CloudWatch Logs group for the state machine's execution logs."
  value       = local.state_machine_log_group
}

output "rule_name" {
  description = "Name of the EventBridge rule that starts exports."
  value       = local.rule_name
}

output "lambda_assume_role_policy" {
  description = "Trust policy for the step roles."
  value       = local.lambda_assume_role_policy
}

output "states_assume_role_policy" {
  description = "Trust policy for the state machine role."
  value       = local.states_assume_role_policy
}

output "events_assume_role_policy" {
  description = "Trust policy for the EventBridge target role."
  value       = local.events_assume_role_policy
}

output "state_machine_policy" {
  description = "Permissions of the state machine role."
  value       = local.state_machine_policy
}

output "step_policies" {
  description = "Permissions of each step's role, keyed by step."
  value       = local.step_policies
}

output "events_target_policy" {
  description = "Permissions of the EventBridge target role."
  value       = local.events_target_policy
}

output "bucket_policy" {
  description = "The bucket policy (TLS only)."
  value       = local.bucket_policy
}

output "event_pattern" {
  description = "The EventBridge pattern for export requests in this bucket."
  value       = local.event_pattern
}

output "input_paths" {
  description = "EventBridge input transformer paths (from statemachine/export.trigger-input.json)."
  value       = local.trigger_input.input_paths
}

output "input_template" {
  description = "EventBridge input transformer template (from statemachine/export.trigger-input.json)."
  value       = local.trigger_input.input_template
}

output "resourceless_actions" {
  description = "Actions granted on \"*\" because AWS documents no resource-level permissions for them, with the reason."
  value       = local.resourceless_actions
}

output "prefixes" {
  description = "S3 key prefixes used by the workflow."
  value       = var.prefixes
}
