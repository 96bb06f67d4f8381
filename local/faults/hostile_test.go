//go:build faults

package faults

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/rogpeppe/go-internal/txtar"
)

// A hostile case is a txtar file in testdata/hostile: its comment holds
// "key: value" lines (kind, op, status, error, outcome, ... see
// testdata/hostile/README.md) among free text, its files the body, source
// data, request or ASL. ${EXPORT_ARN}, ${BUCKET}, ${CASE_SOURCE} and
// ${FILL} in files are replaced before use.
type hostileCase struct {
	name  string
	keys  map[string][]string
	files map[string][]byte
}

var keyLine = regexp.MustCompile(`^([a-z][a-z-]*): (.*)$`)

func readHostile(t *testing.T, path string) *hostileCase {
	t.Helper()
	a, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := &hostileCase{name: strings.TrimSuffix(filepath.Base(path), ".txtar"), keys: map[string][]string{}, files: map[string][]byte{}}
	for _, line := range strings.Split(string(a.Comment), "\n") {
		if m := keyLine.FindStringSubmatch(line); m != nil {
			c.keys[m[1]] = append(c.keys[m[1]], strings.TrimSpace(m[2]))
		}
	}
	for _, f := range a.Files {
		c.files[f.Name] = f.Data
	}
	if c.key("kind") == "" {
		t.Fatalf("%s: no kind: line", path)
	}
	return c
}

