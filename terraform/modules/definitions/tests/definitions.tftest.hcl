# Offline checks of everything the deployment computes. No provider is
# needed: run with `terraform test` (or `tofu test`) in modules/definitions.

variables {
  region      = "eu-west-1"
  account_id  = "123456789012"
  bucket_name = "stepwise-exports-example"
}

run "definitions_are_rendered_json" {
  command = plan

  assert {
    condition     = length(output.workflows) > 0 && alltrue([for w in values(output.workflows) : can(jsondecode(w.definition))])
    error_message = "a rendered definition is not valid JSON (or there is no workflow)"
  }
  assert {
    condition     = alltrue([for w in values(output.workflows) : !strcontains(w.definition, "$${")])
    error_message = "a rendered definition still contains a $${...} placeholder"
  }
  assert {
    condition     = alltrue([for w in values(output.workflows) : jsondecode(w.definition).StartAt != ""])
    error_message = "a rendered definition has no StartAt"
  }
  assert {
    condition     = contains(keys(output.workflows), "export") && output.workflows["export"].state_machine_name == "stepwise-export"
    error_message = "the export workflow is not deployed as stepwise-export (an existing deployment would lose its state machine)"
  }
  assert {
    condition     = length(output.problems) == 0
    error_message = "the repository's workflow files have problems"
  }
}

run "every_task_resource_is_allowed" {
  command = plan

  assert {
    # Every Resource in each definition (at any depth: Map processors and
    # Parallel branches included) is either a step function ARN its state
    # machine role may invoke, or an integration ARN whose calls the role's
    # other statements cover.
    condition = alltrue(flatten([
      for w in values(output.workflows) : [
        for r in flatten(regexall("\"Resource\"\\s*:\\s*\"([^\"]+)\"", w.definition)) :
        contains(flatten([for s in jsondecode(w.state_machine_policy).Statement : s.Resource if contains(flatten([s.Action]), "lambda:InvokeFunction")]), r)
        || can(regex("^arn:aws:states:::(lambda:invoke(\\.waitForTaskToken)?|s3:getObject|s3:listObjectsV2|s3:putObject)$", r))
      ]
    ]))
    error_message = "a Task/ItemReader/ResultWriter Resource in a definition is not covered by its state machine role"
  }
  assert {
    # lambda:invoke integrations name their function in Parameters/Arguments:
    # each must be one of our functions, and the role must allow invoking it.
    condition = alltrue(flatten([
      for w in values(output.workflows) : [
        for f in flatten(regexall("\"FunctionName\"\\s*:\\s*\"([^\"]+)\"", w.definition)) :
        contains(values(output.function_arns), f)
        && contains(flatten([for s in jsondecode(w.state_machine_policy).Statement : s.Resource if contains(flatten([s.Action]), "lambda:InvokeFunction")]), f)
      ]
    ]))
    error_message = "a lambda:invoke FunctionName is not a deployed step function the state machine role may invoke"
  }
  assert {
    condition     = alltrue([for w in values(output.workflows) : length(regexall("\"FunctionName\\.\\$\"", w.definition)) == 0])
    error_message = "a lambda:invoke FunctionName is computed at run time; the role could not be least-privilege"
  }
}

run "no_wildcard_resources_except_documented" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for doc in concat(
        values(output.step_policies),
        compact(flatten([for w in values(output.workflows) : [w.state_machine_policy, w.events_target_policy, w.scheduler_policy]])),
        ) : [
        for s in jsondecode(doc).Statement : [
          for a in flatten([s.Action]) : contains(keys(output.resourceless_actions), a)
        ] if contains(flatten([s.Resource]), "*")
      ]
    ]))
    error_message = "a policy grants a Resource \"*\" for an action that supports resource-level permissions"
  }
  assert {
    condition = alltrue(flatten([
      for doc in concat(
        values(output.step_policies),
        compact(flatten([for w in values(output.workflows) : [w.state_machine_policy, w.events_target_policy, w.scheduler_policy]])),
        ) : [
        for s in jsondecode(doc).Statement : [
          for a in flatten([s.Action]) : !strcontains(a, "*")
        ]
      ]
    ]))
    error_message = "a policy uses a wildcard action"
  }
}

run "cleanup_cannot_touch_exports" {
  command = plan

  assert {
    condition = alltrue([
      for s in jsondecode(output.step_policies["cleanup"]).Statement : alltrue([
        for r in flatten([s.Resource]) : !strcontains(r, "/${output.prefixes.exports}")
      ])
    ])
    error_message = "the cleanup step's role reaches the exports/ prefix"
  }
}

run "every_step_has_settings_and_policy" {
  command = plan

  assert {
    condition     = keys(output.step_policies) == keys(output.steps)
    error_message = "steps/steps.json and the per-step S3 access table name different steps"
  }
  assert {
    condition     = alltrue([for s in values(output.steps) : s.memory_mb >= 128 && s.memory_mb <= 10240 && s.timeout_seconds >= 1 && s.timeout_seconds <= 900])
    error_message = "a step's memory or timeout is outside Lambda's limits (128-10240 MB, 1-900 s)"
  }
  assert {
    # approval is the decision page behind a function URL: browsers call it, no workflow does.
    condition     = alltrue([for step, s in output.steps : step == "approval" || anytrue([for w in values(output.workflows) : contains(w.steps, step)])])
    error_message = "a step in steps/steps.json is not used by any workflow"
  }
}

run "trust_policies_pin_the_account" {
  command = plan

  assert {
    condition = alltrue([
      for doc in concat(
        [output.lambda_assume_role_policy],
        compact(flatten([for w in values(output.workflows) : [w.states_assume_policy, w.events_assume_policy, w.scheduler_assume_policy]])),
      ) :
      jsondecode(doc).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    ])
    error_message = "a trust policy lacks the aws:SourceAccount condition"
  }
}

