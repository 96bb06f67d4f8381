//go:build faults

package faults

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepwise-dev/stepwise/local/sfnapi"
	"github.com/stepwise-dev/stepwise/local/stack"
	"github.com/stepwise-dev/stepwise/steps/export"
)

var (
	flagKills = flag.Int("faults.kills", 100, "TestKillUnderLoad: how many times `runner up` is killed with SIGKILL (CI: 20)")
	flagLoad  = flag.Int("faults.load", 2, "TestKillUnderLoad: requests started while each stack process lives")
	flagSeed  = flag.Uint64("faults.seed", 0, "random seed of the kill moments, the load mix and the injected faults (0: from the clock; printed)")
	flagRate  = flag.Float64("faults.rate", 0.10, "TestStepFaults: share of step invocations that fail, time out or crash")
	flagRuns  = flag.Int("faults.exports", 6, "TestStepFaults: exports run with faults injected")
)

// binDir holds the binaries built once per test process.
var binDir string

func TestMain(m *testing.M) {
	flag.Parse()
	d, err := os.MkdirTemp("", "stepwise-faults-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// repoRoot is the checkout the suite runs in: `runner up` deploys the
// workflow files found there.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, stack.DefinitionFile)); err != nil {
		t.Fatalf("not inside a Stepwise checkout: %v", err)
	}
	return root
}

var (
	buildMu sync.Mutex
	built   = map[string]string{}
)

// build compiles a main package of this module once per test process and
// returns the binary's path.
func build(t testing.TB, pkg string, tags ...string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	id := pkg + " " + strings.Join(tags, ",")
	if p, ok := built[id]; ok {
		return p
	}
	out := filepath.Join(binDir, fmt.Sprintf("bin%d-%s", len(built), filepath.Base(pkg)))
	args := []string{"build", "-o", out}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = repoRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	built[id] = out
	return out
}

// stackProc is one data directory served by successive `runner up`
// processes: start, kill -9, start again.
type stackProc struct {
	t       testing.TB
	bin     string
	repo    string
	dataDir string
	addr    string
	args    []string // extra `runner up` arguments (--bootstrap ...)
	env     []string // extra environment
	logPath string   // stdout and stderr of every process, appended

	cmd    *exec.Cmd
	exited chan struct{}
	ep     *stack.Endpoints
	sfn    *sfn.Client
	s3     *s3.Client
	starts int
}