func (c *hostileCase) key(k string) string {
	if v := c.keys[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// alternatives splits "A | B" into its parts.
func (c *hostileCase) alternatives(k string) []string {
	var out []string
	for _, a := range strings.Split(c.key(k), "|") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// why is appended to failures: the issue the case keeps fixed.
func (c *hostileCase) why() string {
	if i := c.key("issue"); i != "" {
		return " [" + c.name + ": " + i + "]"
	}
	return " [" + c.name + "]"
}

func (c *hostileCase) duration(k string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(c.key(k)); err == nil {
		return d
	}
	return def
}

// TestHostile replays the hostile-input corpus (testdata/hostile/*.txtar)
// against a running stack: Step Functions API bodies (malformed, huge,
// slow, invalid UTF-8, bad ARNs), CSV sources (BOM, line ends, invalid
// UTF-8), requests/ objects (self-overwrite, output under requests/,
// computed columns) and runaway expressions, each with its expected
// outcome.
func TestHostile(t *testing.T) {
	ctx := context.Background()
	paths, _ := filepath.Glob(filepath.Join("testdata", "hostile", "*.txtar"))
	if len(paths) == 0 {
		t.Fatal("no cases in testdata/hostile")
	}
	p := newStackProc(t, filepath.Join(t.TempDir(), "data"))
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	var cases []*hostileCase
	for _, path := range paths {
		cases = append(cases, readHostile(t, path))
	}
	// Runaway cases last (a stuck one keeps a core busy until the stack is
	// killed); slow bodies run in the background from the start.
	slices.SortStableFunc(cases, func(a, b *hostileCase) int {
		return boolInt(a.key("kind") == "runaway") - boolInt(b.key("kind") == "runaway")
	})
	slow := map[string]chan error{}
	for _, c := range cases {
		if c.key("kind") == "sfn-slow" {
			ch := make(chan error, 1)
			slow[c.name] = ch
			go func() { ch <- p.slowBody(c) }()
		}
	}
	ran, passed := 0, 0
	for _, c := range cases {
		didRun := false
		ok := t.Run(c.name, func(t *testing.T) {
			didRun = true
			switch c.key("kind") {
			case "sfn":
				p.hostileAPI(t, c)
			case "sfn-flood":
				p.hostileFlood(t, c)
			case "sfn-slow":
				if err := <-slow[c.name]; err != nil {
					t.Error(err.Error() + c.why())
				}
			case "export":
				p.hostileExport(ctx, t, c)
			case "runaway":
				p.hostileRunaway(ctx, t, c)
			default:
				t.Fatalf("unknown kind %q", c.key("kind"))
			}
		})
		if didRun {
			ran++
			if ok {
				passed++
			}
		}
	}
	t.Logf("faults: hostile corpus: cases=%d passed=%d failed=%d", ran, passed, ran-passed)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (p *stackProc) expand(c *hostileCase, b []byte, size int) []byte {
	r := strings.NewReplacer("${EXPORT_ARN}", p.ep.StateMachineArn, "${BUCKET}", p.ep.Bucket, "${CASE_SOURCE}", "uploads/hostile/"+c.name+".csv")
	b = []byte(r.Replace(string(b)))
	if size > 0 && bytes.Contains(b, []byte("${FILL}")) {
		n := max(size-len(b)+len("${FILL}"), 0)
		b = bytes.Replace(b, []byte("${FILL}"), bytes.Repeat([]byte("x"), n), 1)
	}
	return b
}

// call posts a body to the Step Functions API as the AWS JSON protocol
// does and returns the status, the error code and message.
func (p *stackProc) call(op string, body []byte) (status int, code, msg string, err error) {
	req, err := http.NewRequest("POST", p.ep.StepFunctions+"/", bytes.NewReader(body))
	if err != nil {
		return 0, "", "", err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var e map[string]any
	json.Unmarshal(b, &e)
	code, _ = e["__type"].(string)
	if i := strings.LastIndex(code, "#"); i >= 0 {
		code = code[i+1:]
	}
	msg, _ = e["message"].(string)
	if msg == "" {
		msg, _ = e["Message"].(string)
	}
	if code == "" && resp.StatusCode >= 400 {
		msg = strings.TrimSpace(string(b))
	}
	return resp.StatusCode, code, msg, nil
}

func (p *stackProc) hostileAPI(t *testing.T, c *hostileCase) {
	size, _ := strconv.Atoi(c.key("generate"))
	body := p.expand(c, c.files["body"], size)
	status, code, msg, err := p.call(c.key("op"), body)
	if err != nil {
		t.Fatalf("%s: %v%s", c.key("op"), err, c.why())
	}
	t.Logf("%s → %d %s: %.300s", c.key("op"), status, code, msg)
	if want := c.alternatives("status"); len(want) > 0 && !slices.Contains(want, strconv.Itoa(status)) {
		t.Errorf("status %d, want %s (%s: %.300s)%s", status, c.key("status"), code, msg, c.why())
	}
	if want := c.alternatives("error"); len(want) > 0 && !slices.Contains(want, code) {
		t.Errorf("error %q, want %s (message %.300q)%s", code, c.key("error"), msg, c.why())
	}
	for _, s := range c.keys["message-has"] {
		if !strings.Contains(msg, s) {
			t.Errorf("message %.300q does not name %q%s", msg, s, c.why())
		}
	}
	for _, s := range c.keys["message-not"] {
		if strings.Contains(msg, s) {
			t.Errorf("message %.300q contains %q%s", msg, s, c.why())
		}
	}
	if name := c.key("absent"); name != "" {
		if d, err := p.describe(context.Background(), name); err == nil {
			t.Errorf("execution %s exists (%s, input %.100q): the request was accepted%s", name, d.Status, aws.ToString(d.Input), c.why())
		}
	}
}

// peakRSS is the stack process's peak resident set in MiB (Linux).
func (p *stackProc) peakRSS() int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.Atoi(f[1])
			return kb >> 10
		}
	}
	return -1
}

func (p *stackProc) hostileFlood(t *testing.T, c *hostileCase) {
	size, _ := strconv.Atoi(c.key("generate"))
	n, _ := strconv.Atoi(c.key("count"))
	body := p.expand(c, c.files["body"], size)
	before := p.peakRSS()
	var mu sync.Mutex
	outcomes := map[string]int{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			status, code, _, err := p.call(c.key("op"), body)
			k := fmt.Sprintf("%d %s", status, code)
			if err != nil {
				k = "connection ended by the server"
			}
			mu.Lock()
			outcomes[k]++
			mu.Unlock()
		})
	}
	wg.Wait()
	after := p.peakRSS()
	t.Logf("%d × %d bytes: %v; peak RSS %d → %d MiB", n, len(body), outcomes, before, after)
	want := c.alternatives("status")
	for k, count := range outcomes {
		status, _, _ := strings.Cut(k, " ")
		if !slices.Contains(want, status) && k != "connection ended by the server" {
			t.Errorf("%d requests answered %s, want %s%s", count, k, c.key("status"), c.why())
		}
	}
	start := time.Now()
	if status, code, msg, err := p.call("ListStateMachines", []byte(`{}`)); err != nil || status != 200 {
		t.Errorf("after the flood, ListStateMachines: %v %d %s %s%s", err, status, code, msg, c.why())
	} else if d := time.Since(start); d > 5*time.Second {
		t.Errorf("after the flood, ListStateMachines took %s%s", d, c.why())
	}
	if limit, _ := strconv.Atoi(c.key("max-rss-growth-mib")); limit > 0 && before > 0 && after-before > limit {
		t.Errorf("peak RSS grew by %d MiB (%d → %d), limit %d MiB%s", after-before, before, after, limit, c.why())
	}
}

