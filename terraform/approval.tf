# Human approval without a terminal (issue 16). Names, ARNs and policies
# come from module.definitions (modules/definitions/approval.tf).

resource "aws_sns_topic" "approvals" {
  name = module.definitions.approval.topic_name
}

resource "aws_sns_topic_subscription" "approval_email" {
  for_each = toset(var.approval_email_subscriptions)

  topic_arn = aws_sns_topic.approvals.arn
  protocol  = "email"
  endpoint  = each.value
}

# The signing key of the decision links. The hashicorp/random provider's
# schema is not available where these checks run offline, so the key comes
# from Secrets Manager's GetRandomPassword through the aws provider. A data
# source is read again on every plan: ignore_changes keeps the first value,
# and `terraform apply -replace=aws_ssm_parameter.approval_key` rotates it.
# The value is in the Terraform state, like any SSM value Terraform writes:
# keep the state encrypted and access-controlled.
data "aws_secretsmanager_random_password" "approval_key" {
  password_length     = 64
  exclude_punctuation = true
}

resource "aws_ssm_parameter" "approval_key" {
  name        = module.definitions.approval.key_parameter_name
  description = "Signing key of the approval decision links (base64). Rotating it invalidates every link already sent."
  type        = "SecureString"
  value       = base64encode(data.aws_secretsmanager_random_password.approval_key.random_password)

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_lambda_function_url" "approval" {
  count = module.definitions.approval.deployed ? 1 : 0

  function_name      = aws_lambda_function.step["approval"].function_name
  authorization_type = var.approval_auth_type
}

# With AuthType NONE anyone may call the URL; the page itself checks each
# link's signature, expiry and the form token.
resource "aws_lambda_permission" "approval_url" {
  count = module.definitions.approval.deployed && var.approval_auth_type == "NONE" ? 1 : 0

  statement_id           = "PublicApprovalPage"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.step["approval"].function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}

# Function URLs created since October 2025 also need lambda:InvokeFunction
# (AWS Lambda guide, "Control access to Lambda function URLs"). AWS's example
# conditions it on lambda:InvokedViaFunctionUrl; the provider schema these
# checks pin (hashicorp/aws 6.25) has no argument for that condition, so the
# grant is unconditioned: any AWS principal may also invoke the function
# directly, which exposes nothing the public URL does not (the handler only
# serves function URL requests, and checks every link).
resource "aws_lambda_permission" "approval_invoke" {
  count = module.definitions.approval.deployed && var.approval_auth_type == "NONE" ? 1 : 0

  statement_id  = "PublicApprovalPageInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.step["approval"].function_name
  principal     = "*"
}

# The functions read the page's URL from here (their environment cannot
# name the URL of a function created with them).
resource "aws_ssm_parameter" "approval_url" {
  count = module.definitions.approval.deployed ? 1 : 0

  name  = module.definitions.approval.url_parameter_name
  type  = "String"
  value = aws_lambda_function_url.approval[0].function_url
}