run "bucket_policy_is_tls_only" {
  command = plan

  assert {
    condition = anytrue([
      for s in jsondecode(output.bucket_policy).Statement :
      s.Effect == "Deny" && s.Action == "s3:*" && s.Condition.Bool["aws:SecureTransport"] == "false"
    ])
    error_message = "the bucket policy does not deny aws:SecureTransport = false"
  }
}

run "event_patterns_target_this_bucket" {
  command = plan

  assert {
    condition     = length([for w in values(output.workflows) : w if w.trigger != null]) > 0
    error_message = "no workflow has a trigger (the export workflow has statemachine/export.trigger.json)"
  }
  assert {
    condition     = alltrue([for w in values(output.workflows) : jsondecode(w.trigger.event_pattern).detail.bucket.name == ["stepwise-exports-example"] if w.trigger != null])
    error_message = "an event pattern is not limited to the export bucket"
  }
  assert {
    condition     = alltrue([for w in values(output.workflows) : jsondecode(w.trigger.event_pattern)["detail-type"] == ["Object Created"] if w.trigger != null])
    error_message = "an event pattern does not select Object Created events"
  }
  assert {
    condition     = alltrue([for w in values(output.workflows) : can(jsondecode(replace(w.trigger.input_template, "/<[a-z]+>/", "\"x\""))) if try(w.trigger.input_template != null, false)])
    error_message = "an input template is not JSON once its placeholders are filled"
  }
}

run "rejects_bad_account_id" {
  command = plan
  variables {
    account_id = "12345"
  }
  expect_failures = [var.account_id]
}

run "rejects_bad_bucket_name" {
  command = plan
  variables {
    bucket_name = "Not_A_Bucket"
  }
  expect_failures = [var.bucket_name]
}

run "rejects_bad_prefix" {
  command = plan
  variables {
    prefixes = {
      requests  = "/requests"
      uploads   = "uploads/"
      work      = "work/"
      approvals = "approvals/"
      exports   = "exports/"
    }
  }
  expect_failures = [var.prefixes]
}

run "rejects_bad_region" {
  command = plan
  variables {
    region = "Europe"
  }
  expect_failures = [var.region]
}

run "approval_page_is_least_privilege" {
  command = plan

  assert {
    condition     = output.approval.topic_arn == "arn:aws:sns:eu-west-1:123456789012:stepwise-approvals" && output.approval.auth_type == "NONE"
    error_message = "the approval topic ARN or the default function URL auth type changed"
  }
  assert {
    # Every action of the decision page's role, with the resources it may act on.
    condition = alltrue([
      for s in jsondecode(output.step_policies["approval"]).Statement : alltrue([
        for a in flatten([s.Action]) : contains([
          "logs:CreateLogStream", "logs:PutLogEvents", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject",
          "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "ssm:GetParameter", "states:SendTaskSuccess",
          "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
        ], a)
      ])
    ])
    error_message = "the decision page's role allows an action beyond reading its key and records, writing receipts and answering task tokens"
  }
  assert {
    condition     = one([for s in jsondecode(output.step_policies["approval"]).Statement : s.Resource if s.Sid == "AnswerApprovalTasks"]) == [output.workflows["export"].state_machine_arn]
    error_message = "the decision page may answer task tokens of state machines other than those that wait for approval"
  }
  assert {
    condition     = one([for s in jsondecode(output.step_policies["approval"]).Statement : s.Resource if s.Sid == "ReadApprovalKey"]) == [output.approval.key_parameter_arn]
    error_message = "the decision page may read parameters other than its key"
  }
  assert {
    condition = alltrue(flatten([for s in jsondecode(output.step_policies["approval"]).Statement : [
      for r in flatten([s.Resource]) : !strcontains(r, ":s3:::") || startswith(r, "arn:aws:s3:::stepwise-exports-example/approvals/")
    ]]))
    error_message = "the decision page may reach S3 objects outside approvals/"
  }
  assert {
    # The signature check is configured: the page gets the key it checks links with.
    condition     = output.step_environment["approval"]["STEPWISE_APPROVAL_KEY_PARAMETER"] == output.approval.key_parameter_name
    error_message = "the decision page is deployed without its signing key parameter (it could not check links)"
  }
  assert {
    condition = (
      one([for s in jsondecode(output.step_policies["requestapproval"]).Statement : s.Resource if s.Sid == "NotifyApprovers"]) == [output.approval.topic_arn]
      && output.step_environment["requestapproval"]["STEPWISE_APPROVAL_TOPIC_ARN"] == output.approval.topic_arn
    )
    error_message = "requestapproval does not publish to (only) the approval topic"
  }
  assert {
    # The reminder renews the pending record and the expiry notice reads it:
    # requestapproval reads approvals/pending/ and work/, nothing else.
    condition = toset(one([for s in jsondecode(output.step_policies["requestapproval"]).Statement : s.Resource if s.Sid == "ReadOwnPrefixes"])) == toset([
      "arn:aws:s3:::stepwise-exports-example/work/*", "arn:aws:s3:::stepwise-exports-example/approvals/pending/*",
    ])
    error_message = "requestapproval cannot read back the pending record (reminder, expiry notice) or reads more than work/ and approvals/pending/"
  }
  assert {
    condition     = alltrue([for step, p in output.step_policies : step == "approval" || !strcontains(p, "states:SendTaskSuccess")])
    error_message = "a step other than the decision page may answer task tokens"
  }
}

run "rejects_unknown_approval_auth_type" {
  command = plan

  variables {
    approval_auth_type = "API_KEY"
  }

  expect_failures = [var.approval_auth_type]
}
