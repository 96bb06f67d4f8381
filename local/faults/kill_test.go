//go:build faults

package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// smallMachine waits, fans out into a Map of Waits and a task-token task,
// and joins: its output is fixed by its input and the task's answer. The
// task-token task invokes a step that ignores the token (cleanup of a work
// directory that does not exist); the test answers the token it finds in
// the TaskScheduled event, as an outside system would.
const smallMachine = `{
  "StartAt": "Wait",
  "States": {
    "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Fan"},
    "Fan": {
      "Type": "Parallel",
      "Branches": [
        {"StartAt": "Items", "States": {"Items": {
          "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
          "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Pause", "States": {
            "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Double"},
            "Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, $)"}, "End": true}}},
          "End": true}}},
        {"StartAt": "Token", "States": {"Token": {
          "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
          "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:stepwise-cleanup",
                         "Payload": {"execution.$": "$$.Execution.Name", "taskToken.$": "$$.Task.Token"}},
          "TimeoutSeconds": 3600, "End": true}}}
      ],
      "Next": "Done"
    },
    "Done": {"Type": "Pass", "End": true}
  }
}`

// loadReq is one request of the mixed load.
type loadReq struct {
	kind  string // "cli" (runner export), "api" (StartExecution), "s3" (requests/ object), "small"
	name  string // execution name; for "s3" the request object's key
	shape exportShape
	input string // "api" and "small": the StartExecution input, resent until answered
	acked bool

	// "cli" only.
	cmd        *exec.Cmd
	done       chan struct{}
	stderrPath string
	outPath    string
}

