# This module needs no provider at all: it computes everything that can be
# wrong (the rendered definition, names, ARNs, every policy document) so that
# `terraform test` checks it offline. The root module only wires resources to
# these outputs.
terraform {
  required_version = ">= 1.6.0"
}
