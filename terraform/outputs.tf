output "region" {
  description = "Region the workflow runs in."
  value       = var.region
}

output "state_machine_arn" {
  description = "ARN of the export state machine (the runner's --state-machine default)."
  value       = aws_sfn_state_machine.export.arn
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
  description = "CloudWatch Logs group with the execution logs."
  value       = aws_cloudwatch_log_group.states.name
}

output "trigger_dead_letter_queue_url" {
  description = "SQS queue that holds export requests EventBridge could not start."
  value       = aws_sqs_queue.trigger_dlq.url
}

output "alarm_topic_arn" {
  description = "SNS topic that receives the alarms."
  value       = aws_sns_topic.alarms.arn
}