func (r *loadReq) cliAlive() bool {
	if r.done == nil {
		return false
	}
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

// TestKillUnderLoad kills `runner up` with SIGKILL -faults.kills times at
// random moments while exports in every format (started by `runner export`
// processes, by StartExecution and by requests/*.json objects) and small
// Wait/Map/Parallel/task-token machines run, then checks every
// acknowledged request: exactly one execution, SUCCEEDED, and for exports
// output bytes identical to an uninterrupted reference run.
func TestKillUnderLoad(t *testing.T) {
	ctx := context.Background()
	seed := *flagSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	rng := rand.New(rand.NewPCG(seed, 11))
	t.Logf("seed %d (rerun with -faults.seed=%d)", seed, seed)

	p := newStackProc(t, filepath.Join(t.TempDir(), "data"))
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
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
	created, err := p.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("faults-small"), Definition: aws.String(smallMachine), RoleArn: aws.String("arn:aws:iam::123456789012:role/faults"),
	})
	if err != nil {
		t.Fatal(err)
	}
	smallArn := aws.ToString(created.StateMachineArn)
	exportArn := p.ep.StateMachineArn

	outDir := t.TempDir()
	var reqs []*loadReq
	byName := map[string]*loadReq{}
	kinds := []string{"cli", "api", "s3", "small"}
	launchKind := func(kind string) {
		n := len(reqs)
		r := &loadReq{kind: kind, shape: shapes[(n/len(kinds))%len(shapes)]}
		switch r.kind {
		case "cli":
			r.name = fmt.Sprintf("cli-%03d", n)
			r.stderrPath = filepath.Join(outDir, r.name+".stderr")
			r.outPath = filepath.Join(outDir, r.name+"."+r.shape.format)
			stderr, err := os.Create(r.stderrPath)
			if err != nil {
				t.Fatal(err)
			}
			args := append([]string{"export", ordersPath, "--data-dir", p.dataDir, "--name", r.name, "--yes", "--out", r.outPath}, r.shape.cliArgs()...)
			r.cmd = exec.Command(p.bin, args...)
			r.cmd.Dir = p.repo
			r.cmd.Env = append(os.Environ(), "STEPWISE_REPO="+filepath.Join(p.dataDir, "no-checkout"))
			r.cmd.Stderr = stderr
			if err := r.cmd.Start(); err != nil {
				t.Fatal(err)
			}
			r.done = make(chan struct{})
			go func() { r.cmd.Wait(); stderr.Close(); close(r.done) }()
		case "api":
			r.name = fmt.Sprintf("api-%03d", n)
			in, _ := json.Marshal(map[string]any{"request": r.shape.request(p.ep.Bucket, srcKey, true)})
			r.input = string(in)
		case "s3":
			r.name = fmt.Sprintf("requests/faults-%03d.json", n)
			body, _ := json.Marshal(r.shape.request(p.ep.Bucket, srcKey, true))
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			// Not retried: a second PUT is a second request.
			r.acked = p.put(cctx, r.name, body) == nil
			cancel()
		case "small":
			r.name = fmt.Sprintf("small-%03d", n)
			r.input = fmt.Sprintf(`{"id":%q,"items":[1,2,3]}`, r.name)
		}
		reqs = append(reqs, r)
		byName[r.name] = r
	}
	launch := func() { launchKind(kinds[len(reqs)%len(kinds)]) }
	// burst PUTs n request objects at once and kills the stack after
	// delay, while they are in flight or just answered: an acknowledged
	// object whose event is not yet an execution is most exposed then.
	burst := func(n int, delay time.Duration) {
		body, _ := json.Marshal(shapes[0].request(p.ep.Bucket, srcKey, true))
		var wg sync.WaitGroup
		for i := range n {
			r := &loadReq{kind: "s3", shape: shapes[0], name: fmt.Sprintf("requests/faults-%03d-burst%d.json", len(reqs), i)}
			reqs = append(reqs, r)
			byName[r.name] = r
			wg.Go(func() {
				cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				r.acked = p.put(cctx, r.name, body) == nil
				cancel()
			})
		}
		time.Sleep(delay)
		p.kill()
		wg.Wait()
	}
	// resend answers StartExecution requests not answered yet: a start with
	// the same name and input is idempotent.
	resend := func() {
		for _, r := range reqs {
			if r.acked || r.input == "" {
				continue
			}
			arn := exportArn
			if r.kind == "small" {
				arn = smallArn
			}
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := p.sfn.StartExecution(cctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String(r.name), Input: aws.String(r.input)})
			cancel()
			if err == nil || errCode(err) == "ExecutionAlreadyExists" {
				r.acked = true
			}
		}
	}
	answered := map[string]time.Time{}
	tick := func() {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		resend()
		// A `runner export --yes` that is alive approves its own export.
		p.approvePending(cctx, func(ex string) bool { r := byName[ex]; return r != nil && r.cliAlive() })
		for _, r := range reqs {
			if r.kind == "small" && r.acked && time.Since(answered[r.name]) > time.Second {
				answered[r.name] = time.Now()
				answerToken(cctx, p, smallArn, r.name)
			}
		}
	}

	kills := 0
	for kills < *flagKills {
		uptime := time.Duration(300+rng.IntN(2200)) * time.Millisecond
		var at []time.Duration
		for range *flagLoad {
			at = append(at, time.Duration(rng.Int64N(int64(uptime))))
		}
		slices.Sort(at)
		began := time.Now()
		for time.Since(began) < uptime {
			for len(at) > 0 && time.Since(began) >= at[0] {
				at = at[1:]
				launch()
			}
			tick()
			time.Sleep(30 * time.Millisecond)
		}
		// Every other kill comes right after a request object was
		// acknowledged, where an event not yet turned into an execution is
		// most exposed.
		if rng.IntN(2) == 0 {
			burst(3, time.Duration(rng.IntN(4000))*time.Microsecond)
		} else {
			p.kill()
		}
		kills++
		if err := p.start(); err != nil {
			t.Fatalf("after kill %d: %v", kills, err)
		}
	}
	t.Logf("%d kills done, %d requests started; waiting for every execution to finish", kills, len(reqs))
	if err := p.waitIdle(ctx, 5*time.Minute, tick, exportArn, smallArn); err != nil {
		t.Error(err)
	}
	for _, r := range reqs {
		if r.cliAlive() {
			select {
			case <-r.done:
			case <-time.After(30 * time.Second):
				t.Logf("%s: runner export still running after its execution ended; killed", r.name)
				r.cmd.Process.Kill()
				<-r.done
			}
		}
		if r.kind == "cli" {
			b, _ := os.ReadFile(r.stderrPath)
			r.acked = bytes.Contains(b, []byte("export "+r.name+" started"))
		}
	}

	// Which executions exist for which request.
	execs := map[string][]types.ExecutionListItem{}
	exportList, err := p.executions(ctx, exportArn)
	if err != nil {
		t.Fatal(err)
	}
	smallList, err := p.executions(ctx, smallArn)
	if err != nil {
		t.Fatal(err)
	}
	var stray []string
	for _, ex := range exportList {
		name := aws.ToString(ex.Name)
		if strings.HasPrefix(name, "reference-") {
			continue
		}
		key := name
		if byName[name] == nil {
			d, err := p.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
			if err != nil {
				t.Fatal(err)
			}
			var in struct {
				Trigger string
				Request struct{ Key string }
			}
			json.Unmarshal([]byte(aws.ToString(d.Input)), &in)
			key = in.Request.Key
		}
		if byName[key] == nil {
			stray = append(stray, name)
			continue
		}
		execs[key] = append(execs[key], ex)
	}
	for _, ex := range smallList {
		execs[aws.ToString(ex.Name)] = append(execs[aws.ToString(ex.Name)], ex)
	}
	if len(stray) > 0 {
		t.Errorf("%d export executions belong to no request: %s", len(stray), preview(stray, 10))
	}

	var requests, lost, duplicated, mismatched, failed, unacked int
	for _, r := range reqs {
		found := execs[r.name]
		if !r.acked {
			unacked++
			if len(found) > 1 {
				duplicated++
				t.Errorf("%s request %s (never acknowledged): %d executions, want at most 1", r.kind, r.name, len(found))
			}
			continue
		}
		requests++
		switch {
		case len(found) == 0:
			lost++
			why := ""
			if r.kind == "s3" {
				why = " (issue 11: the S3 trigger loses acknowledged requests/*.json objects on kill -9; fixed in the stack/trigger, not here)"
			}
			t.Errorf("lost: %s request %s was acknowledged but no execution exists for it%s", r.kind, r.name, why)
			continue
		case len(found) > 1:
			duplicated++
			var names []string
			for _, ex := range found {
				names = append(names, aws.ToString(ex.Name))
			}
			t.Errorf("duplicated: %s request %s has %d executions: %s", r.kind, r.name, len(found), strings.Join(names, ", "))
		}
		d, err := p.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: found[0].ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != types.ExecutionStatusSucceeded {
			failed++
			t.Errorf("%s request %s: execution %s is %s: %s: %s", r.kind, r.name, aws.ToString(d.Name), d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
			continue
		}
		if r.kind == "small" {
			want := fmt.Sprintf(`[[{"v":2},{"v":4},{"v":6}],{"id":%q}]`, r.name)
			if !sameJSON(aws.ToString(d.Output), want) {
				mismatched++
				t.Errorf("small machine %s: output %s, want %s", r.name, aws.ToString(d.Output), want)
			}
			continue
		}
		got, err := p.publishedSHA(ctx, aws.ToString(d.Output))
		if err != nil || got != ref[r.shape.format] {
			mismatched++
			t.Errorf("%s export %s (%s): published output sha256 %s, reference %s %v", r.kind, r.name, r.shape.format, got, ref[r.shape.format], err)
		}
		if r.kind == "cli" && r.cmd.ProcessState.ExitCode() == 0 {
			b, err := os.ReadFile(r.outPath)
			if err != nil || sha(b) != ref[r.shape.format] {
				mismatched++
				t.Errorf("runner export %s exited 0 but its download %s has sha256 %s (%v), reference %s", r.name, r.outPath, sha(b), err, ref[r.shape.format])
			}
		}
	}
	t.Logf("faults: kill -9 of runner up: kills=%d executions=%d requests=%d lost=%d duplicated=%d mismatched=%d failed=%d (unacknowledged, not counted: %d; seed %d)",
		kills, len(exportList)+len(smallList), requests, lost, duplicated, mismatched, failed, unacked, seed)
	if requests == 0 {
		t.Error("no request was acknowledged: the load never reached the stack")
	}
}

// answerToken answers the task token of a small machine's running
// task-token state, taken from its latest TaskScheduled event.
func answerToken(ctx context.Context, p *stackProc, smArn, name string) {
	arn := strings.Replace(smArn, ":stateMachine:", ":execution:", 1) + ":" + name
	hist, err := p.history(ctx, arn)
	if err != nil {
		return
	}
	var token string
	for _, ev := range hist {
		switch ev.Type {
		case types.HistoryEventTypeExecutionSucceeded, types.HistoryEventTypeExecutionFailed:
			return
		case types.HistoryEventTypeTaskScheduled:
			var params struct{ Payload struct{ TaskToken string } }
			json.Unmarshal([]byte(aws.ToString(ev.TaskScheduledEventDetails.Parameters)), &params)
			token = params.Payload.TaskToken
		}
	}
	if token != "" {
		p.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(fmt.Sprintf(`{"id":%q}`, name))})
	}
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
