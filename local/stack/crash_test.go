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
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
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

// TestCrashTrigger SIGKILLs a stack with the S3 trigger while 8 writers
// put export request objects under requests/, restarts it (3 kills), and
// then checks that every object the S3 API acknowledged started exactly
// one execution: none lost in the kill, none started twice by a
// redelivered event.
//
//	go test -tags crash -run TestCrashTrigger -v ./local/stack/
func TestCrashTrigger(t *testing.T) {
	const writers, kills = 8, 3
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
	var s3URL, smArn string
	start := func() {
		t.Helper()
		for attempt := 0; ; attempt++ {
			child = exec.Command(bin, dataDir, addr, repoRoot, "trigger")
			child.Stderr = os.Stderr
			out, _ := child.StdoutPipe()
			if err := child.Start(); err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(out).ReadString('\n')
			if f := strings.Fields(line); len(f) == 4 && f[0] == "ready" {
				s3URL, smArn = f[2], f[3]
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
	ctx := context.Background()
	s3Client := func() *awss3.Client {
		return awss3.New(awss3.Options{Region: "us-east-1", BaseEndpoint: aws.String(s3URL), UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider(locals3.DefaultAccessKey, locals3.DefaultSecretKey, ""),
			Retryer:     aws.NopRetryer{}})
	}
	// write puts request objects until stop is closed and returns the keys
	// the server acknowledged.
	var seq atomicCounter
	write := func(c *awss3.Client, stop <-chan struct{}) []string {
		var mu sync.Mutex
		var acked []string
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					key := fmt.Sprintf("requests/w%d-%05d.json", w, seq.next())
					_, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("stepwise"), Key: aws.String(key),
						Body: strings.NewReader(`{"source":{"bucket":"stepwise","key":"uploads/none.csv"}}`)})
					if err != nil {
						if errors.Is(err, context.Canceled) {
							return
						}
						time.Sleep(20 * time.Millisecond) // the stack is down
						continue
					}
					mu.Lock()
					acked = append(acked, key)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return acked
	}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	var acked []string
	start()
	defer func() { kill() }()
	for k := range kills {
		stop := make(chan struct{})
		done := make(chan []string)
		go func() { done <- write(s3Client(), stop) }()
		time.Sleep(time.Duration(500+rng.IntN(1000)) * time.Millisecond)
		kill()
		close(stop)
		got := <-done
		t.Logf("kill %d: %d objects acknowledged", k+1, len(got))
		acked = append(acked, got...)
		start()
	}

	// Every acknowledged object must get its execution, from the events
	// replayed at start-up: wait for all of them.
	client := sfn.New(sfn.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")},
		sfnapi.ClientOptions("http://"+addr))
	var byKey map[string][]string
	deadline := time.Now().Add(2 * time.Minute)
	for {
		byKey = map[string][]string{}
		var token *string
		for {
			list, err := client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(smArn), MaxResults: 1000, NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, ex := range list.Executions {
				d, err := client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
				if err != nil {
					t.Fatal(err)
				}
				var in struct{ Request struct{ Key string } }
				json.Unmarshal([]byte(aws.ToString(d.Input)), &in)
				byKey[in.Request.Key] = append(byKey[in.Request.Key], *ex.Name)
			}
			if token = list.NextToken; token == nil {
				break
			}
		}
		missing := 0
		for _, k := range acked {
			if len(byKey[k]) == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged objects never started an execution (%d executions exist)", missing, len(acked), len(byKey))
		}
		time.Sleep(200 * time.Millisecond)
	}
	for key, names := range byKey {
		if len(names) != 1 {
			t.Errorf("%s started %d executions: %v", key, len(names), names)
		}
	}
	t.Logf("%d acknowledged objects, %d executions (objects written but not acknowledged may start one too)", len(acked), len(byKey))
}

type atomicCounter struct {
	mu sync.Mutex
	n  int
}

func (c *atomicCounter) next() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}
