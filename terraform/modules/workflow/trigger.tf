# statemachine/<name>.trigger.json: an EventBridge rule on the bucket's
# Object Created events starts the workflow, with the input transformer of
# <name>.trigger-input.json (or the whole event without one). Events that
# cannot be delivered land in a dead-letter queue with an alarm.

resource "aws_cloudwatch_event_rule" "requests" {
  for_each = local.trigger

  name          = each.value.rule_name
  description   = "Start ${local.name} when a matching object is created in the bucket."
  event_pattern = each.value.event_pattern
}

resource "aws_iam_role" "events" {
  for_each = local.trigger

  name                 = "${each.value.rule_name}-role"
  assume_role_policy   = local.w.events_assume_policy
  permissions_boundary = local.boundary
}

resource "aws_iam_role_policy" "events" {
  for_each = local.trigger

  name   = "start-${local.w.name}"
  role   = aws_iam_role.events[each.key].id
  policy = local.w.events_target_policy
}

resource "aws_sqs_queue" "trigger_dlq" {
  for_each = local.trigger

  name                      = "${each.value.rule_name}-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue_policy" "trigger_dlq" {
  for_each = local.trigger

  queue_url = aws_sqs_queue.trigger_dlq[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EventBridgeDeadLetters"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.trigger_dlq[each.key].arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.requests[each.key].arn } }
    }]
  })
}

resource "aws_cloudwatch_event_target" "start" {
  for_each = local.trigger

  rule     = aws_cloudwatch_event_rule.requests[each.key].name
  arn      = aws_sfn_state_machine.this.arn
  role_arn = aws_iam_role.events[each.key].arn

  dynamic "input_transformer" {
    for_each = each.value.input_template == null ? [] : [each.value]
    content {
      input_paths    = input_transformer.value.input_paths
      input_template = input_transformer.value.input_template
    }
  }

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 20
  }

  dead_letter_config {
    arn = aws_sqs_queue.trigger_dlq[each.key].arn
  }
}

resource "aws_cloudwatch_metric_alarm" "trigger_dead_letters" {
  for_each = local.trigger

  alarm_name          = "${each.value.rule_name}-dead-letters"
  alarm_description   = "Events for ${local.name} could not start it and went to the dead-letter queue."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.trigger_dlq[each.key].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
}