func newStackProc(t testing.TB, dataDir string) *stackProc {
	t.Helper()
	p := &stackProc{
		t: t, bin: build(t, "./cmd/runner"), repo: repoRoot(t), dataDir: dataDir,
		addr: freeAddr(t), logPath: filepath.Join(t.TempDir(), "runner-up.log"),
	}
	t.Cleanup(func() {
		if p.running() {
			p.kill()
		}
	})
	return p
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func (p *stackProc) running() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// start runs `runner up` and waits until it has announced its endpoints.
// A start that finds the previous process's port or lock not yet released
// is retried.
func (p *stackProc) start() error {
	var last string
	for attempt := 0; attempt < 50; attempt++ {
		err := p.startOnce()
		if err == nil {
			p.starts++
			return nil
		}
		last = err.Error()
		if !strings.Contains(last, "in use") {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("runner up did not start after 50 attempts: %s", last)
}

func (p *stackProc) startOnce() error {
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "--- runner up, start %d, %s\n", p.starts+1, time.Now().Format(time.RFC3339Nano))
	offset, _ := logf.Seek(0, io.SeekEnd)
	args := append([]string{"up", "--addr", p.addr, "--data-dir", p.dataDir}, p.args...)
	cmd := exec.Command(p.bin, args...)
	cmd.Dir = p.repo
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	p.cmd, p.exited = cmd, exited
	deadline := time.Now().Add(60 * time.Second)
	for {
		if ep, err := stack.ReadEndpoints(p.dataDir); err == nil && ep.PID == cmd.Process.Pid {
			p.ep = ep
			p.clients()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("runner up exited (%v): %s", cmd.ProcessState, p.logSince(offset))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.kill()
			return fmt.Errorf("runner up announced no endpoints within 60 s: %s", p.logSince(offset))
		}
	}
}

func (p *stackProc) logSince(offset int64) string {
	b, _ := os.ReadFile(p.logPath)
	if int64(len(b)) >= offset {
		b = b[offset:]
	}
	return strings.TrimSpace(string(b))
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *stackProc) kill() {
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// stop interrupts the process (a clean shutdown) and waits for it.
func (p *stackProc) stop() {
	if !p.running() {
		return
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		p.kill()
	}
}

// clients builds fresh SDK clients: pooled connections to a killed
// process are dead, and the S3 port changes with every start.
func (p *stackProc) clients() {
	ep := p.ep
	p.sfn = sfn.New(sfn.Options{Region: ep.Region, Credentials: credentials.NewStaticCredentialsProvider("faults", "faults", "")},
		sfnapi.ClientOptions(ep.StepFunctions))
	p.s3 = s3.New(s3.Options{
		Region: ep.Region, Credentials: credentials.NewStaticCredentialsProvider(ep.S3AccessKey, ep.S3SecretKey, ""),
		BaseEndpoint: aws.String(ep.S3), UsePathStyle: true,
	})
}

func (p *stackProc) put(ctx context.Context, key string, body []byte) error {
	_, err := p.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(p.ep.Bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	return err
}

func (p *stackProc) get(ctx context.Context, bucket, key string) ([]byte, error) {
	out, err := p.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// approvePending approves every pending export approval whose execution
// skip does not claim, with the task token from the approval record (what
// `runner approve` does). Errors are ignored: the stack may be dying, the
// token may be stale after a re-invoked approval step; the next round
// tries again.
func (p *stackProc) approvePending(ctx context.Context, skip func(execution string) bool) int {
	list, err := p.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(p.ep.Bucket), Prefix: aws.String(export.DefaultPrefixes.Approvals + "pending/")})
	if err != nil {
		return 0
	}
	n := 0
	for _, o := range list.Contents {
		b, err := p.get(ctx, p.ep.Bucket, aws.ToString(o.Key))
		if err != nil {
			continue
		}
		var rec export.ApprovalRecord
		if json.Unmarshal(b, &rec) != nil || rec.TaskToken == "" || skip != nil && skip(rec.Execution) {
			continue
		}
		d, _ := json.Marshal(export.Decision{Decision: "approve", Approver: "faults"})
		if _, err := p.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(rec.TaskToken), Output: aws.String(string(d))}); err == nil {
			n++
		}
	}
	return n
}

// executions lists every execution of a state machine.
func (p *stackProc) executions(ctx context.Context, smArn string) ([]types.ExecutionListItem, error) {
	var all []types.ExecutionListItem
	var next *string
	for {
		out, err := p.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(smArn), MaxResults: 1000, NextToken: next})
		if err != nil {
			return nil, err
		}
		all = append(all, out.Executions...)
		if next = out.NextToken; next == nil {
			return all, nil
		}
	}
}

// history returns an execution's whole history.
func (p *stackProc) history(ctx context.Context, arn string) ([]types.HistoryEvent, error) {
	var all []types.HistoryEvent
	var next *string
	for {
		out, err := p.sfn.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000, NextToken: next})
		if err != nil {
			return nil, err
		}
		all = append(all, out.Events...)
		if next = out.NextToken; next == nil {
			return all, nil
		}
	}
}

