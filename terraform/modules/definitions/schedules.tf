# Schedules: statemachine/<name>.schedule.json, one aws_scheduler_schedule
# per entry (see the workflow convention in the README). The checks here are
# of the basic shape, with the same messages runner validate gives; the
# complete cron grammar is checked by the Go package statemachine/schedule.

locals {
  schedule_docs = {
    for n in local.workflow_names : n => try(jsondecode(file("${local.sm_dir}/${local.file_of.schedule[n]}")), null)
    if contains(keys(local.file_of.schedule), n)
  }
  schedule_fields = ["name", "expression", "timezone", "input", "flexible_window_minutes", "enabled", "start_date", "end_date", "comment"]
  # A JSON array: has a length, but is neither an object nor a string.
  schedule_lists = {
    for n, d in local.schedule_docs : n => try(d.schedules, null) if can(length(d.schedules)) && !can(keys(d.schedules)) && !can(tostring(d.schedules))
  }

  # One entry per schedule, with everything its checks need.
  schedule_entries = flatten([
    for n, list in local.schedule_lists : [
      for i, s in list : {
        workflow = n
        index    = i
        at       = "statemachine/${n}.schedule.json: /schedules/${i}"
        object   = can(keys(s))
        fields   = try(keys(s), [])
        name     = try(tostring(s.name), "")
        expr     = try(tostring(s.expression), "")
        cron     = try(regex("^cron\\((.*)\\)$", tostring(s.expression))[0], null)
        rate     = try(regex("^rate\\(([0-9]+) ([a-z]+)\\)$", tostring(s.expression)), null)
        at_time  = try(regex("^at\\(([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})\\)$", tostring(s.expression))[0], null)
        timezone = try(s.timezone, "UTC")
        window   = try(s.flexible_window_minutes, 0)
        enabled  = try(s.enabled, true)
        start    = try(s.start_date, null)
        end      = try(s.end_date, null)
        input    = try(s.input, {})
        earlier  = [for j, o in list : try(o.name, null) if j < i]
      }
    ]
  ])

  schedule_problems = flatten([
    [for n, d in local.schedule_docs : "statemachine/${n}.schedule.json: /: not valid JSON" if d == null],
    [for n, d in local.schedule_docs : "statemachine/${n}.schedule.json: /schedules: missing or not an array of schedules" if d != null && !contains(keys(local.schedule_lists), n)],
    [for n, d in local.schedule_docs : [for k in try(keys(d), []) : "statemachine/${n}.schedule.json: /${k}: unknown field; a schedule file has \"comment\" and \"schedules\"" if !contains(["comment", "schedules"], k)]],
    [for e in local.schedule_entries : "${e.at}: not a JSON object" if !e.object],
    [for e in local.schedule_entries : [for k in e.fields : "${e.at}/${k}: unknown field; a schedule has ${join(", ", local.schedule_fields)}" if !contains(local.schedule_fields, k)]],
    [
      for e in local.schedule_entries : "${e.at}/name: ${jsonencode(e.name)} must match ^[A-Za-z0-9_.-]{1,40}$"
      if e.object && !can(regex("^[A-Za-z0-9_.-]{1,40}$", e.name))
    ],
    [for e in local.schedule_entries : "${e.at}/name: ${jsonencode(e.name)} is used by an earlier schedule; names are unique in a file" if e.name != "" && contains(e.earlier, e.name)],
    [
      for e in local.schedule_entries : "${e.at}/name: schedule name ${var.name_prefix}-${e.workflow}-${e.name} is longer than 64 characters; use a shorter name"
      if length("${var.name_prefix}-${e.workflow}-${e.name}") > 64
    ],
    [for e in local.schedule_entries : "${e.at}/expression: ${local.schedule_expression_problem[e.at]}" if e.object && local.schedule_expression_problem[e.at] != ""],
    [
      for e in local.schedule_entries : "${e.at}/timezone: ${jsonencode(e.timezone)} is not an IANA time zone name (e.g. UTC, Europe/Berlin)"
      if e.object && !can(regex("^(UTC|[A-Z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){1,2})$", e.timezone))
    ],
    [
      for e in local.schedule_entries : "${e.at}/flexible_window_minutes: ${jsonencode(e.window)} must be 0 (off) or a whole number of minutes from 1 to 1440"
      if e.object && !try(floor(e.window) == e.window && e.window >= 0 && e.window <= 1440, false)
    ],
    [for e in local.schedule_entries : "${e.at}/enabled: ${jsonencode(e.enabled)} must be true or false" if e.object && !try(e.enabled == true || e.enabled == false, false)],
    [for e in local.schedule_entries : "${e.at}/start_date: ${jsonencode(e.start)} is not an RFC 3339 time (e.g. 2026-01-01T00:00:00Z)" if e.start != null && !can(formatdate("YYYY", e.start))],
    [for e in local.schedule_entries : "${e.at}/end_date: ${jsonencode(e.end)} is not an RFC 3339 time (e.g. 2026-12-31T00:00:00Z)" if e.end != null && !can(formatdate("YYYY", e.end))],
    [for e in local.schedule_entries : "${e.at}/end_date: ${e.end} is not after start_date ${e.start}" if e.start != null && e.end != null && try(timecmp(e.start, e.end) >= 0, false)],
  ])

  cron_fields = "(minutes hours day-of-month month day-of-week year)"
  schedule_expression_problem = {
    for e in local.schedule_entries : e.at => (
      e.cron != null ? (
        length(regexall("\\S+", e.cron)) != 6 ? "cron(${e.cron}) has ${length(regexall("\\S+", e.cron))} fields, want 6 ${local.cron_fields}" :
        !can(regex("^[0-9A-Za-z,*/?#LW-]+( [0-9A-Za-z,*/?#LW-]+){5}$", trimspace(e.cron))) ? "cron(${e.cron}): a field has a character outside 0-9 A-Z , - * / ? L W #" :
        regexall("\\S+", e.cron)[2] != "?" && regexall("\\S+", e.cron)[4] != "?" ? "cron(${e.cron}): one of day-of-month and day-of-week must be ?" :
        ""
        ) : e.rate != null ? (
        !contains(["minute", "minutes", "hour", "hours", "day", "days"], e.rate[1]) ? "rate(${e.rate[0]} ${e.rate[1]}): unit must be minute(s), hour(s) or day(s)" :
        tonumber(e.rate[0]) < 1 ? "rate(${e.rate[0]} ${e.rate[1]}): the value must be 1 or more" :
        (tonumber(e.rate[0]) == 1) != contains(["minute", "hour", "day"], e.rate[1]) ? "rate(${e.rate[0]} ${e.rate[1]}): use the singular unit with 1 and the plural otherwise" :
        ""
        ) : e.at_time != null ? (
        can(formatdate("YYYY", "${e.at_time}Z")) ? "" : "at(${e.at_time}) is not a valid date and time"
      ) : "${jsonencode(e.expr)} is not cron(m h dom mon dow y), rate(N unit) or at(yyyy-mm-ddThh:mm:ss)"
    )
  }

  # workflow => schedule name => what aws_scheduler_schedule needs.
  schedules = {
    for n, list in local.schedule_lists : n => {
      for e in local.schedule_entries : e.name => {
        schedule_name           = "${var.name_prefix}-${n}-${e.name}"
        expression              = e.expr
        timezone                = try(tostring(e.timezone), "UTC")
        input                   = jsonencode(e.input)
        flexible_window_minutes = try(tonumber(e.window), 0)
        state                   = e.enabled == false ? "DISABLED" : "ENABLED"
        start_date              = e.start
        end_date                = e.end
      } if e.workflow == n && e.object && e.name != "" && !contains(e.earlier, e.name)
    }
  }
}
