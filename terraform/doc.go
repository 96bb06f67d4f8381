// Package terraform holds the Go tests of the Terraform configuration in
// this directory: the root module's resources against the aws provider's
// schema, the rendered definition against the local stack's rendering, and
// the wiring of steps to functions, roles and log groups. The Terraform
// code itself is the .tf files; there is nothing to import here.
package terraform
