#!/bin/sh
# Measures the report workflow's steps on a generated CSV (1 GiB by
# default): wall time of the whole report (plan, parts, reduce) next to
# `cp` of the same file in the same run, the time to read the file through
# the local S3 alone, and the peak RSS of each step. The steps run as the
# steps bootstrap (cmd/steps), warm instances reused through the local
# Lambda runtime (-cold: a process per invocation), against the embedded
# local S3. Goal:
# report <= 1.5x cp, every step <= 128 MiB. Arguments go to the Go program
# (bench/report/main.go), for example: bench/report.sh -size 268435456
set -eu
cd "$(dirname "$0")/.."
# The steps run as the bootstrap a user deploys, built as for Lambda.
go build -tags lambda.norpc -o "${TMPDIR:-/tmp}/stepwise-report-bench-bootstrap" ./cmd/steps
go build -o "${TMPDIR:-/tmp}/stepwise-report-bench" ./bench/report
exec "${TMPDIR:-/tmp}/stepwise-report-bench" -bootstrap "${TMPDIR:-/tmp}/stepwise-report-bench-bootstrap" "$@"
