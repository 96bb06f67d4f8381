# Offline checks of everything the deployment computes. No provider is
# needed: run with `terraform test` (or `tofu test`) in modules/definitions.

variables {
  region      = "eu-west-1"
  account_id  = "123456789012"
  bucket_name = "stepwise-exports-example"
}

run "definition_is_rendered_json" {
  command = plan

  assert {
    condition     = can(jsondecode(output.definition))
    error_message = "the rendered definition is not valid JSON"
  }
  assert {
    condition     = !strcontains(output.definition, "$${")
    error_message = "the rendered definition still contains a $${...} placeholder"
  }
  assert {
    condition     = jsondecode(output.definition).StartAt != ""
    error_message = "the rendered definition has no StartAt"
  }
}

run "every_task_resource_is_allowed" {
  command = plan

  assert {
    # Every Resource in the definition (at any depth: Map processors and
    # Parallel branches included) is either a step function ARN the state
    # machine role may invoke, or an integration ARN whose calls the role's
    # other statements cover.
    condition = alltrue([
      for r in flatten(regexall("\"Resource\"\\s*:\\s*\"([^\"]+)\"", output.definition)) :
      contains(flatten([for s in jsondecode(output.state_machine_policy).Statement : s.Resource if contains(flatten([s.Action]), "lambda:InvokeFunction")]), r)
      || can(regex("^arn:aws:states:::(lambda:invoke(\\.waitForTaskToken)?|s3:getObject|s3:listObjectsV2|s3:putObject)$", r))
    ])
    error_message = "a Task/ItemReader/ResultWriter Resource in the definition is not covered by the state machine role"
  }
  assert {
    # lambda:invoke integrations name their function in Parameters/Arguments:
    # each must be one of our functions, and the role must allow invoking it.
    condition = alltrue([
      for f in flatten(regexall("\"FunctionName\"\\s*:\\s*\"([^\"]+)\"", output.definition)) :
      contains(values(output.function_arns), f)
      && contains(flatten([for s in jsondecode(output.state_machine_policy).Statement : s.Resource if contains(flatten([s.Action]), "lambda:InvokeFunction")]), f)
    ])
    error_message = "a lambda:invoke FunctionName is not a deployed step function the state machine role may invoke"
  }
  assert {
    condition     = length(regexall("\"FunctionName\\.\\$\"", output.definition)) == 0
    error_message = "a lambda:invoke FunctionName is computed at run time; the role could not be least-privilege"
  }
}

run "no_wildcard_resources_except_documented" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for doc in concat([output.state_machine_policy, output.events_target_policy], values(output.step_policies)) : [
        for s in jsondecode(doc).Statement : [
          for a in flatten([s.Action]) : contains(keys(output.resourceless_actions), a)
        ] if contains(flatten([s.Resource]), "*")
      ]
    ]))
    error_message = "a policy grants a Resource \"*\" for an action that supports resource-level permissions"
  }
  assert {
    condition = alltrue(flatten([
      for doc in concat([output.state_machine_policy, output.events_target_policy], values(output.step_policies)) : [
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
    condition     = alltrue([for step, s in output.steps : strcontains(output.definition, output.function_arns[step])])
    error_message = "a step in steps/steps.json is not used by the definition"
  }
}

run "trust_policies_pin_the_account" {
  command = plan

  assert {
    condition = alltrue([
      for doc in [output.lambda_assume_role_policy, output.states_assume_role_policy, output.events_assume_role_policy] :
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

run "event_pattern_targets_this_bucket" {
  command = plan

  assert {
    condition     = jsondecode(output.event_pattern).detail.bucket.name == ["stepwise-exports-example"]
    error_message = "the event pattern is not limited to the export bucket"
  }
  assert {
    condition     = jsondecode(output.event_pattern)["detail-type"] == ["Object Created"]
    error_message = "the event pattern does not select Object Created events"
  }
  assert {
    condition     = can(jsondecode(replace(output.input_template, "/<[a-z]+>/", "\"x\"")))
    error_message = "the input template is not JSON once its placeholders are filled"
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
