//go:build faults

// Package faults is the fault suite of the local stack: it runs the real
// runner binary (`runner up`, `runner export`) and drives it through the
// Step Functions and S3 APIs while things go wrong, and checks that
// nothing acknowledged is lost, duplicated or changed.
//
//   - TestKillUnderLoad: kill -9 of `runner up` at random moments during
//     mixed load (runner CLI exports, StartExecution, S3 trigger objects,
//     small Wait/Map/Parallel/task-token machines); every acknowledged
//     request completes exactly once with the output of an uninterrupted
//     reference run.
//   - TestStepFaults: a fault-injecting Lambda bootstrap
//     (testdata/faultboot) makes a share of step invocations fail, time out
//     or crash; the export workflow's Retry policy absorbs them.
//   - TestDiskFull: the data directory on a small tmpfs that fills up and
//     turns read-only during a run.
//   - TestHostile: the regression corpus in testdata/hostile replayed
//     against a running stack, each file with its expected outcome.
//
// Every file is behind the build tag faults, so `go test ./...` never runs
// it. By hand (100 kills):
//
//	go test -tags faults -count=1 -v ./local/faults/
//
// CI runs it with -faults.kills=20. It is not a benchmark: the figures it
// prints (lines starting "faults:") are counts, not timings.
package faults
