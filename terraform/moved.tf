# Before issue 13 the root module deployed the export workflow with its own
# resources. These blocks move them into module.workflow["export"], so an
# existing deployment keeps its state machine, roles, log group, rule, queue
# and alarms (same names: nothing is destroyed or recreated).

moved {
  from = aws_sfn_state_machine.export
  to   = module.workflow["export"].aws_sfn_state_machine.this
}

moved {
  from = aws_cloudwatch_log_group.states
  to   = module.workflow["export"].aws_cloudwatch_log_group.states
}

moved {
  from = aws_iam_role.states
  to   = module.workflow["export"].aws_iam_role.states[0]
}

moved {
  from = aws_iam_role_policy.states
  to   = module.workflow["export"].aws_iam_role_policy.states[0]
}

moved {
  from = aws_cloudwatch_metric_alarm.executions
  to   = module.workflow["export"].aws_cloudwatch_metric_alarm.executions
}

moved {
  from = aws_cloudwatch_event_rule.requests
  to   = module.workflow["export"].aws_cloudwatch_event_rule.requests["s3"]
}

moved {
  from = aws_iam_role.events
  to   = module.workflow["export"].aws_iam_role.events["s3"]
}

moved {
  from = aws_iam_role_policy.events
  to   = module.workflow["export"].aws_iam_role_policy.events["s3"]
}

moved {
  from = aws_sqs_queue.trigger_dlq
  to   = module.workflow["export"].aws_sqs_queue.trigger_dlq["s3"]
}

moved {
  from = aws_sqs_queue_policy.trigger_dlq
  to   = module.workflow["export"].aws_sqs_queue_policy.trigger_dlq["s3"]
}

moved {
  from = aws_cloudwatch_event_target.start_export
  to   = module.workflow["export"].aws_cloudwatch_event_target.start["s3"]
}

moved {
  from = aws_cloudwatch_metric_alarm.trigger_dead_letters
  to   = module.workflow["export"].aws_cloudwatch_metric_alarm.trigger_dead_letters["s3"]
}
