locals {
  # The checkout the workflow files are read from: statemachine/ and
  # steps/steps.json, the same files the local stack reads.
  repo_root  = var.repo_dir != "" ? var.repo_dir : "${path.module}/../../.."
  steps_file = "${local.repo_root}/steps/steps.json"

  settings = jsondecode(file(local.steps_file))
  steps    = local.settings.steps

  # Names and ARNs are computed from names, never read back from resources:
  # the state machine's role must name the functions and the state machine
  # itself (Distributed Map starts child executions of it) before either exists.
  function_names = { for step, _ in local.steps : step => "${var.name_prefix}-${step}" }
  function_arns  = { for step, name in local.function_names : step => "arn:${var.partition}:lambda:${var.region}:${var.account_id}:function:${name}" }

  bucket_arn         = "arn:${var.partition}:s3:::${var.bucket_name}"
  source_bucket_arns = [for b in var.source_bucket_names : "arn:${var.partition}:s3:::${b}"]

  # Activities (steps.json "activities"): steps that run as workers of
  # one's own, polling Step Functions, for work longer than Lambda's 15
  # minutes. Named <prefix>-<name>; ARNs computed from names, as for the
  # functions.
  activities     = try(local.settings.activities, {})
  activity_names = { for a, _ in local.activities : a => "${var.name_prefix}-${a}" }
  activity_arns  = { for a, name in local.activity_names : a => "arn:${var.partition}:states:${var.region}:${var.account_id}:activity:${name}" }

  # The same placeholders the local stack fills (statemachine.Render).
  template_vars = merge(
    { for step, s in local.steps : s.arn_placeholder => local.function_arns[step] },
    { for a, s in local.activities : s.arn_placeholder => local.activity_arns[a] if try(s.arn_placeholder, "") != "" },
    { BucketName = var.bucket_name },
  )

  # What a worker of an activity may do: take its tasks and answer them
  # (the developer guide's activity-level permissions), on that activity
  # only. Attach it to the worker's role (an ECS task role, an instance
  # profile).
  activity_worker_policies = {
    for a, arn in local.activity_arns : a => jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Sid      = "WorkOnActivity"
        Effect   = "Allow"
        Action   = ["states:GetActivityTask", "states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"]
        Resource = [arn]
      }]
    })
  }

  # Which prefixes each step may read, write, delete and list. This table is
  # the whole S3 permission model; everything below is derived from it.
  p = var.prefixes
  step_s3_access = {
    plan = {
      read   = [local.p.requests, local.p.uploads]
      write  = [local.p.work]
      delete = []
      list   = [local.p.uploads]
    }
    exportpart = {
      read   = [local.p.uploads, local.p.work]
      write  = [local.p.work]
      delete = []
      list   = []
    }
    merge = {
      read   = [local.p.work]
      write  = [local.p.work]
      delete = []
      list   = [local.p.work]
    }
    # The decision page reads pending and decided records and keeps its
    # receipts under approvals/decisions/; it cannot touch anything else.
    approval = {
      read   = ["${local.p.approvals}pending/", "${local.p.approvals}decided/", "${local.p.approvals}decisions/"]
      write  = ["${local.p.approvals}decisions/"]
      delete = []
      list   = []
    }
    # requestapproval reads the plan and merge result, writes the pending
    # record and the outbox, and reads the pending record back for the
    # reminder (renewing its token) and the expiry notice.
    requestapproval = {
      read   = [local.p.work, "${local.p.approvals}pending/"]
      write  = [local.p.approvals]
      delete = []
      list   = []
    }
    publish = {
      read   = [local.p.work, local.p.approvals]
      write  = [local.p.exports, local.p.approvals]
      delete = [local.p.approvals]
      list   = []
    }
    # cleanup may delete work files and pending approvals, and nothing under
    # exports/: a published export is out of its reach by construction.
    cleanup = {
      read   = [local.p.work]
      write  = []
      delete = [local.p.work, local.p.approvals]
      list   = [local.p.work, local.p.approvals]
    }
  }
  # A step the table does not name (a team's own step) gets the access
  # var.step_s3_access gives it (lists of prefix keys: requests, uploads,
  # work, approvals, exports), or by default: read uploads/ and work/, write
  # work/, list uploads/ and work/.
  default_s3_access = { read = ["uploads", "work"], write = ["work"], delete = [], list = ["uploads", "work"] }
  s3_access = {
    for step, s in local.steps : step => lookup(local.step_s3_access, step, {
      for op, dflt in local.default_s3_access : op => [
        for k in try(coalesce(var.step_s3_access[step][op], dflt), dflt) : var.prefixes[k] if contains(keys(var.prefixes), k)
      ]
    })
  }
  # Steps that read export sources may also read the extra source buckets.
  source_readers = concat(["plan", "exportpart"], [for step, a in var.step_s3_access : step if a.source_buckets])
  step_problems = concat(
    flatten([
      for step, a in var.step_s3_access : [
        for op in keys(local.default_s3_access) : [
          for i, k in coalesce(a[op], []) :
          "step_s3_access: [\"${step}\"].${op}[${i}]: unknown prefix key ${jsonencode(k)}; want one of ${join(", ", keys(var.prefixes))}"
          if !contains(keys(var.prefixes), k)
        ]
      ]
    ]),
    [for step, _ in var.step_s3_access : "step_s3_access: [\"${step}\"]: no step ${step} in steps/steps.json" if !contains(keys(local.steps), step)],
    [for a, s in local.activities : "steps/steps.json: /activities/${a}/arn_placeholder: missing" if try(s.arn_placeholder, "") == ""],
    [for a, name in local.activity_names : "steps/steps.json: /activities/${a}: the activity name ${name} is longer than 80 characters; use a shorter name or name_prefix" if length(name) > 80],
    [for step, _ in var.step_s3_access : "step_s3_access: [\"${step}\"]: the built-in step ${step} has a fixed access table in modules/definitions/main.tf" if contains(keys(local.step_s3_access), step)],
  )

  kms_statements = var.kms_key_arn == "" ? [] : [{
    Sid      = "UseBucketKey"
    Effect   = "Allow"
    Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
    Resource = [var.kms_key_arn]
  }]

  # Actions AWS documents as supporting no resource-level permissions: they
  # must be granted on "*". Anything else granted on "*" is a bug (the tests
  # check this list against every policy).
  resourceless_actions = {
    "xray:PutTraceSegments"         = "X-Ray has no resource types for trace submission"
    "xray:PutTelemetryRecords"      = "X-Ray has no resource types for telemetry"
    "xray:GetSamplingRules"         = "sampling rules are read account-wide"
    "xray:GetSamplingTargets"       = "sampling targets are read account-wide"
    "logs:CreateLogDelivery"        = "Step Functions log delivery: CloudWatch Logs vended-log APIs take no resource"
    "logs:GetLogDelivery"           = "Step Functions log delivery"
    "logs:UpdateLogDelivery"        = "Step Functions log delivery"
    "logs:DeleteLogDelivery"        = "Step Functions log delivery"
    "logs:ListLogDeliveries"        = "Step Functions log delivery"
    "logs:PutResourcePolicy"        = "Step Functions log delivery sets the log group resource policy"
    "logs:DescribeResourcePolicies" = "Step Functions log delivery"
    "logs:DescribeLogGroups"        = "Step Functions log delivery"
  }
  xray_actions = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
  log_delivery_actions = [
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
  ]
}

