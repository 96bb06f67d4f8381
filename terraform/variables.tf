variable "region" {
  description = "AWS region to deploy to."
  type        = string
}

variable "name_prefix" {
  description = "Prefix for every resource name."
  type        = string
  default     = "stepwise"
}

variable "bucket_name" {
  description = "Name of the export bucket. Empty means <name_prefix>-exports-<account id>-<region>."
  type        = string
  default     = ""
}

variable "source_bucket_names" {
  description = "Other buckets that export sources may be read from."
  type        = list(string)
  default     = []
}

variable "lambda_zip" {
  description = "Path of the reproducible bootstrap zip written by `runner build` (one zip serves every step; the handler name picks the step)."
  type        = string
  default     = "../dist/bootstrap.zip"
}

variable "kms_key_arn" {
  description = "Optional customer-managed KMS key for the bucket (SSE-KMS). Empty means SSE-S3."
  type        = string
  default     = ""
}

variable "log_retention_days" {
  description = "Retention of the Lambda and state machine log groups, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "state_machine_log_level" {
  description = "Step Functions execution log level: ALL, ERROR, FATAL or OFF."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.state_machine_log_level)
    error_message = "state_machine_log_level must be ALL, ERROR, FATAL or OFF."
  }
}

variable "work_expiration_days" {
  description = "Days after which temporary objects (parts, manifests, rejected rows) under the work prefix expire."
  type        = number
  default     = 7
}

variable "decided_approval_expiration_days" {
  description = "Days after which decided approval records expire."
  type        = number
  default     = 30
}

variable "alarm_email" {
  description = "Optional e-mail address subscribed to the alarm topic (the subscription must be confirmed)."
  type        = string
  default     = ""
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete a non-empty bucket. Keep false in production."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary_arn" {
  description = "Optional IAM permissions boundary (policy ARN) set on every role this configuration creates (steps, state machines, EventBridge, Scheduler). Empty means none."
  type        = string
  default     = ""

  validation {
    condition     = var.permissions_boundary_arn == "" || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be empty or an IAM policy ARN (arn:aws:iam::<account>:policy/<name>)."
  }
}

variable "state_machine_role_arn" {
  description = "Optional existing IAM role every state machine uses instead of its own least-privilege role (it must trust states.amazonaws.com and allow what each workflow's state_machine_policy in module.definitions.workflows allows). Empty means one role per workflow."
  type        = string
  default     = ""

  validation {
    condition     = var.state_machine_role_arn == "" || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.state_machine_role_arn))
    error_message = "state_machine_role_arn must be empty or an IAM role ARN (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "step_s3_access" {
  description = "S3 access of your own steps (those the built-in table in modules/definitions does not name), keyed by handler name: prefix keys (requests, uploads, work, approvals, exports) each may read, write, delete and list, and source_buckets = true to read source_bucket_names. Default per step: read uploads and work, write work, list uploads and work."
  type = map(object({
    read           = optional(list(string))
    write          = optional(list(string))
    delete         = optional(list(string))
    list           = optional(list(string))
    source_buckets = optional(bool, false)
  }))
  default = {}
}

variable "approval_email_subscriptions" {
  description = "E-mail addresses subscribed to the approval topic: each gets a plain-text notification with a signed decision link when an export waits for approval (each address must confirm its subscription)."
  type        = list(string)
  default     = []
}

variable "approval_auth_type" {
  description = "Auth type of the approval decision page's function URL: NONE (links are HMAC-signed, expire and decide only by POST with the page's form token) or AWS_IAM (callers sign requests with IAM credentials; the principal is recorded as the approver)."
  type        = string
  default     = "NONE"

  validation {
    condition     = contains(["NONE", "AWS_IAM"], var.approval_auth_type)
    error_message = "approval_auth_type must be NONE or AWS_IAM."
  }
}
