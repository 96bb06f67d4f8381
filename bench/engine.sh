#!/bin/sh
# Measures the engine on ../shared/bench/workloads: state transitions per
# second per workload, next to an encoding/json floor measured in the same
# process, and their ratio. Arguments go to the Go program (bench/main.go),
# for example: bench/engine.sh -time 5s -run pass_chain
set -eu
cd "$(dirname "$0")/.."
exec go run ./bench "$@"