locals {
  lambda_assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
    }]
  })

  step_policies = {
    for step, access in local.s3_access : step => jsonencode({
      Version = "2012-10-17"
      Statement = concat(
        [{
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = ["arn:${var.partition}:logs:${var.region}:${var.account_id}:log-group:/aws/lambda/${local.function_names[step]}:*"]
        }],
        length(access.read) == 0 ? [] : [{
          Sid      = "ReadOwnPrefixes"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:GetObjectVersion"]
          Resource = [for p in access.read : "${local.bucket_arn}/${p}*"]
        }],
        length(access.write) == 0 ? [] : [{
          Sid      = "WriteOwnPrefixes"
          Effect   = "Allow"
          Action   = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
          Resource = [for p in access.write : "${local.bucket_arn}/${p}*"]
        }],
        length(access.delete) == 0 ? [] : [{
          Sid      = "DeleteOwnPrefixes"
          Effect   = "Allow"
          Action   = ["s3:DeleteObject"]
          Resource = [for p in access.delete : "${local.bucket_arn}/${p}*"]
        }],
        length(access.list) == 0 ? [] : [{
          Sid       = "ListOwnPrefixes"
          Effect    = "Allow"
          Action    = ["s3:ListBucket"]
          Resource  = [local.bucket_arn]
          Condition = { StringLike = { "s3:prefix" = [for p in access.list : "${p}*"] } }
        }],
        contains(local.source_readers, step) && length(local.source_bucket_arns) > 0 ? [{
          Sid      = "ReadSourceBuckets"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]
          Resource = concat(local.source_bucket_arns, [for arn in local.source_bucket_arns : "${arn}/*"])
        }] : [],
        [{
          Sid      = "Tracing"
          Effect   = "Allow"
          Action   = local.xray_actions
          Resource = ["*"]
        }],
        local.kms_statements,
        lookup(local.step_extra_statements, step, []),
      )
    })
  }

  bucket_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [local.bucket_arn, "${local.bucket_arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}
