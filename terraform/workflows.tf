# Every workflow of statemachine/ (the definitions module discovers them
# with fileset) becomes one instance of modules/workflow: a state machine
# <prefix>-<name> with its role, log group, alias "live" and alarms, plus
# the EventBridge rule of its trigger file and the schedules of its schedule
# file. Adding statemachine/<name>.asl.json adds a workflow; no .tf file
# changes.
module "workflow" {
  source   = "./modules/workflow"
  for_each = module.definitions.workflows

  workflow                 = each.value
  log_retention_days       = var.log_retention_days
  log_level                = var.state_machine_log_level
  alarm_topic_arn          = aws_sns_topic.alarms.arn
  role_arn                 = var.state_machine_role_arn
  permissions_boundary_arn = var.permissions_boundary_arn

  # The definitions name the functions and activities by ARN: they must
  # exist first.
  depends_on = [aws_lambda_function.step, aws_sfn_activity.activity]
}
