#!/usr/bin/env bash
# Makes sure a Terraform-compatible CLI and tflint are available, without
# downloading any prebuilt binary (only the Go module proxy is reachable).
# Prints two lines: TERRAFORM_BIN=<path> and TFLINT_BIN=<path>.
#   - terraform: $TERRAFORM_BIN, terraform or tofu on PATH, or OpenTofu
#     v1.12.6 built from source once (about 10 minutes on 2 cores) and cached
#     in ~/.cache/stepwise/ outside the clone;
#   - tflint v0.64.0: go install, cached the same way.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache="${STEPWISE_TOOLS_CACHE:-$HOME/.cache/stepwise}"
mkdir -p "$cache"

tf="${TERRAFORM_BIN:-}"
if [ -z "$tf" ]; then tf=$(command -v terraform || command -v tofu || true); fi
if [ -z "$tf" ]; then
  tf="$cache/tofu-1.12.6"
  if [ ! -x "$tf" ]; then
    echo "terraform not found: building OpenTofu v1.12.6 from the Go module proxy (about 10 minutes)..." >&2
    work=$(mktemp -d)
    cp "$here/tofu/go.mod" "$here/tofu/tools.go" "$work/"
    (cd "$work" && GOFLAGS=-mod=mod go mod tidy >&2 && go build -trimpath -o "$tf.tmp" github.com/opentofu/opentofu/cmd/tofu >&2)
    mv "$tf.tmp" "$tf"
    rm -rf "$work"
  fi
fi

tflint="${TFLINT_BIN:-}"
if [ -z "$tflint" ]; then tflint=$(command -v tflint || true); fi
if [ -z "$tflint" ]; then
  tflint="$cache/tflint-0.64.0"
  if [ ! -x "$tflint" ]; then
    echo "tflint not found: go install github.com/terraform-linters/tflint@v0.64.0 (about 5 minutes)..." >&2
    GOBIN="$cache/bin" go install github.com/terraform-linters/tflint@v0.64.0 >&2
    mv "$cache/bin/tflint" "$tflint"
  fi
fi

echo "TERRAFORM_BIN=$tf"
echo "TFLINT_BIN=$tflint"
