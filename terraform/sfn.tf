resource "aws_cloudwatch_log_group" "states" {
  name              = module.definitions.state_machine_log_group
  retention_in_days = var.log_retention_days
}

resource "aws_iam_role" "states" {
  name               = "${module.definitions.state_machine_name}-role"
  assume_role_policy = module.definitions.states_assume_role_policy
}

resource "aws_iam_role_policy" "states" {
  name   = "invoke-steps-map-runs-logs"
  role   = aws_iam_role.states.id
  policy = module.definitions.state_machine_policy
}

resource "aws_sfn_state_machine" "export" {
  name       = module.definitions.state_machine_name
  type       = "STANDARD"
  role_arn   = aws_iam_role.states.arn
  definition = module.definitions.definition

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.states.arn}:*"
    include_execution_data = true
    level                  = var.state_machine_log_level
  }

  tracing_configuration {
    enabled = true
  }

  # The definition names the functions by ARN: they must exist first.
  depends_on = [aws_iam_role_policy.states, aws_lambda_function.step]
}
