//go:build tools

// Package tofubuild builds the OpenTofu CLI from the Go module proxy, as a
// stand-in for terraform on machines where no terraform binary is
// installed (it cannot be downloaded there). Used by .ci/terraform-tools.sh.
package tofubuild

import _ "github.com/opentofu/opentofu/cmd/tofu"
