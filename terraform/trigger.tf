# An export request object landing under requests/ starts an export. The
# pattern and the input transformer come from the same files the local
# trigger reads.

resource "aws_cloudwatch_event_rule" "requests" {
  name          = module.definitions.rule_name
  description   = "Start a Stepwise export when a request object lands under ${local.prefixes.requests}."
  event_pattern = module.definitions.event_pattern
}

resource "aws_iam_role" "events" {
  name               = "${module.definitions.rule_name}-role"
  assume_role_policy = module.definitions.events_assume_role_policy
}

resource "aws_iam_role_policy" "events" {
  name   = "start-export"
  role   = aws_iam_role.events.id
  policy = module.definitions.events_target_policy
}

resource "aws_sqs_queue" "trigger_dlq" {
  name                      = "${module.definitions.rule_name}-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue_policy" "trigger_dlq" {
  queue_url = aws_sqs_queue.trigger_dlq.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EventBridgeDeadLetters"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.trigger_dlq.arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.requests.arn } }
    }]
  })
}

resource "aws_cloudwatch_event_target" "start_export" {
  rule     = aws_cloudwatch_event_rule.requests.name
  arn      = aws_sfn_state_machine.export.arn
  role_arn = aws_iam_role.events.arn

  input_transformer {
    input_paths    = module.definitions.input_paths
    input_template = module.definitions.input_template
  }

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 20
  }

  dead_letter_config {
    arn = aws_sqs_queue.trigger_dlq.arn
  }
}
