variable "workflow" {
  description = "One value of module.definitions.workflows: names, ARNs, definition, trigger, schedules and policy documents."
  type = object({
    name                    = string
    state_machine_name      = string
    definition              = string
    log_group               = string
    alias_name              = string
    states_assume_policy    = string
    state_machine_policy    = string
    trigger                 = any
    schedules               = any
    events_assume_policy    = string
    events_target_policy    = string
    scheduler_assume_policy = string
    scheduler_policy        = string
  })
}

variable "log_retention_days" {
  description = "Retention of the state machine's log group, in days."
  type        = number
}

variable "log_level" {
  description = "Step Functions execution log level: ALL, ERROR, FATAL or OFF."
  type        = string
}

variable "alarm_topic_arn" {
  description = "SNS topic the workflow's alarms notify."
  type        = string
}

variable "role_arn" {
  description = "An existing IAM role for the state machine. Empty means the module creates one with the workflow's least-privilege policy."
  type        = string
  default     = ""
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary for every role the module creates. Empty means none."
  type        = string
  default     = ""
}
