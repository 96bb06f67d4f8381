#!/usr/bin/env bash
# Prints how long `runner --help` takes (goal: under 50 ms) next to the cost
# of starting a trivial process, measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(go test -run '^$' -bench 'HelpStartup|ProcessBaseline' -benchtime 50x -count 3 ./cmd/runner/)
echo "$out" | grep -E '^Benchmark'
echo "$out" | awk '
  /^BenchmarkHelpStartup/    { h += $3; nh++ }
  /^BenchmarkProcessBaseline/ { p += $3; np++ }
  END {
    if (nh == 0 || np == 0) { print "no results"; exit 1 }
    printf "runner --help: %.1f ms   baseline process: %.1f ms   ratio: %.1fx   (goal < 50 ms)\n", h/nh/1e6, p/np/1e6, (h/nh)/(p/np)
  }'
