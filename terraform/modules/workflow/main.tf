locals {
  w          = var.workflow
  name       = var.workflow.state_machine_name
  boundary   = var.permissions_boundary_arn == "" ? null : var.permissions_boundary_arn
  own_role   = var.role_arn == "" ? 1 : 0
  trigger    = { for k, t in { s3 = var.workflow.trigger } : k => t if t != null }
  schedules  = var.workflow.schedules
  scheduling = length(var.workflow.schedules) > 0 ? 1 : 0
}

resource "aws_cloudwatch_log_group" "states" {
  name              = local.w.log_group
  retention_in_days = var.log_retention_days
}

resource "aws_iam_role" "states" {
  count = local.own_role

  name                 = "${local.name}-role"
  assume_role_policy   = local.w.states_assume_policy
  permissions_boundary = local.boundary
}

resource "aws_iam_role_policy" "states" {
  count = local.own_role

  name   = "invoke-steps-map-runs-logs"
  role   = aws_iam_role.states[0].id
  policy = local.w.state_machine_policy
}

# publish = true: each change of the definition publishes a version; the
# alias "live" points at the newest, and the runner and the schedules start
# executions through it.
resource "aws_sfn_state_machine" "this" {
  name       = local.name
  type       = "STANDARD"
  role_arn   = var.role_arn == "" ? aws_iam_role.states[0].arn : var.role_arn
  definition = local.w.definition
  publish    = true

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.states.arn}:*"
    include_execution_data = true
    level                  = var.log_level
  }

  tracing_configuration {
    enabled = true
  }

  depends_on = [aws_iam_role_policy.states]
}

resource "aws_sfn_alias" "live" {
  name        = local.w.alias_name
  description = "The newest published version of ${local.name}."

  routing_configuration {
    state_machine_version_arn = aws_sfn_state_machine.this.state_machine_version_arn
    weight                    = 100
  }
}

resource "aws_cloudwatch_metric_alarm" "executions" {
  for_each = {
    failed    = { metric = "ExecutionsFailed", what = "failed" }
    timed-out = { metric = "ExecutionsTimedOut", what = "timed out" }
  }

  alarm_name          = "${local.name}-executions-${each.key}"
  alarm_description   = "An execution of ${local.name} ${each.value.what}."
  namespace           = "AWS/States"
  metric_name         = each.value.metric
  dimensions          = { StateMachineArn = aws_sfn_state_machine.this.arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
}
