# Workflow discovery (issue 13) on the fixtures under terraform/testdata/
# workflows/: "two" holds two workflows (alpha with an S3 trigger, beta with
# schedules); the others each hold broken files whose problems must fail the
# plan with a message naming the file and the JSON pointer.

variables {
  region      = "eu-west-1"
  account_id  = "123456789012"
  bucket_name = "stepwise-exports-example"
  repo_dir    = "../../testdata/workflows/two"
}

run "discovers_two_workflows" {
  command = plan

  assert {
    condition     = keys(output.workflows) == ["alpha", "beta"]
    error_message = "the fixture's workflows are alpha and beta (statemachine/testdata/ is not read)"
  }
  assert {
    condition     = output.problems == []
    error_message = "the valid fixture has problems"
  }
  assert {
    condition     = output.workflows["alpha"].state_machine_name == "stepwise-alpha" && output.workflows["beta"].alias_arn == "arn:aws:states:eu-west-1:123456789012:stateMachine:stepwise-beta:live"
    error_message = "state machines are not named <prefix>-<workflow> with alias live"
  }
  assert {
    condition     = jsondecode(output.workflows["alpha"].definition).States.Greet.Parameters.FunctionName == "arn:aws:lambda:eu-west-1:123456789012:function:stepwise-greet"
    error_message = "alpha's $${GreetFunctionArn} is not the greet function's ARN"
  }
  assert {
    condition     = jsondecode(output.workflows["alpha"].definition).States.Greet.Parameters.Payload.bucket == "stepwise-exports-example"
    error_message = "alpha's $${BucketName} is not the bucket"
  }
}

run "each_state_machine_invokes_only_its_steps" {
  command = plan

  assert {
    condition     = output.workflows["alpha"].steps == tolist(["greet"]) && output.workflows["beta"].steps == tolist(["tally"])
    error_message = "the steps a workflow calls are not read from its definition"
  }
  assert {
    condition = alltrue([
      for w in values(output.workflows) : sort(flatten([
        for s in jsondecode(w.state_machine_policy).Statement : s.Resource if contains(flatten([s.Action]), "lambda:InvokeFunction")
      ])) == sort(flatten([for step in w.steps : [output.function_arns[step], "${output.function_arns[step]}:*"]]))
    ])
    error_message = "a state machine role may invoke a function its definition does not call"
  }
}

run "trigger_from_files" {
  command = plan

  assert {
    condition     = output.workflows["beta"].trigger == null && output.workflows["beta"].events_target_policy == null
    error_message = "beta has no trigger file but got a trigger"
  }
  assert {
    condition     = output.workflows["alpha"].trigger.rule_name == "stepwise-alpha-requests"
    error_message = "alpha's rule is not <prefix>-<workflow>-requests"
  }
  assert {
    condition = jsondecode(output.workflows["alpha"].trigger.event_pattern).detail == {
      object = { key = [{ prefix = "requests/alpha/" }] }
      bucket = { name = ["stepwise-exports-example"] }
    }
    error_message = "alpha's event pattern is not its trigger file limited to the bucket"
  }
  assert {
    condition     = output.workflows["alpha"].trigger.input_paths == tomap({ key = "$.detail.object.key" }) && output.workflows["alpha"].trigger.input_template == "{\"request\": {\"key\": <key>}}"
    error_message = "alpha's input transformer is not its trigger-input file"
  }
  assert {
    condition     = jsondecode(output.workflows["alpha"].events_target_policy).Statement[0].Resource == [output.workflows["alpha"].state_machine_arn]
    error_message = "alpha's EventBridge role may start more than alpha"
  }
}

