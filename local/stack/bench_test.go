package stack

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// benchStack opens a durable stack (fsync on) with the 3-state machine.
func benchStack(b *testing.B) (*Stack, *sfn.Client, string) {
	b.Helper()
	ctx := context.Background()
	opts := testOptions(b.TempDir())
	opts.NoSync = os.Getenv("STEPWISE_BENCH_NOSYNC") != ""
	st, err := Open(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	c := sfnClient(st.Endpoints.StepFunctions)
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("three"), Definition: aws.String(threeStates),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/r")})
	if err != nil {
		b.Fatal(err)
	}
	return st, c, *sm.StateMachineArn
}

// BenchmarkStartToSucceeded measures, over the Step Functions API with the
// AWS SDK, the latency from StartExecution to the execution being
// SUCCEEDED for a 3-state machine (Pass, in-process Lambda task, Pass),
// one execution at a time. It reports the median and p99.
func BenchmarkStartToSucceeded(b *testing.B) {
	st, c, smArn := benchStack(b)
	ctx := context.Background()
	var lat []time.Duration
	for b.Loop() {
		t0 := time.Now()
		ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Input: aws.String(`{"A":1,"B":2}`)})
		if err != nil {
			b.Fatal(err)
		}
		done, err := st.Engine.WaitExecution(ctx, *ex.ExecutionArn)
		if err != nil || done.Status != "SUCCEEDED" {
			b.Fatal(err, done)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "median-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkExecutionsPerSecond runs the 3-state machine with 64 clients
// starting executions over the API concurrently and reports executions/s
// and durable state transitions/s (3 transitions per execution, each
// committed to the store with fsync).
func BenchmarkExecutionsPerSecond(b *testing.B) {
	st, c, smArn := benchStack(b)
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 64 {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Input: aws.String(`{"A":1,"B":2}`)})
				if err != nil {
					b.Error(err)
					return
				}
				if done, err := st.Engine.WaitExecution(ctx, *ex.ExecutionArn); err != nil || done.Status != "SUCCEEDED" {
					b.Error(fmt.Sprint(err, done))
					return
				}
			}
		})
	}
	wg.Wait()
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/secs, "executions/s")
	b.ReportMetric(float64(3*b.N)/secs, "transitions/s")
}

// BenchmarkDurableTransitions starts executions of the 3-state machine
// directly on the engine (no HTTP) from 64 and 512 goroutines, with the
// durable store, and reports executions/s and state transitions/s: the
// engine and store cost without the API in front. More executions in flight
// means bigger commit groups per fsync.
func BenchmarkDurableTransitions(b *testing.B) {
	for _, workers := range []int{64, 512} {
		b.Run(fmt.Sprintf("inflight/%d", workers), func(b *testing.B) {
			st, _, smArn := benchStack(b)
			ctx := context.Background()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for range workers {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						ex, err := st.Engine.StartExecution(ctx, statemachine.StartExecutionInput{StateMachineArn: smArn, Input: `{"A":1,"B":2}`, InputSet: true})
						if err != nil {
							b.Error(err)
							return
						}
						if done, err := st.Engine.WaitExecution(ctx, ex.ExecutionArn); err != nil || done.Status != "SUCCEEDED" {
							b.Error(fmt.Sprint(err, done))
							return
						}
					}
				})
			}
			wg.Wait()
			secs := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N)/secs, "executions/s")
			b.ReportMetric(float64(3*b.N)/secs, "transitions/s")
		})
	}
}