// slowBody sends a body one byte a second and reports an error unless the
// server ends the request within the case's time.
func (p *stackProc) slowBody(c *hostileCase) error {
	within := c.duration("within", 90*time.Second)
	body := p.expand(c, c.files["body"], 0)
	u, err := url.Parse(p.ep.StepFunctions)
	if err != nil {
		return err
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		return err
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AWSStepFunctions.%s\r\nContent-Length: %d\r\n\r\n", u.Host, c.key("op"), len(body))
	done := make(chan struct{})
	defer close(done)
	go func() {
		for _, b := range body {
			select {
			case <-done:
				return
			case <-time.After(time.Second):
			}
			if _, err := conn.Write([]byte{b}); err != nil {
				return
			}
		}
	}()
	start := time.Now()
	conn.SetReadDeadline(start.Add(within))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return fmt.Errorf("a body sent at 1 byte/s still held the request open after %s", within)
	}
	if strings.HasPrefix(line, "HTTP/1.1 200") {
		return fmt.Errorf("a body sent at 1 byte/s was answered 200 after %s", time.Since(start).Round(time.Second))
	}
	return nil
}

// triggered returns the executions of the export state machine started by
// the request object key.
func (p *stackProc) triggered(ctx context.Context, key string) ([]*sfn.DescribeExecutionOutput, error) {
	list, err := p.executions(ctx, p.ep.StateMachineArn)
	if err != nil {
		return nil, err
	}
	var out []*sfn.DescribeExecutionOutput
	for _, ex := range list {
		if !strings.HasPrefix(aws.ToString(ex.Name), "s3-") {
			continue
		}
		d, err := p.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
		if err != nil {
			return nil, err
		}
		var in struct{ Request struct{ Key string } }
		json.Unmarshal([]byte(aws.ToString(d.Input)), &in)
		if in.Request.Key == key {
			out = append(out, d)
		}
	}
	return out, nil
}

func (p *stackProc) hostileExport(ctx context.Context, t *testing.T, c *hostileCase) {
	srcKey := "uploads/hostile/" + c.name + ".csv"
	source := c.files["source"]
	if source != nil {
		if err := p.put(ctx, srcKey, source); err != nil {
			t.Fatal(err)
		}
	}
	reqKey := "requests/hostile-" + c.name + ".json"
	if err := p.put(ctx, reqKey, p.expand(c, c.files["request.json"], 0)); err != nil {
		t.Fatal(err)
	}
	var d *sfn.DescribeExecutionOutput
	deadline := time.Now().Add(2 * time.Minute)
	for {
		found, err := p.triggered(ctx, reqKey)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) > 1 {
			t.Errorf("%d executions for %s%s", len(found), reqKey, c.why())
		}
		if len(found) > 0 && found[0].Status != types.ExecutionStatusRunning {
			d = found[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no finished execution for %s after 2 minutes (%d found)%s", reqKey, len(found), c.why())
		}
		time.Sleep(200 * time.Millisecond)
	}
	got := string(d.Status)
	if d.Status == types.ExecutionStatusFailed {
		got += " " + aws.ToString(d.Error)
	}
	t.Logf("%s → %s %.300s", reqKey, got, aws.ToString(d.Cause))
	ok := false
	for _, want := range c.alternatives("outcome") {
		if got == want || strings.HasPrefix(got, want+" ") {
			ok = true
		}
	}
	if !ok {
		t.Errorf("outcome %s (%.300s), want %s%s", got, aws.ToString(d.Cause), c.key("outcome"), c.why())
	}
	// A failed part fails the Distributed Map with AWS's generic
	// threshold cause; what went wrong is the failed part's cause, which is
	// where `runner export` looks too.
	cause := aws.ToString(d.Cause)
	if aws.ToString(d.Error) == "States.ExceedToleratedFailureThreshold" {
		cause += " / first failed part: " + p.firstFailedPart(ctx, aws.ToString(d.ExecutionArn))
	}
	for _, s := range c.keys["cause-has"] {
		if !strings.Contains(cause, s) {
			t.Errorf("cause %.300q does not name %q%s", cause, s, c.why())
		}
	}
	if d.Status == types.ExecutionStatusSucceeded {
		want := c.files["want"]
		if w := c.key("want-if-succeeded"); w != "" {
			want = []byte(strings.ReplaceAll(w, `\n`, "\n"))
		}
		if want != nil {
			var pub published
			json.Unmarshal([]byte(aws.ToString(d.Output)), &pub)
			b, err := p.get(ctx, pub.Bucket, pub.Key)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("exported s3://%s/%s:\n%q\nwant:\n%q%s", pub.Bucket, pub.Key, b, want, c.why())
			}
		}
	}
	if c.key("source-unchanged") == "yes" {
		b, err := p.get(ctx, p.ep.Bucket, srcKey)
		if err != nil || !bytes.Equal(b, source) {
			t.Errorf("source s3://%s/%s changed: %q (%v), was %q%s", p.ep.Bucket, srcKey, b, err, source, c.why())
		}
	}
	if key := c.key("not-triggered"); key != "" {
		time.Sleep(2 * time.Second) // an event in flight
		if found, err := p.triggered(ctx, key); err != nil || len(found) > 0 {
			t.Errorf("%d executions were started by %s, the export's own output (%v)%s", len(found), key, err, c.why())
		}
	}
}

