# Workflow discovery and validation (issue 13): a workflow is
# statemachine/<name>.asl.json, with optional <name>.trigger.json,
# <name>.trigger-input.json and <name>.schedule.json beside it. Everything
# here is computed from the files, so adding a workflow edits no .tf file.
# Every problem is collected in local.problems as
# "<file>: <json pointer>: <message>" (the format runner validate uses) and
# fails the plan through the precondition on output "workflows".

locals {
  sm_dir  = "${local.repo_root}/statemachine"
  name_re = "^[a-z][a-z0-9-]{0,39}$"
  kinds = {
    asl           = ".asl.json"
    trigger       = ".trigger.json"
    trigger_input = ".trigger-input.json"
    schedule      = ".schedule.json"
  }
  # Only the top level of statemachine/: "*" does not cross "/", so
  # statemachine/testdata/ and other subdirectories are ignored.
  file_kind = {
    for f in fileset(local.sm_dir, "*.json") : f => try(one([
      for k, suffix in local.kinds : k if endswith(f, suffix) && can(regex(local.name_re, trimsuffix(f, suffix)))
    ]), null)
  }
  # kind => workflow name => file name
  file_of = {
    for kind, suffix in local.kinds : kind => { for f, k in local.file_kind : trimsuffix(f, suffix) => f if k == kind }
  }
  workflow_names = sort(keys(local.file_of.asl))

  file_problems = concat(
    [
      for f, k in local.file_kind : "statemachine/${f}: /: not a workflow file: the top level of statemachine/ holds only <name>.asl.json, <name>.trigger.json, <name>.trigger-input.json and <name>.schedule.json, <name> matching ${local.name_re}; rename the file or move it into a subdirectory"
      if k == null
    ],
    flatten([
      for kind in ["trigger", "trigger_input", "schedule"] : [
        for n, f in local.file_of[kind] : "statemachine/${f}: /: there is no workflow ${n} (statemachine/${n}.asl.json does not exist); add it, or rename or remove this file"
        if !contains(local.workflow_names, n)
      ]
    ]),
    [
      for n, f in local.file_of.trigger_input : "statemachine/${f}: /: an input transformer needs the trigger statemachine/${n}.trigger.json; add it or remove this file"
      if contains(local.workflow_names, n) && !contains(keys(local.file_of.trigger), n)
    ],
  )
}

# Definitions: placeholders, rendering, the Lambda steps each one calls.
locals {
  raw    = { for n in local.workflow_names : n => file("${local.sm_dir}/${n}.asl.json") }
  parsed = { for n, s in local.raw : n => try(jsondecode(s), null) }
  # Each top-level state as JSON text, to name the state a problem is in.
  state_text = { for n, d in local.parsed : n => try({ for k, v in d.States : k => jsonencode(v) }, {}) }

  placeholders         = { for n, s in local.raw : n => distinct(flatten(regexall("\\$\\{([^}]*)\\}", s))) }
  unknown_placeholders = { for n, ps in local.placeholders : n => [for p in ps : p if !contains(keys(local.template_vars), p)] }

  # Unknown placeholders are filled with a marker so that the rest can still
  # be checked; the problem list makes the plan fail anyway.
  definitions = {
    for n in local.workflow_names : n => try(templatefile("${local.sm_dir}/${n}.asl.json", merge(
      { for p in local.unknown_placeholders[n] : p => "UNKNOWN-${p}" if can(regex("^[A-Za-z_][A-Za-z0-9_]*$", p)) },
      local.template_vars,
    )), "")
  }
  lambda_arn_re = "arn:[a-z-]+:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+"
  foreign_lambdas = {
    for n, def in local.definitions : n => [for arn in distinct(regexall(local.lambda_arn_re, def)) : arn if !contains(values(local.function_arns), arn)]
  }
  activity_arn_re = "arn:[a-z-]+:states:[a-z0-9-]+:[0-9]{12}:activity:[A-Za-z0-9_-]+"
  foreign_activities = {
    for n, def in local.definitions : n => [for arn in distinct(regexall(local.activity_arn_re, def)) : arn if !contains(values(local.activity_arns), arn)]
  }
  # The activities a definition names.
  workflow_activities = {
    for n, def in local.definitions : n => sort([for a, arn in local.activity_arns : a if strcontains(def, "${arn}\"")])
  }

  # The steps a definition calls: its state machine role may invoke these
  # functions and no others.
  workflow_steps = {
    for n, def in local.definitions : n => sort([
      for step, arn in local.function_arns : step if strcontains(def, "${arn}\"") || strcontains(def, "${arn}:")
    ])
  }

  definition_problems = flatten([
    for n in local.workflow_names : concat(
      local.parsed[n] == null ? ["statemachine/${n}.asl.json: /: not valid JSON"] : [],
      [
        for p in local.unknown_placeholders[n] : format("statemachine/%s.asl.json: %s: %s", n,
          try("/States/${replace(replace([for k, t in local.state_text[n] : k if strcontains(t, "$${${p}}")][0], "~", "~0"), "/", "~1")}", "/"),
          endswith(p, "FunctionArn")
          ? "$${${p}} names a Lambda step that steps/steps.json does not list: add the step there with \"arn_placeholder\": \"${p}\" and register its handler in steps/steps.go"
          : endswith(p, "ActivityArn")
          ? "$${${p}} names an activity that steps/steps.json does not list: add it under \"activities\" there with \"arn_placeholder\": \"${p}\""
          : "unknown placeholder $${${p}}; the known ones are ${join(", ", [for k in sort(keys(local.template_vars)) : "$${${k}}"])}"
        )
      ],
      [
        for arn in local.foreign_lambdas[n] : format("statemachine/%s.asl.json: %s: calls Lambda function %s, which is not a step in steps/steps.json; list the step there and use its $${...FunctionArn} placeholder", n,
          try("/States/${replace(replace([for k, t in local.state_text[n] : k if strcontains(t, arn)][0], "~", "~0"), "/", "~1")}", "/"),
        arn)
      ],
      [
        for arn in local.foreign_activities[n] : format("statemachine/%s.asl.json: %s: names activity %s, which is not an activity of steps/steps.json; list it under \"activities\" there and use its $${...ActivityArn} placeholder", n,
          try("/States/${replace(replace([for k, t in local.state_text[n] : k if strcontains(t, arn)][0], "~", "~0"), "/", "~1")}", "/"),
        arn)
      ],
      length("${var.name_prefix}-${n}") > 80 ? ["statemachine/${n}.asl.json: /: state machine name ${var.name_prefix}-${n} is longer than 80 characters; use a shorter workflow name or name_prefix"] : [],
    )
  ])
}

