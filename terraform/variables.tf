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
