# One function per step, all from the same reproducible zip; the handler
# field names the step. Memory and timeout come from steps/steps.json, the
# file the local Lambda runtime reads too.

resource "aws_iam_role" "step" {
  for_each = local.steps

  name                 = "${module.definitions.function_names[each.key]}-role"
  assume_role_policy   = module.definitions.lambda_assume_role_policy
  permissions_boundary = var.permissions_boundary_arn == "" ? null : var.permissions_boundary_arn
}

resource "aws_iam_role_policy" "step" {
  for_each = local.steps

  name   = "s3-prefixes-logs-tracing"
  role   = aws_iam_role.step[each.key].id
  policy = module.definitions.step_policies[each.key]
}

resource "aws_cloudwatch_log_group" "step" {
  for_each = local.steps

  name              = "/aws/lambda/${module.definitions.function_names[each.key]}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "step" {
  for_each = local.steps

  function_name    = module.definitions.function_names[each.key]
  description      = each.value.description
  role             = aws_iam_role.step[each.key].arn
  runtime          = module.definitions.runtime
  architectures    = [module.definitions.architecture]
  handler          = each.key
  filename         = var.lambda_zip
  source_code_hash = filebase64sha256(var.lambda_zip)
  memory_size      = each.value.memory_mb
  timeout          = each.value.timeout_seconds

  environment {
    variables = merge({
      STEPWISE_BUCKET           = aws_s3_bucket.exports.id
      STEPWISE_PREFIX_REQUESTS  = local.prefixes.requests
      STEPWISE_PREFIX_UPLOADS   = local.prefixes.uploads
      STEPWISE_PREFIX_WORK      = local.prefixes.work
      STEPWISE_PREFIX_APPROVALS = local.prefixes.approvals
      STEPWISE_PREFIX_EXPORTS   = local.prefixes.exports
    }, lookup(module.definitions.step_environment, each.key, {}))
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.step[each.key].name
  }

  depends_on = [aws_iam_role_policy.step, aws_cloudwatch_log_group.step]
}