func (p *stackProc) hostileRunaway(ctx context.Context, t *testing.T, c *hostileCase) {
	created, err := p.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("hostile-" + c.name), Definition: aws.String(string(c.files["asl.json"])), RoleArn: aws.String("arn:aws:iam::123456789012:role/faults"),
	})
	if err != nil {
		t.Fatal(err)
	}
	start, err := p.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: created.StateMachineArn, Input: aws.String(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if stop := c.duration("stop", 0); stop > 0 {
		time.Sleep(stop)
		if _, err := p.sfn.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: start.ExecutionArn, Error: aws.String("Hostile"), Cause: aws.String("stopped by the fault suite")}); err != nil {
			t.Logf("StopExecution: %v", err)
		}
	}
	time.Sleep(time.Second)
	t0 := time.Now()
	if _, err := p.sfn.ListStateMachines(ctx, &sfn.ListStateMachinesInput{}); err != nil {
		t.Errorf("while the expression runs, ListStateMachines: %v%s", err, c.why())
	} else if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("while the expression runs, ListStateMachines took %s%s", d, c.why())
	}
	within := c.duration("within", 30*time.Second)
	for {
		d, err := p.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != types.ExecutionStatusRunning {
			got := string(d.Status)
			if d.Status == types.ExecutionStatusFailed {
				got += " " + aws.ToString(d.Error)
			}
			t.Logf("ended %s after %s: %.200s", got, time.Since(began).Round(100*time.Millisecond), aws.ToString(d.Cause))
			want := c.alternatives("outcome")
			if !slices.Contains(want, got) && !slices.Contains(want, string(d.Status)) {
				t.Errorf("outcome %s, want %s%s", got, c.key("outcome"), c.why())
			}
			// An execution that ended must not leave its expression
			// running: the stack, otherwise idle, falls back to near no CPU.
			time.Sleep(time.Second)
			c0 := p.cpu()
			time.Sleep(3 * time.Second)
			if used := p.cpu() - c0; used > 1500*time.Millisecond {
				t.Errorf("the execution ended, but the stack used %s of CPU in the next 3 s: the expression still runs%s", used, c.why())
			}
			return
		}
		if time.Since(began) > within {
			t.Errorf("still RUNNING after %s%s", within, c.why())
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// cpu is the CPU time the stack process has used (Linux, clock ticks of
// 10 ms).
func (p *stackProc) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// firstFailedPart is the error and cause of a failed child execution of
// the first Map Run of execution arn, or a note saying why there is none.
func (p *stackProc) firstFailedPart(ctx context.Context, arn string) string {
	runs, err := p.sfn.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(arn)})
	if err != nil || len(runs.MapRuns) == 0 {
		return fmt.Sprintf("(no map run: %v)", err)
	}
	children, err := p.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: runs.MapRuns[0].MapRunArn, StatusFilter: types.ExecutionStatusFailed})
	if err != nil || len(children.Executions) == 0 {
		return fmt.Sprintf("(no failed part: %v)", err)
	}
	c, err := p.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: children.Executions[0].ExecutionArn})
	if err != nil {
		return fmt.Sprintf("(describe failed part: %v)", err)
	}
	return aws.ToString(c.Error) + ": " + aws.ToString(c.Cause)
}
