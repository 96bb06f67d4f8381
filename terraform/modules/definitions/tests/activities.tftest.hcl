# Activities (steps.json "activities"): steps that run as workers of one's
# own. The fixture terraform/testdata/workflows/activity has a workflow
# whose Task names the activity encode by its placeholder, and an activity
# no workflow uses; activity-broken names an activity steps.json does not
# list, by placeholder and by literal ARN.

variables {
  region      = "eu-west-1"
  account_id  = "123456789012"
  bucket_name = "stepwise-exports-example"
  repo_dir    = "../../testdata/workflows/activity"
}

run "activities_from_steps_json" {
  command = plan

  assert {
    condition     = output.problems == []
    error_message = "the valid activity fixture has problems"
  }
  assert {
    condition     = keys(output.activities) == ["encode", "unused"]
    error_message = "every activity of steps.json is deployed, used or not"
  }
  assert {
    condition     = output.activities["encode"].name == "stepwise-encode" && output.activities["encode"].arn == "arn:aws:states:eu-west-1:123456789012:activity:stepwise-encode"
    error_message = "an activity is not named <prefix>-<name> with its ARN computed from that name"
  }
  assert {
    condition     = jsondecode(output.workflows["video"].definition).States.Encode.Resource == output.activities["encode"].arn
    error_message = "$${EncodeActivityArn} is not the encode activity's ARN"
  }
  assert {
    condition     = output.template_vars["EncodeActivityArn"] == output.activities["encode"].arn && output.template_vars["GreetFunctionArn"] == output.function_arns["greet"]
    error_message = "the template variables lack the activity's or the step's ARN"
  }
  assert {
    condition     = output.workflows["video"].activities == tolist(["encode"]) && output.workflows["video"].steps == tolist(["greet"])
    error_message = "the activities and steps a workflow names are not read from its definition"
  }
}

run "activity_worker_policy_is_least_privilege" {
  command = plan

  assert {
    condition = alltrue([
      for a, act in output.activities : length(jsondecode(act.worker_policy).Statement) == 1 && alltrue([
        for s in jsondecode(act.worker_policy).Statement : s.Effect == "Allow" && s.Resource == [act.arn] &&
        sort(s.Action) == sort(["states:GetActivityTask", "states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"])
      ])
    ])
    error_message = "an activity's worker policy grants more than taking and answering that activity's tasks"
  }
  assert {
    # The state machine needs no permission for an activity Task: its role
    # still only invokes its Lambda steps.
    condition = alltrue([
      for s in jsondecode(output.workflows["video"].state_machine_policy).Statement :
      !anytrue([for a in flatten([s.Action]) : startswith(a, "states:SendTask") || a == "states:GetActivityTask"])
    ])
    error_message = "the state machine role got activity worker permissions"
  }
}

run "rejects_activities_steps_json_does_not_list" {
  command = plan
  variables {
    repo_dir = "../../testdata/workflows/activity-broken"
  }
  expect_failures = [output.workflows]

  assert {
    condition = output.problems == [
      "statemachine/video.asl.json: /States/Encode: $${DecodeActivityArn} names an activity that steps/steps.json does not list: add it under \"activities\" there with \"arn_placeholder\": \"DecodeActivityArn\"",
      "statemachine/video.asl.json: /States/Foreign: names activity arn:aws:states:eu-west-1:123456789012:activity:someone-else, which is not an activity of steps/steps.json; list it under \"activities\" there and use its $${...ActivityArn} placeholder",
    ]
    error_message = "an unknown activity placeholder or a literal activity ARN is not reported with its file and state"
  }
}
