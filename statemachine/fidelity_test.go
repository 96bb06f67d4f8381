package statemachine_test

import (
	"context"
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine/internal/conformance"
)

// TestFidelityCases replays the cases under testdata/conformance through
// the conformance runner, like TestConformance does with the AWS-recorded
// corpus. These cases were written by hand from the AWS documentation (each
// says so in its notes) for behaviours the recorded corpus does not pin:
// Wait timestamp formats, StopExecution histories, executions started
// through versions and aliases, empty Assign blocks, aws-sdk:sfn errors, a
// parent timing out while a .sync child runs, EXPRESS validation messages,
// activity tasks (with emulated workers).
// Unlike TestConformance, every mismatch fails the test.
func TestFidelityCases(t *testing.T) {
	cases, err := conformance.Load("testdata/conformance")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases under testdata/conformance/cases")
	}
	for _, c := range cases {
		t.Run(c.ID(), func(t *testing.T) {
			t.Parallel()
			if !c.HasNote("written from the AWS documentation") {
				t.Errorf("%s: notes must say the case was written from the AWS documentation, not recorded", c.File)
			}
			res := conformance.Run(context.Background(), c, newEngineDriver)
			if !res.Passed {
				t.Errorf("%s: %s", c.File, res.Reason)
			}
		})
	}
}
