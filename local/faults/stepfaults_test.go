//go:build faults

package faults

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepwise-dev/stepwise/local/stack"
)

// stepTimeout replaces every step's timeout_seconds in the copy of the
// checkout the step-fault stack runs: a "timeout" fault then costs
// seconds, not the 15 minutes exportpart may take on Lambda. It leaves
// room for the steps' 10 s deadline margin (stepkit.Env.DeadlineMargin).
// The ASL is the checkout's own.
const stepTimeout = 20

// shortTimeoutRepo copies the files `runner up` reads (statemachine/*,
// steps/steps.json) into a directory, with step timeouts of stepTimeout.
func shortTimeoutRepo(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "statemachine"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "steps"), 0o755); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "statemachine", "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "statemachine", filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(root, stack.StepsFile))
	if err != nil {
		t.Fatal(err)
	}
	b = regexp.MustCompile(`"timeout_seconds":\s*\d+`).ReplaceAll(b, []byte(fmt.Sprintf(`"timeout_seconds": %d`, stepTimeout)))
	if err := os.WriteFile(filepath.Join(dir, stack.StepsFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestStepFaults runs exports with the steps served by the fault-injecting
// bootstrap (testdata/faultboot): -faults.rate of the step invocations
// return a transient error, time out or crash the process. The export
// workflow's Retry policy must absorb all of it: every export SUCCEEDED
// with output identical to a fault-free reference run.
func TestStepFaults(t *testing.T) {
	ctx := context.Background()
	boot := filepath.Join(t.TempDir(), "bootstrap")
	b, err := os.ReadFile(build(t, "./local/faults/testdata/faultboot", "faults", "lambda.norpc"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(boot, b, 0o755); err != nil {
		t.Fatal(err)
	}
	faultLog := filepath.Join(t.TempDir(), "faults.log")
	setRate := func(rate float64) {
		cfg, _ := json.Marshal(map[string]any{"rate": rate, "log": faultLog})
		if err := os.WriteFile(boot+".json", cfg, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setRate(0)

	p := newStackProc(t, filepath.Join(t.TempDir(), "data"))
	p.args = []string{"--bootstrap", boot}
	p.env = []string{"STEPWISE_REPO=" + shortTimeoutRepo(t)}
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	ordersPath := filepath.Join(p.repo, "testdata", "orders.csv")
	orders, err := os.ReadFile(ordersPath)
	if err != nil {
		t.Fatal(err)
	}
	srcKey := uploadKey(orders, "orders.csv")
	if err := p.put(ctx, srcKey, orders); err != nil {
		t.Fatal(err)
	}
	ref := p.reference(ctx, t, ordersPath)
	os.Remove(faultLog)

	setRate(*flagRate)
	names := map[string]exportShape{}
	for i := range *flagRuns {
		s := shapes[i%len(shapes)]
		name := fmt.Sprintf("faulty-%02d-%s", i, s.format)
		if err := p.startExport(ctx, name, s.request(p.ep.Bucket, srcKey, true)); err != nil {
			t.Fatal(err)
		}
		names[name] = s
	}
	tick := func() { p.approvePending(ctx, nil) }
	if err := p.waitIdle(ctx, 6*time.Minute, tick, p.ep.StateMachineArn); err != nil {
		t.Error(err)
	}
	setRate(0)

	var retries, mismatched, failed int
	for name, s := range names {
		arn := strings.Replace(p.ep.StateMachineArn, ":stateMachine:", ":execution:", 1) + ":" + name
		d, err := p.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		n, err := p.retries(ctx, arn)
		if err != nil {
			t.Fatal(err)
		}
		retries += n
		if d.Status != types.ExecutionStatusSucceeded {
			failed++
			t.Errorf("%s: %s: %s: %s", name, d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
			continue
		}
		got, err := p.publishedSHA(ctx, aws.ToString(d.Output))
		if err != nil || got != ref[s.format] {
			mismatched++
			t.Errorf("%s: published output sha256 %s, reference %s %v", name, got, ref[s.format], err)
		}
	}
	invocations, injected := 0, map[string]int{}
	if f, err := os.Open(faultLog); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) == 3 {
				invocations++
				if fields[2] != "none" {
					injected[fields[2]]++
				}
			}
		}
		f.Close()
	}
	total := 0
	var kinds []string
	for _, k := range []string{"error", "timeout-before", "timeout-after", "crash-before", "crash-after"} {
		total += injected[k]
		kinds = append(kinds, fmt.Sprintf("%s %d", k, injected[k]))
	}
	t.Logf("faults: injected step faults (rate %.2f): exports=%d invocations=%d faults=%d (%s) retries=%d failed=%d mismatched=%d",
		*flagRate, len(names), invocations, total, strings.Join(kinds, ", "), retries, failed, mismatched)
	if *flagRate > 0 && total == 0 {
		t.Errorf("no fault was injected in %d invocations: the suite measured nothing (is %s.json read?)", invocations, boot)
	}
	if retries < total {
		t.Errorf("%d faults injected but only %d task attempts were retried", total, retries)
	}
}

// retries counts the task attempts of an execution and of its Distributed
// Map children that were retried: TaskScheduled events beyond the first of
// each TaskStateEntered.
func (p *stackProc) retries(ctx context.Context, arn string) (int, error) {
	arns := []string{arn}
	runs, err := p.sfn.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		return 0, err
	}
	for _, r := range runs.MapRuns {
		var next *string
		for {
			out, err := p.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: r.MapRunArn, MaxResults: 1000, NextToken: next})
			if err != nil {
				return 0, err
			}
			for _, ex := range out.Executions {
				arns = append(arns, aws.ToString(ex.ExecutionArn))
			}
			if next = out.NextToken; next == nil {
				break
			}
		}
	}
	n := 0
	for _, a := range arns {
		hist, err := p.history(ctx, a)
		if err != nil {
			return 0, err
		}
		for _, ev := range hist {
			switch ev.Type {
			case types.HistoryEventTypeTaskScheduled:
				n++
			case types.HistoryEventTypeTaskStateEntered:
				n--
			}
		}
	}
	return n, nil
}
