# One workflow on AWS, from one entry of the definitions module's
# "workflows" output: everything that can be wrong in it (names, the
# rendered definition, every policy) is computed and tested provider-free
# there; this module only wires resources to it.
terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}
