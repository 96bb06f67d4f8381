output "region" {
  description = "Region the workflow runs in."
  value       = var.region
}

output "state_machine_arn" {
  description = "ARN of the export state machine (the runner's --state-machine default); null without statemachine/export.asl.json."
  value       = try(module.workflow["export"].state_machine_arn, null)
}

output "workflows" {
  description = "Every deployed workflow, keyed by name: state machine and alias ARNs, log group, trigger rule and dead-letter queue, schedules."
  value = {
    for name, w in module.workflow : name => {
      state_machine_arn     = w.state_machine_arn
      alias_arn             = w.alias_arn
      version_arn           = w.version_arn
      log_group             = w.log_group
      rule_name             = w.rule_name
      dead_letter_queue_url = w.dead_letter_queue_url
      schedules             = w.schedule_names
      steps                 = module.definitions.workflows[name].steps
      activities            = module.definitions.workflows[name].activities
    }
  }
}

output "activities" {
  description = "Activities of steps/steps.json, keyed by name: the ARN a worker polls and the IAM policy to attach to the worker's role."
  value = {
    for a, act in aws_sfn_activity.activity : a => {
      arn               = act.id
      worker_policy_arn = aws_iam_policy.activity_worker[a].arn
    }
  }
}

output "bucket" {
  description = "Export bucket: requests, uploads, work files, approvals and exports."
  value       = aws_s3_bucket.exports.id
}

output "prefixes" {
  description = "S3 key prefixes used by the workflow."
  value       = local.prefixes
}

output "function_names" {
  description = "Lambda function name per step."
  value       = { for step, fn in aws_lambda_function.step : step => fn.function_name }
}

output "state_machine_log_group" {
  description = "CloudWatch Logs group with the export workflow's execution logs."
  value       = try(module.workflow["export"].log_group, null)
}

output "trigger_dead_letter_queue_url" {
  description = "SQS queue that holds export requests EventBridge could not start."
  value       = try(module.workflow["export"].dead_letter_queue_url, null)
}

output "alarm_topic_arn" {
  description = "SNS topic that receives the alarms."
  value       = aws_sns_topic.alarms.arn
}

output "approval_topic_arn" {
  description = "SNS topic of approval notifications: subscribe e-mail (approval_email_subscriptions) or other endpoints (chat webhooks, queues) to it."
  value       = aws_sns_topic.approvals.arn
}

output "approval_url" {
  description = "Base URL of the approval decision page (the approval function's URL); null when steps.json has no approval step."
  value       = try(aws_lambda_function_url.approval[0].function_url, null)
}
