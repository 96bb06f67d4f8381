# Human approval without a terminal (issue 16): names, ARNs, the extra
# environment and the extra permissions of the approval decision page (step
# "approval", behind a Lambda function URL) and of requestapproval, which
# notifies approvers. The root module creates the topic, the key parameter,
# the URL parameter and the function URL with these names.

locals {
  approval = {
    topic_name          = "${var.name_prefix}-approvals"
    topic_arn           = "arn:${var.partition}:sns:${var.region}:${var.account_id}:${var.name_prefix}-approvals"
    key_parameter_name  = "/${var.name_prefix}/approval/key"
    key_parameter_arn   = "arn:${var.partition}:ssm:${var.region}:${var.account_id}:parameter/${var.name_prefix}/approval/key"
    url_parameter_name  = "/${var.name_prefix}/approval/url"
    url_parameter_arn   = "arn:${var.partition}:ssm:${var.region}:${var.account_id}:parameter/${var.name_prefix}/approval/url"
    auth_type           = var.approval_auth_type
    deployed            = contains(keys(local.steps), "approval")
    decided_by_machines = [for n, steps in local.workflow_steps : local.machines[n].arn if contains(steps, "requestapproval")]
  }

  # Extra environment per step, merged into the functions' environment by
  # the root module. The page refuses to start without its key parameter:
  # it never serves a link it cannot check.
  step_environment = {
    approval = {
      STEPWISE_APPROVAL_KEY_PARAMETER = local.approval.key_parameter_name
    }
    requestapproval = {
      STEPWISE_APPROVAL_KEY_PARAMETER = local.approval.key_parameter_name
      STEPWISE_APPROVAL_URL_PARAMETER = local.approval.url_parameter_name
      STEPWISE_APPROVAL_TOPIC_ARN     = local.approval.topic_arn
    }
  }

  # Extra statements per step, beside its S3 access.
  step_extra_statements = {
    # The decision page reads its key and answers task tokens of the state
    # machines that wait for approval; nothing else (S3: see the access table).
    approval = concat(
      [{
        Sid      = "ReadApprovalKey"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter"]
        Resource = [local.approval.key_parameter_arn]
      }],
      length(local.approval.decided_by_machines) == 0 ? [] : [{
        Sid      = "AnswerApprovalTasks"
        Effect   = "Allow"
        Action   = ["states:SendTaskSuccess"]
        Resource = local.approval.decided_by_machines
      }],
    )
    requestapproval = [
      {
        Sid      = "ReadApprovalKeyAndURL"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter"]
        Resource = [local.approval.key_parameter_arn, local.approval.url_parameter_arn]
      },
      {
        Sid      = "NotifyApprovers"
        Effect   = "Allow"
        Action   = ["sns:Publish"]
        Resource = [local.approval.topic_arn]
      },
    ]
  }
}

output "approval" {
  description = "Names and ARNs of the approval notification topic, the signing key and URL parameters, and the function URL's auth type."
  value       = local.approval
}

output "step_environment" {
  description = "Extra environment variables per step (approval settings), merged into each function's environment."
  value       = local.step_environment
}
