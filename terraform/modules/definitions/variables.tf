variable "name_prefix" {
  description = "Prefix for every resource name (functions, state machine, roles, rule). Lowercase letters, digits and hyphens."
  type        = string
  default     = "stepwise"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-40 characters of lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "partition" {
  description = "AWS partition of the target account (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"

  validation {
    condition     = contains(["aws", "aws-cn", "aws-us-gov"], var.partition)
    error_message = "partition must be one of aws, aws-cn, aws-us-gov."
  }
}

variable "region" {
  description = "AWS region the workflow is deployed to, e.g. eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must look like an AWS region code, e.g. eu-west-1."
  }
}

variable "account_id" {
  description = "12-digit AWS account id the workflow is deployed to."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be exactly 12 digits."
  }
}

variable "bucket_name" {
  description = "Name of the S3 bucket that holds requests, sources, work files, approvals and exports."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name)) && !can(regex("\\.\\.", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "source_bucket_names" {
  description = "Other buckets export sources may be read from (read-only access for the plan and exportpart steps)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for b in var.source_bucket_names : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", b))])
    error_message = "every source bucket name must be a valid S3 bucket name."
  }
}

variable "kms_key_arn" {
  description = "Optional KMS key ARN for bucket encryption (SSE-KMS). Empty means SSE-S3."
  type        = string
  default     = ""

  validation {
    condition     = var.kms_key_arn == "" || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be empty or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "repo_dir" {
  description = "Checkout whose statemachine/ (workflows) and steps/steps.json (steps) are deployed. Empty means this repository, the files the local stack reads; the tests point it at fixtures under terraform/testdata/."
  type        = string
  default     = ""
}

variable "prefixes" {
  description = "S3 key prefixes (each ending in '/') used by the workflow. Each step's role is limited to the prefixes it needs."
  type = object({
    requests  = string
    uploads   = string
    work      = string
    approvals = string
    exports   = string
  })
  default = {
    requests  = "requests/"
    uploads   = "uploads/"
    work      = "work/"
    approvals = "approvals/"
    exports   = "exports/"
  }

  validation {
    condition     = alltrue([for p in values(var.prefixes) : can(regex("^[a-zA-Z0-9!_.'()-]+(/[a-zA-Z0-9!_.'()-]+)*/$", p))])
    error_message = "every prefix must be a non-empty S3 key prefix ending in '/', without leading '/' or wildcards."
  }
}

variable "step_s3_access" {
  description = "S3 access of steps the built-in table does not name (a team's own steps), keyed by handler name: lists of prefix keys (requests, uploads, work, approvals, exports) the step may read, write, delete and list, and whether it reads var.source_bucket_names. An omitted list keeps the default (read uploads and work, write work, list uploads and work, delete nothing)."
  type = map(object({
    read           = optional(list(string))
    write          = optional(list(string))
    delete         = optional(list(string))
    list           = optional(list(string))
    source_buckets = optional(bool, false)
  }))
  default = {}
}

variable "approval_auth_type" {
  description = "Auth type of the approval decision page's function URL: NONE (anyone with a link may open it; every link is HMAC-signed, expires and decides only by POST with the page's form token) or AWS_IAM (callers must sign requests with IAM credentials allowed lambda:InvokeFunctionUrl; the caller's principal is recorded as the approver)."
  type        = string
  default     = "NONE"

  validation {
    condition     = contains(["NONE", "AWS_IAM"], var.approval_auth_type)
    error_message = "approval_auth_type must be NONE or AWS_IAM."
  }
}