run "schedules_from_files" {
  command = plan

  assert {
    condition     = keys(output.workflows["beta"].schedules) == ["often", "once", "weekly"] && output.workflows["alpha"].schedules == {}
    error_message = "beta's schedules are not those of beta.schedule.json"
  }
  assert {
    condition = output.workflows["beta"].schedules["weekly"] == {
      schedule_name           = "stepwise-beta-weekly"
      expression              = "cron(0 6 ? * MON *)"
      timezone                = "Europe/Berlin"
      input                   = "{\"period\":\"week\"}"
      flexible_window_minutes = 15
      state                   = "ENABLED"
      start_date              = null
      end_date                = null
    }
    error_message = "the weekly schedule does not carry its file's settings"
  }
  assert {
    condition = (output.workflows["beta"].schedules["often"].timezone == "UTC" && output.workflows["beta"].schedules["often"].input == "{}"
    && output.workflows["beta"].schedules["often"].flexible_window_minutes == 0 && output.workflows["beta"].schedules["often"].state == "DISABLED")
    error_message = "the defaults (UTC, input {}, window off) or enabled=false are not applied"
  }
  assert {
    condition     = output.workflows["beta"].schedules["once"].start_date == "2026-01-01T00:00:00Z" && output.workflows["beta"].schedules["once"].end_date == "2026-12-31T00:00:00Z"
    error_message = "start_date and end_date are not passed on"
  }
}

run "scheduler_role_starts_only_its_workflow" {
  command = plan

  assert {
    condition     = output.workflows["alpha"].scheduler_policy == null
    error_message = "a workflow without schedules got a scheduler role"
  }
  assert {
    condition = alltrue(flatten([
      for w in values(output.workflows) : [
        for s in jsondecode(w.scheduler_policy).Statement : [
          for r in flatten([s.Resource]) : contains([w.state_machine_arn, w.alias_arn], r)
        ]
      ] if w.scheduler_policy != null
    ]))
    error_message = "a scheduler role may start a state machine other than its own workflow's"
  }
  assert {
    condition = alltrue(flatten([
      for w in values(output.workflows) : [
        for s in jsondecode(w.scheduler_policy).Statement : flatten([s.Action]) == ["states:StartExecution"]
      ] if w.scheduler_policy != null
    ]))
    error_message = "a scheduler role may do more than states:StartExecution"
  }
  assert {
    condition     = jsondecode(output.workflows["beta"].scheduler_assume_policy).Statement[0].Condition.ArnLike["aws:SourceArn"] == "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/stepwise-beta-*"
    error_message = "beta's scheduler role can be assumed for other workflows' schedules"
  }
}

run "step_s3_access_of_own_steps" {
  command = plan
  variables {
    step_s3_access = { tally = { read = ["uploads"], write = ["exports"], list = [] } }
  }

  assert {
    condition     = contains(flatten([for s in jsondecode(output.step_policies["tally"]).Statement : s.Resource if s.Sid == "WriteOwnPrefixes"]), "arn:aws:s3:::stepwise-exports-example/exports/*")
    error_message = "tally's step_s3_access write = [exports] is not granted"
  }
  assert {
    condition     = !contains([for s in jsondecode(output.step_policies["tally"]).Statement : s.Sid], "ListOwnPrefixes")
    error_message = "tally's step_s3_access list = [] still grants a list"
  }
  assert {
    condition     = flatten([for s in jsondecode(output.step_policies["greet"]).Statement : s.Resource if s.Sid == "WriteOwnPrefixes"]) == ["arn:aws:s3:::stepwise-exports-example/work/*"]
    error_message = "a step without step_s3_access does not get the default (write work/ only)"
  }
}

run "rejects_a_workflow_whose_step_is_not_in_steps_json" {
  command = plan
  variables {
    repo_dir = "../../testdata/workflows/missing-step"
  }
  expect_failures = [output.workflows]

  assert {
    condition     = output.problems == ["statemachine/alpha.asl.json: /States/Greet: $${ReportFunctionArn} names a Lambda step that steps/steps.json does not list: add the step there with \"arn_placeholder\": \"ReportFunctionArn\" and register its handler in steps/steps.go"]
    error_message = "the missing step is not reported with its file and state"
  }
}

