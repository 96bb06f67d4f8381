//go:build crash

package stack

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepwise-dev/stepwise/local/sfnapi"
)

// crashMachine has Waits, Lambda tasks and a task token.
const crashMachine = `{
  "StartAt": "Prepare",
  "States": {
    "Prepare": {"Type": "Pass", "Parameters": {"id.$": "$.id"}, "Next": "Wait1"},
    "Wait1": {"Type": "Wait", "Seconds": 1, "Next": "Work1"},
    "Work1": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:crash-work",
              "Parameters": {"id.$": "$.id", "step": 1}, "ResultPath": "$.w1", "Next": "Approve"},
    "Approve": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "crash-approve", "Payload": {"ID.$": "$.id", "Token.$": "$$.Task.Token"}},
                "ResultPath": "$.approval", "Next": "Wait2"},
    "Wait2": {"Type": "Wait", "Seconds": 1, "Next": "Work2"},
    "Work2": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:crash-work",
              "Parameters": {"id.$": "$.id", "step": 2}, "ResultPath": "$.w2", "End": true}
  }
}`

// TestCrash runs the stack as a subprocess, keeps 20 executions in flight,
// SIGKILLs the stack at 10 random moments and restarts it, then checks that
// all 20 executions SUCCEEDED with the expected output, none lost and none
// started twice.
//
//	go test -tags crash -run TestCrash -v ./local/stack/
func TestCrash(t *testing.T) {
	const executions, kills = 20, 10
	repoRoot, _ := filepath.Abs(filepath.Join("..", ".."))
	bin := filepath.Join(t.TempDir(), "crashstack")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/crashstack").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dataDir := t.TempDir()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()

	var child *exec.Cmd
	start := func() {
		t.Helper()
		// The previous process's lock goes with it; retry while the port or
		// the lock is still being released.
		for attempt := 0; ; attempt++ {
			child = exec.Command(bin, dataDir, addr, repoRoot)
			child.Stderr = os.Stderr
			out, _ := child.StdoutPipe()
			if err := child.Start(); err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(out).ReadString('\n')
			if strings.HasPrefix(line, "ready ") {
				return
			}
			child.Wait()
			if attempt == 20 {
				t.Fatalf("stack did not start: %q", line)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	kill := func() {
		child.Process.Signal(syscall.SIGKILL)
		child.Wait()
	}
	// A fresh client (and connection pool) per stack process: pooled
	// keep-alive connections to a killed process are dead.
	var client *sfn.Client
	newClient := func() {
		client = sfn.New(sfn.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")},
			sfnapi.ClientOptions("http://"+addr))
	}
	start()
	newClient()
	defer func() { kill() }()
	ctx := context.Background()
	created, err := client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("crash"), Definition: aws.String(crashMachine), RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
	})
	if err != nil {
		t.Fatal(err)
	}
	smArn := created.StateMachineArn

	// Start the executions, retrying across crashes: a start with the same
	// name and input is idempotent.
	started := map[int]bool{}
	startAll := func() {
		for i := range executions {
			if started[i] {
				continue
			}
			_, err := client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: smArn,
				Name: aws.String(fmt.Sprintf("exec-%02d", i)), Input: aws.String(fmt.Sprintf(`{"id":"e%02d"}`, i))})
			var exists *types.ExecutionAlreadyExists
			if err == nil || errors.As(err, &exists) {
				started[i] = true
			}
		}
	}

	// Approver: sends task success for every token file, again after
	// restarts (a token must survive a crash).
	var mu sync.Mutex
	approveAll := func() {
		mu.Lock()
		defer mu.Unlock()
		ents, _ := os.ReadDir(filepath.Join(dataDir, "tokens"))
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".tmp") {
				continue
			}
			tok, err := os.ReadFile(filepath.Join(dataDir, "tokens", e.Name()))
			if err != nil {
				continue
			}
			_, err = client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(string(tok)), Output: aws.String(`{"approved":true}`)})
			var gone *types.TaskDoesNotExist
			var timedOut *types.TaskTimedOut
			if err == nil || errors.As(err, &gone) || errors.As(err, &timedOut) {
				os.Remove(filepath.Join(dataDir, "tokens", e.Name()))
			}
		}
	}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for k := range kills {
		startAll()
		deadline := time.Now().Add(time.Duration(rng.IntN(1500)) * time.Millisecond)
		for time.Now().Before(deadline) {
			approveAll()
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("kill %d", k+1)
		kill()
		start()
		newClient()
	}
	startAll()
	if len(started) != executions {
		t.Fatalf("only %d executions could be started", len(started))
	}

	// Let everything finish.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		approveAll()
		list, err := client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: smArn, MaxResults: 100})
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, ex := range list.Executions {
			if ex.Status != types.ExecutionStatusRunning {
				done++
			}
		}
		if done == executions && len(list.Executions) == executions {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 2 minutes: %d of %d executions finished (%d listed)", done, executions, len(list.Executions))
		}
		time.Sleep(100 * time.Millisecond)
	}

	list, _ := client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: smArn, MaxResults: 100})
	if len(list.Executions) != executions {
		t.Errorf("%d executions exist, want %d (none lost, none started twice)", len(list.Executions), executions)
	}
	for _, ex := range list.Executions {
		d, err := client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != types.ExecutionStatusSucceeded {
			t.Errorf("%s: %s %s %s", *ex.Name, d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
			continue
		}
		var in struct{ ID string }
		json.Unmarshal([]byte(*d.Input), &in)
		want := fmt.Sprintf(`{"approval":{"approved":true},"id":%q,"w1":{"id":%q,"result":6,"step":1},"w2":{"id":%q,"result":9,"step":2}}`, in.ID, in.ID, in.ID)
		var out any
		json.Unmarshal([]byte(*d.Output), &out)
		if got, _ := json.Marshal(out); string(got) != want {
			t.Errorf("%s output %s, want %s", *ex.Name, got, want)
		}
		h, err := client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: ex.ExecutionArn, MaxResults: 1000})
		if err != nil {
			t.Fatal(err)
		}
		startedEvents := 0
		for _, ev := range h.Events {
			if ev.Type == types.HistoryEventTypeExecutionStarted {
				startedEvents++
			}
		}
		if startedEvents != 1 {
			t.Errorf("%s: %d ExecutionStarted events", *ex.Name, startedEvents)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dataDir, "invocations.log"))
	t.Logf("%d Lambda invocations for %d executions x 2 work steps (re-invocations after crashes are expected: at-least-once)",
		strings.Count(string(b), "\n"), executions)
}