# Triggers: EventBridge rules on the bucket's Object Created events.
locals {
  trigger_docs = { for n in local.workflow_names : n => try(jsondecode(file("${local.sm_dir}/${local.file_of.trigger[n]}")), null) if contains(keys(local.file_of.trigger), n) }
  trigger_input_docs = {
    for n, _ in local.trigger_docs : n => try(jsondecode(file("${local.sm_dir}/${local.file_of.trigger_input[n]}")), null) if contains(keys(local.file_of.trigger_input), n)
  }
  trigger_problems = flatten([
    [for n, d in local.trigger_docs : "statemachine/${n}.trigger.json: /: not a JSON object (an EventBridge event pattern)" if !can(keys(d))],
    [for n, d in local.trigger_docs : "statemachine/${n}.trigger.json: /detail: not a JSON object" if can(keys(d)) && !can(keys(try(d.detail, {})))],
    [for n, d in local.trigger_input_docs : "statemachine/${n}.trigger-input.json: /: not a JSON object with input_paths and input_template" if !can(keys(d))],
    [for n, d in local.trigger_input_docs : "statemachine/${n}.trigger-input.json: /input_template: missing or not a string" if can(keys(d)) && !can(tostring(d.input_template))],
    [for n, d in local.trigger_input_docs : "statemachine/${n}.trigger-input.json: /input_paths: not an object of JSON paths" if can(keys(d)) && !can(tomap(d.input_paths))],
    [for n, _ in local.trigger_docs : "statemachine/${n}.trigger.json: /: rule name ${var.name_prefix}-${n}-requests is longer than 64 characters; use a shorter workflow name" if length("${var.name_prefix}-${n}-requests") > 64],
  ])
  triggers = {
    for n, d in local.trigger_docs : n => {
      rule_name = "${var.name_prefix}-${n}-requests"
      event_pattern = jsonencode(merge(d, {
        detail = merge(try(d.detail, {}), { bucket = { name = [var.bucket_name] } })
      }))
      input_paths    = try(tomap(local.trigger_input_docs[n].input_paths), null)
      input_template = try(tostring(local.trigger_input_docs[n].input_template), null)
    } if can(keys(d))
  }
}

