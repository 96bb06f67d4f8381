package statemachine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// BenchmarkWorkload runs each workload of ../shared/bench/workloads (the
// same files other ASL interpreters are measured with): one execution per
// iteration, history recorded, reporting state transitions per second.
//
//	go test -run '^$' -bench Workload -benchmem ./statemachine/
func BenchmarkWorkload(b *testing.B) {
	dir := filepath.Join("..", "..", "shared", "bench", "workloads")
	files, _ := filepath.Glob(filepath.Join(dir, "*.asl.json"))
	if len(files) == 0 {
		b.Skipf("BENCH WORKLOADS ABSENT: no *.asl.json under %s", dir)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".asl.json")
		b.Run(name, func(b *testing.B) { benchWorkload(b, dir, name) })
	}
}

func benchWorkload(b *testing.B, dir, name string) {
	read := func(suffix string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, name+suffix))
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	def, input, expected := read(".asl.json"), read(".input.json"), read(".expected.json")
	ctx := context.Background()
	e, err := statemachine.New(statemachine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	sm, err := e.CreateStateMachine(ctx, statemachine.CreateStateMachineInput{
		Name: name, Definition: string(def), Type: "STANDARD", RoleArn: "arn:aws:iam::123456789012:role/bench",
	})
	if err != nil {
		b.Skipf("ENGINE CANNOT RUN workload %s yet: CreateStateMachine: %v", name, err)
	}
	run := func() *statemachine.Execution {
		ex, err := e.StartExecution(ctx, statemachine.StartExecutionInput{StateMachineArn: sm.Arn, Input: string(input), InputSet: true})
		if err != nil {
			b.Fatalf("StartExecution: %v", err)
		}
		if ex, err = e.WaitExecution(ctx, ex.ExecutionArn); err != nil {
			b.Fatalf("WaitExecution: %v", err)
		}
		return ex
	}

	// Check the result once, and count the transitions it took.
	ex := run()
	if ex.Status != "SUCCEEDED" || ex.Output == nil {
		b.Skipf("ENGINE CANNOT RUN workload %s yet: status %s error %v cause %v", name, ex.Status, deref(ex.Error), deref(ex.Cause))
	}
	if !jsonEqual(b, []byte(*ex.Output), expected) {
		b.Fatalf("%s: output differs from %s.expected.json:\n got %.300s", name, name, *ex.Output)
	}
	events, err := e.GetExecutionHistory(ctx, ex.ExecutionArn)
	if err != nil {
		b.Fatal(err)
	}
	transitions := 0
	for _, ev := range events {
		if strings.HasSuffix(ev.Type, "StateEntered") {
			transitions++
		}
	}

	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		run()
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(transitions)*float64(b.N)/elapsed.Seconds(), "transitions/s")
	b.ReportMetric(float64(transitions), "transitions/op")
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// jsonEqual compares two JSON texts as values.
func jsonEqual(tb testing.TB, a, b []byte) bool {
	var x, y any
	if err := json.Unmarshal(bytes.TrimSpace(a), &x); err != nil {
		tb.Fatalf("output is not JSON: %v", err)
	}
	if err := json.Unmarshal(bytes.TrimSpace(b), &y); err != nil {
		tb.Fatalf("expected output is not JSON: %v", err)
	}
	return reflect.DeepEqual(x, y)
}
