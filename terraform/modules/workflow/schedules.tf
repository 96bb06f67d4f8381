# statemachine/<name>.schedule.json: one EventBridge Scheduler schedule per
# entry, starting the workflow through its alias with the entry's input.
# The role they share may start this workflow and nothing else.

resource "aws_iam_role" "scheduler" {
  count = local.scheduling

  name                 = "${local.name}-scheduler-role"
  assume_role_policy   = local.w.scheduler_assume_policy
  permissions_boundary = local.boundary
}

resource "aws_iam_role_policy" "scheduler" {
  count = local.scheduling

  name   = "start-${local.w.name}"
  role   = aws_iam_role.scheduler[0].id
  policy = local.w.scheduler_policy
}

resource "aws_scheduler_schedule" "this" {
  for_each = local.schedules

  name                         = each.value.schedule_name
  group_name                   = "default"
  description                  = "Starts ${local.name} (statemachine/<name>.schedule.json entry ${each.key})."
  schedule_expression          = each.value.expression
  schedule_expression_timezone = each.value.timezone
  state                        = each.value.state
  start_date                   = each.value.start_date
  end_date                     = each.value.end_date

  flexible_time_window {
    mode                      = each.value.flexible_window_minutes == 0 ? "OFF" : "FLEXIBLE"
    maximum_window_in_minutes = each.value.flexible_window_minutes == 0 ? null : each.value.flexible_window_minutes
  }

  target {
    arn      = aws_sfn_alias.live.arn
    role_arn = aws_iam_role.scheduler[0].arn
    input    = each.value.input

    retry_policy {
      maximum_event_age_in_seconds = 86400
      maximum_retry_attempts       = 185
    }
  }

  depends_on = [aws_iam_role_policy.scheduler]
}