// waitIdle runs tick until no execution of the state machines is RUNNING,
// or fails after limit naming those still running.
func (p *stackProc) waitIdle(ctx context.Context, limit time.Duration, tick func(), smArns ...string) error {
	deadline := time.Now().Add(limit)
	for {
		tick()
		var running []string
		listed := true
		for _, arn := range smArns {
			list, err := p.executions(ctx, arn)
			if err != nil {
				listed = false
				break
			}
			for _, ex := range list {
				if ex.Status == types.ExecutionStatusRunning {
					running = append(running, aws.ToString(ex.Name))
				}
			}
		}
		if listed && len(running) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s, %d executions are still RUNNING: %s", limit, len(running), preview(running, 10))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func preview(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(", ... (%d more)", len(s)-n)
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// published is the export workflow's output (the Publish step's result).
type published struct {
	Bucket, Key string
	Rows, Bytes int64
	SHA256      string
}

// exportRequest is what the runner CLI sends for the same flags, so that
// exports started by the CLI, by StartExecution and by S3 request objects
// are the same request and must have byte-identical output.
type exportShape struct {
	format, where, columns string
}

// The three output formats, each with its own filter and columns.
var shapes = []exportShape{
	{"csv", `total > 100 && country != "DE"`, "order_id,customer:name,total,created_at"},
	{"jsonl", `country == "DE" || total < 20`, "order_id,country,total,notes"},
	{"parquet", `total > 50`, "order_id,customer,total,status"},
}

const (
	partSize       = 16 << 10 // orders.csv (74 KB) in 5 parts: the Distributed Map has work
	maxConcurrency = 3
)

// cliArgs are the `runner export` flags of a shape.
func (s exportShape) cliArgs() []string {
	return []string{"--format", s.format, "--where", s.where, "--columns", s.columns,
		"--part-size", fmt.Sprint(partSize), "--max-concurrency", fmt.Sprint(maxConcurrency), "--types", "total:number"}
}

// request is the export request the CLI builds from cliArgs for a source
// already uploaded to bucket/key.
func (s exportShape) request(bucket, key string, approval bool) export.Request {
	req := export.Request{
		Source:         export.Source{Bucket: bucket, Key: key, Format: export.FormatCSV},
		Types:          map[string]string{"total": "number"},
		Where:          s.where,
		Output:         export.Output{Format: s.format},
		PartSize:       partSize,
		MaxConcurrency: maxConcurrency,
	}
	req.Approval.Required = &approval
	for _, c := range strings.Split(s.columns, ",") {
		name, as, _ := strings.Cut(c, ":")
		req.Columns = append(req.Columns, export.Column{Name: name, As: as})
	}
	return req
}

// uploadKey is where `runner export FILE` uploads FILE (content hash).
func uploadKey(data []byte, base string) string {
	return export.DefaultPrefixes.Uploads + sha(data)[:16] + "/" + base
}

// startExport starts the export state machine with {"request": req}.
func (p *stackProc) startExport(ctx context.Context, name string, req export.Request) error {
	in, err := json.Marshal(map[string]any{"request": req})
	if err != nil {
		return err
	}
	_, err = p.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(p.ep.StateMachineArn), Name: aws.String(name), Input: aws.String(string(in))})
	return err
}

// publishedSHA downloads a succeeded export's published object and
// returns its sha256.
func (p *stackProc) publishedSHA(ctx context.Context, output string) (string, error) {
	var pub published
	if err := json.Unmarshal([]byte(output), &pub); err != nil || pub.Key == "" {
		return "", fmt.Errorf("output names no published object: %s", output)
	}
	b, err := p.get(ctx, pub.Bucket, pub.Key)
	if err != nil {
		return "", fmt.Errorf("get s3://%s/%s: %w", pub.Bucket, pub.Key, err)
	}
	got := sha(b)
	if pub.SHA256 != "" && pub.SHA256 != got {
		return got, fmt.Errorf("s3://%s/%s has sha256 %s, the execution output says %s", pub.Bucket, pub.Key, got, pub.SHA256)
	}
	return got, nil
}

// reference runs one uninterrupted `runner export` per shape against the
// running stack and returns the sha256 of each format's output.
func (p *stackProc) reference(ctx context.Context, t *testing.T, source string) map[string]string {
	t.Helper()
	ref := map[string]string{}
	dir := t.TempDir()
	for _, s := range shapes {
		out := filepath.Join(dir, "reference."+s.format)
		args := append([]string{"export", source, "--data-dir", p.dataDir, "--name", "reference-" + s.format, "--yes", "--out", out, "--output", "json"}, s.cliArgs()...)
		stdout, stderr, err := p.runner(ctx, 3*time.Minute, args...)
		if err != nil {
			t.Fatalf("reference export (%s): %v\n%s%s", s.format, err, stdout, stderr)
		}
		var res struct {
			SHA256 string `json:"sha256"`
			Rows   int64  `json:"rows"`
		}
		if err := json.Unmarshal(stdout, &res); err != nil {
			t.Fatalf("reference export (%s): output %q: %v", s.format, stdout, err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if sha(b) != res.SHA256 || res.Rows == 0 {
			t.Fatalf("reference export (%s): downloaded %s has sha256 %s, rows %d; runner reported %s", s.format, out, sha(b), res.Rows, res.SHA256)
		}
		ref[s.format] = res.SHA256
		t.Logf("reference %s: %d rows, sha256 %s", s.format, res.Rows, res.SHA256)
	}
	return ref
}

// runner runs a runner CLI command to completion. STEPWISE_REPO names no
// checkout, so a command that finds no running stack fails instead of
// opening the data directory itself.
func (p *stackProc) runner(ctx context.Context, limit time.Duration, args ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.bin, args...)
	cmd.Dir = p.repo
	cmd.Env = append(os.Environ(), "STEPWISE_REPO="+filepath.Join(p.dataDir, "no-checkout"))
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.Bytes(), e.Bytes(), err
}

// errCode is the API error code of an SDK error, or "".
func errCode(err error) string {
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
