# All logic (names, ARNs, rendered definition, policies, trigger pattern)
# lives in the provider-free module, which `terraform test` checks offline.
# This root module only wires resources to its outputs.
module "definitions" {
  source = "./modules/definitions"

  name_prefix         = var.name_prefix
  partition           = data.aws_partition.current.partition
  region              = var.region
  account_id          = data.aws_caller_identity.current.account_id
  bucket_name         = local.bucket_name
  source_bucket_names = var.source_bucket_names
  kms_key_arn         = var.kms_key_arn
  step_s3_access      = var.step_s3_access
  approval_auth_type  = var.approval_auth_type
}

locals {
  bucket_name = var.bucket_name != "" ? var.bucket_name : "${var.name_prefix}-exports-${data.aws_caller_identity.current.account_id}-${var.region}"
  steps       = module.definitions.steps
  prefixes    = module.definitions.prefixes
}