# Names, ARNs and policies per workflow. Names and ARNs are computed from
# names, never read back from resources: a state machine's role must name
# the state machine itself (a Distributed Map starts child executions of it)
# before it exists.
locals {
  arn_prefix = "arn:${var.partition}:states:${var.region}:${var.account_id}"
  machines = {
    for n in local.workflow_names : n => {
      name = "${var.name_prefix}-${n}"
      arn  = "${local.arn_prefix}:stateMachine:${var.name_prefix}-${n}"
      # Distributed Map child executions and map runs are named
      # <state machine>/<label>:<id>.
      child_executions = "${local.arn_prefix}:execution:${var.name_prefix}-${n}/*"
      map_runs         = "${local.arn_prefix}:mapRun:${var.name_prefix}-${n}/*"
      log_group        = "/aws/vendedlogs/states/${var.name_prefix}-${n}"
    }
  }

  problems = concat(local.file_problems, local.step_problems, local.definition_problems, local.trigger_problems, local.schedule_problems)

  workflows = {
    for n, m in local.machines : n => {
      name                    = n
      file                    = "statemachine/${n}.asl.json"
      state_machine_name      = m.name
      state_machine_arn       = m.arn
      alias_name              = "live"
      alias_arn               = "${m.arn}:live"
      log_group               = m.log_group
      definition              = local.definitions[n]
      steps                   = local.workflow_steps[n]
      activities              = local.workflow_activities[n]
      trigger                 = lookup(local.triggers, n, null)
      schedules               = lookup(local.schedules, n, {})
      states_assume_policy    = local.states_assume_role_policy[n]
      state_machine_policy    = local.state_machine_policy[n]
      events_assume_policy    = contains(keys(local.triggers), n) ? local.events_assume_role_policy[n] : null
      events_target_policy    = contains(keys(local.triggers), n) ? local.events_target_policy[n] : null
      scheduler_assume_policy = length(lookup(local.schedules, n, {})) > 0 ? local.scheduler_assume_role_policy[n] : null
      scheduler_policy        = length(lookup(local.schedules, n, {})) > 0 ? local.scheduler_policy[n] : null
    }
  }

  states_assume_role_policy = {
    for n, m in local.machines : n => jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect    = "Allow"
        Principal = { Service = "states.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = { "aws:SourceAccount" = var.account_id }
          ArnLike      = { "aws:SourceArn" = m.arn }
        }
      }]
    })
  }

  # Each state machine may invoke only the functions its definition calls.
  state_machine_policy = {
    for n, m in local.machines : n => jsonencode({
      Version = "2012-10-17"
      Statement = concat(
        length(local.workflow_steps[n]) == 0 ? [] : [{
          Sid      = "InvokeStepFunctions"
          Effect   = "Allow"
          Action   = ["lambda:InvokeFunction"]
          Resource = flatten([for step in local.workflow_steps[n] : [local.function_arns[step], "${local.function_arns[step]}:*"]])
        }],
        [
          {
            Sid      = "StartDistributedMapChildren"
            Effect   = "Allow"
            Action   = ["states:StartExecution"]
            Resource = [m.arn]
          },
          {
            Sid      = "ManageDistributedMapChildren"
            Effect   = "Allow"
            Action   = ["states:DescribeExecution", "states:StopExecution"]
            Resource = [m.child_executions]
          },
          {
            Sid      = "ManageMapRuns"
            Effect   = "Allow"
            Action   = ["states:DescribeMapRun", "states:UpdateMapRun"]
            Resource = [m.map_runs]
          },
          {
            Sid      = "ReadPartManifests"
            Effect   = "Allow"
            Action   = ["s3:GetObject"]
            Resource = ["${local.bucket_arn}/${local.p.work}*"]
          },
          {
            Sid      = "WriteMapResults"
            Effect   = "Allow"
            Action   = ["s3:PutObject"]
            Resource = ["${local.bucket_arn}/${local.p.work}*"]
          },
          {
            Sid      = "DeliverLogs"
            Effect   = "Allow"
            Action   = local.log_delivery_actions
            Resource = ["*"]
          },
          {
            Sid      = "Tracing"
            Effect   = "Allow"
            Action   = local.xray_actions
            Resource = ["*"]
          },
        ],
        local.kms_statements,
      )
    })
  }

  events_assume_role_policy = {
    for n, t in local.triggers : n => jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = { "aws:SourceAccount" = var.account_id }
          ArnEquals    = { "aws:SourceArn" = "arn:${var.partition}:events:${var.region}:${var.account_id}:rule/${t.rule_name}" }
        }
      }]
    })
  }

  events_target_policy = {
    for n, t in local.triggers : n => jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Sid      = "StartWorkflow"
        Effect   = "Allow"
        Action   = ["states:StartExecution"]
        Resource = [local.machines[n].arn]
      }]
    })
  }

  # EventBridge Scheduler assumes this role for the workflow's schedules
  # only (schedules in the default group named <prefix>-<workflow>-*).
  scheduler_assume_role_policy = {
    for n, s in local.schedules : n => jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect    = "Allow"
        Principal = { Service = "scheduler.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = {
          StringEquals = { "aws:SourceAccount" = var.account_id }
          ArnLike      = { "aws:SourceArn" = "arn:${var.partition}:scheduler:${var.region}:${var.account_id}:schedule/default/${var.name_prefix}-${n}-*" }
        }
      }]
    })
  }

  # The schedules start the workflow through its alias. Step Functions
  # authorizes StartExecution on the state machine ARN (qualified or not, by
  # documentation source), so the role names both: this one workflow only.
  scheduler_policy = {
    for n, s in local.schedules : n => jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Sid      = "StartWorkflow"
        Effect   = "Allow"
        Action   = ["states:StartExecution"]
        Resource = [local.machines[n].arn, "${local.machines[n].arn}:live"]
      }]
    })
  }
}