run "rejects_a_malformed_schedule" {
  command = plan
  variables {
    repo_dir = "../../testdata/workflows/bad-schedule"
  }
  expect_failures = [output.workflows]

  assert {
    condition     = output.problems == ["statemachine/beta.schedule.json: /schedules/0/expression: cron(0 6 ? * MON) has 5 fields, want 6 (minutes hours day-of-month month day-of-week year)"]
    error_message = "the malformed cron is not reported with its file and JSON pointer"
  }
}

run "reports_every_problem_of_a_broken_checkout" {
  command = plan
  variables {
    repo_dir = "../../testdata/workflows/broken"
  }
  expect_failures = [output.workflows]

  assert {
    condition = alltrue([
      for want in [
        "statemachine/Upper.asl.json: /: not a workflow file",
        "statemachine/notes.json: /: not a workflow file",
        "statemachine/ghost.trigger.json: /: there is no workflow ghost",
        "statemachine/ghost.schedule.json: /: there is no workflow ghost",
        "statemachine/alpha.trigger-input.json: /: an input transformer needs the trigger statemachine/alpha.trigger.json",
        "statemachine/alpha.asl.json: /States/Missing: $${MissingFunctionArn} names a Lambda step that steps/steps.json does not list",
        "statemachine/alpha.asl.json: /States/Unknown: unknown placeholder $${TableName}",
        "statemachine/alpha.asl.json: /States/Foreign~11: calls Lambda function arn:aws:lambda:eu-west-1:123456789012:function:someone-else, which is not a step",
        "statemachine/alpha.schedule.json: /schedules/0/expression: cron(0 6 * * MON) has 5 fields, want 6",
        "statemachine/alpha.schedule.json: /schedules/1/expression: cron(0 6 1 * MON *): one of day-of-month and day-of-week must be ?",
        "statemachine/alpha.schedule.json: /schedules/2/expression: rate(1 minutes): use the singular unit with 1",
        "statemachine/alpha.schedule.json: /schedules/3/expression: rate(5 weeks): unit must be",
        "statemachine/alpha.schedule.json: /schedules/4/expression: \"every monday\" is not cron(",
        "statemachine/alpha.schedule.json: /schedules/5/name: \"five-fields\" is used by an earlier schedule",
        "statemachine/alpha.schedule.json: /schedules/6/name: \"bad name!\" must match",
        "statemachine/alpha.schedule.json: /schedules/7/flexible_window_minutes: 2000 must be 0 (off) or",
        "statemachine/alpha.schedule.json: /schedules/7/timezone: \"not a zone\" is not an IANA time zone",
        "statemachine/alpha.schedule.json: /schedules/7/enabled: \"yes\" must be true or false",
        "statemachine/alpha.schedule.json: /schedules/7/start_date: \"tomorrow\" is not an RFC 3339 time",
        "statemachine/alpha.schedule.json: /schedules/7/colour: unknown field",
      ] : anytrue([for p in output.problems : startswith(p, want)])
    ])
    error_message = "a problem of the broken fixture is not reported (or not with its file and JSON pointer)"
  }
  assert {
    condition     = length(output.problems) == 20
    error_message = "the broken fixture has 20 problems, no more"
  }
}

run "rejects_bad_step_s3_access" {
  command = plan
  variables {
    step_s3_access = { tally = { write = ["everything"] }, nosuch = {}, plan = {} }
  }
  expect_failures = [output.workflows]

  assert {
    condition = alltrue([for want in [
      "step_s3_access: [\"tally\"].write[0]: unknown prefix key \"everything\"",
      "step_s3_access: [\"nosuch\"]: no step nosuch in steps/steps.json",
    ] : anytrue([for p in output.problems : startswith(p, want)])])
    error_message = "a bad step_s3_access is not reported"
  }
}
