// Command bench measures the engine on the shared benchmark workloads and
// prints, per workload, state transitions per second next to a floor
// measured in the same process: decoding and re-encoding each state's
// input with encoding/json, the least work any JSON-passing interpreter
// does per transition. The ratio (engine rate / floor rate) is what to
// compare across machines; absolute numbers depend on the machine.
//
//	go run ./bench [-dir ../shared/bench/workloads] [-time 2s] [-run regexp]
//
// It is a measuring tool, not a test: it asserts nothing except that each
// workload's output equals its .expected.json.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	dir := fs.String("dir", filepath.Join("..", "shared", "bench", "workloads"), "workload directory (<name>.asl.json, .input.json, .expected.json)")
	d := fs.Duration("time", 2*time.Second, "measuring time per workload and per baseline")
	filter := fs.String("run", "", "only workloads whose name matches this regexp")
	if err := fs.Parse(args); err != nil {
		return err
	}
	re, err := regexp.Compile(*filter)
	if err != nil {
		return fmt.Errorf("-run: %w", err)
	}
	files, err := filepath.Glob(filepath.Join(*dir, "*.asl.json"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no *.asl.json workloads under %s (set -dir)", *dir)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\ttransitions/exec\tengine trans/s\tfloor trans/s\tratio\tallocs/exec\t")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".asl.json")
		if !re.MatchString(name) {
			continue
		}
		r, err := measure(ctx, *dir, name, *d)
		if err != nil {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t(%v)\n", name, err)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.3f\t%.0f\t\n", name, r.transitions, r.engineRate, r.floorRate, r.engineRate/r.floorRate, r.allocsPerExec)
	}
	return tw.Flush()
}

type result struct {
	transitions   int
	engineRate    float64
	floorRate     float64
	allocsPerExec float64
}

func measure(ctx context.Context, dir, name string, d time.Duration) (result, error) {
	read := func(suffix string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name+suffix)) }
	def, err := read(".asl.json")
	if err != nil {
		return result{}, err
	}
	input, err := read(".input.json")
	if err != nil {
		return result{}, err
	}
	expected, err := read(".expected.json")
	if err != nil {
		return result{}, err
	}
	e, err := statemachine.New(statemachine.Options{})
	if err != nil {
		return result{}, err
	}
	defer e.Close()
	sm, err := e.CreateStateMachine(ctx, statemachine.CreateStateMachineInput{Name: name, Definition: string(def), Type: "STANDARD", RoleArn: "arn:aws:iam::123456789012:role/bench"})
	if err != nil {
		return result{}, err
	}
	exec := func() (*statemachine.Execution, error) {
		ex, err := e.StartExecution(ctx, statemachine.StartExecutionInput{StateMachineArn: sm.Arn, Input: string(input), InputSet: true})
		if err != nil {
			return nil, err
		}
		return e.WaitExecution(ctx, ex.ExecutionArn)
	}
	ex, err := exec()
	if err != nil {
		return result{}, err
	}
	if ex.Status != "SUCCEEDED" || ex.Output == nil {
		return result{}, fmt.Errorf("status %s error %s", ex.Status, str(ex.Error))
	}
	if !jsonEqual([]byte(*ex.Output), expected) {
		return result{}, errors.New("output differs from " + name + ".expected.json")
	}
	events, err := e.GetExecutionHistory(ctx, ex.ExecutionArn)
	if err != nil {
		return result{}, err
	}
	var inputs [][]byte
	for _, ev := range events {
		if !strings.HasSuffix(ev.Type, "StateEntered") {
			continue
		}
		raw, err := json.Marshal(ev)
		if err != nil {
			return result{}, err
		}
		var v struct {
			D struct {
				Input string `json:"input"`
			} `json:"stateEnteredEventDetails"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return result{}, err
		}
		inputs = append(inputs, []byte(v.D.Input))
	}
	r := result{transitions: len(inputs)}
	if r.transitions == 0 {
		return result{}, errors.New("history has no StateEntered events")
	}

	var ms0, ms1 runtimeMem
	ms0.read()
	n, start := 0, time.Now()
	for time.Since(start) < d {
		if _, err := exec(); err != nil {
			return result{}, err
		}
		n++
	}
	elapsed := time.Since(start)
	ms1.read()
	r.engineRate = float64(n*r.transitions) / elapsed.Seconds()
	r.allocsPerExec = float64(ms1.mallocs-ms0.mallocs) / float64(n)

	// Floor: decode and re-encode every state's input once per transition.
	n, start = 0, time.Now()
	for time.Since(start) < d {
		for _, in := range inputs {
			var v any
			if err := json.Unmarshal(in, &v); err != nil {
				return result{}, err
			}
			if _, err := json.Marshal(v); err != nil {
				return result{}, err
			}
		}
		n++
	}
	r.floorRate = float64(n*r.transitions) / time.Since(start).Seconds()
	return r, nil
}

func str(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(bytes.TrimSpace(a), &x) != nil || json.Unmarshal(bytes.TrimSpace(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// runtimeMem reads the process's allocation count.
type runtimeMem struct{ mallocs uint64 }

func (m *runtimeMem) read() {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.mallocs = s.Mallocs
}
