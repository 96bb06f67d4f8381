output "state_machine_arn" {
  description = "ARN of the workflow's state machine."
  value       = aws_sfn_state_machine.this.arn
}

output "alias_arn" {
  description = "ARN of the alias \"live\" (the newest published version); start executions through it."
  value       = aws_sfn_alias.live.arn
}

output "version_arn" {
  description = "ARN of the newest published version."
  value       = aws_sfn_state_machine.this.state_machine_version_arn
}

output "log_group" {
  description = "CloudWatch Logs group with the execution logs."
  value       = aws_cloudwatch_log_group.states.name
}

output "rule_name" {
  description = "EventBridge rule of the S3 trigger, or null without a trigger file."
  value       = try(aws_cloudwatch_event_rule.requests["s3"].name, null)
}

output "dead_letter_queue_url" {
  description = "SQS queue holding trigger events that could not start the workflow, or null without a trigger file."
  value       = try(aws_sqs_queue.trigger_dlq["s3"].url, null)
}

output "schedule_names" {
  description = "EventBridge Scheduler schedules, keyed by their name in the schedule file."
  value       = { for k, s in aws_scheduler_schedule.this : k => s.name }
}
