//go:build faults

package faults

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// tmpfs is a small tmpfs mounted for one test; resize and remount change
// its size and mode.
type tmpfs struct {
	t   *testing.T
	dir string
}

// mountTmpfs mounts a tmpfs of size bytes, or skips the test (loudly) when
// mounting is not permitted here.
func mountTmpfs(t *testing.T, dir string, size int64) *tmpfs {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("mounting a tmpfs is not permitted here (needs root or CAP_SYS_ADMIN): mount: %v: %s: disk-full and read-only checks skipped", err, strings.TrimSpace(string(out)))
	}
	m := &tmpfs{t: t, dir: dir}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Logf("umount %s: %v: %s", dir, err, out)
		}
	})
	return m
}

// remount changes the mount's options. Linux refuses to make a file
// system read-only while a file on it is open for writing (EBUSY, "mount
// point is busy"), so that is retried for a while.
func (m *tmpfs) remount(opts string) {
	m.t.Helper()
	var out []byte
	var err error
	for range 100 {
		if out, err = exec.Command("mount", "-o", "remount,"+opts, m.dir).CombinedOutput(); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.t.Fatalf("mount -o remount,%s %s: %v: %s", opts, m.dir, err, out)
}

// fill shrinks the file system to what it holds: no byte free. Writers
// may grow it meanwhile, so a size found too small is measured again.
func (m *tmpfs) fill() {
	m.t.Helper()
	var out []byte
	var err error
	for range 100 {
		if out, err = exec.Command("mount", "-o", fmt.Sprintf("remount,size=%d", m.used()), m.dir).CombinedOutput(); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	m.t.Fatalf("shrink %s to what it holds: %v: %s", m.dir, err, out)
}

// used is how many bytes the file system holds.
func (m *tmpfs) used() int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(m.dir, &st); err != nil {
		m.t.Fatal(err)
	}
	return int64(st.Blocks-st.Bfree) * st.Bsize
}

// TestDiskFull runs the stack with its data directory on a small tmpfs,
// fills it during a run, then makes it read-only during a run. Each time
// the stack must say what is wrong, lose nothing committed (a restart
// reads every execution that had finished, unchanged) and finish the runs
// once space or write access returns.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	// The data directory is one tmpfs, its S3 objects (data/s3) another:
	// the store's file is open for writing as long as the stack runs, so
	// only the S3 side can turn read-only under a running stack.
	data := filepath.Join(t.TempDir(), "data")
	fs := mountTmpfs(t, data, 256<<20)
	s3fs := mountTmpfs(t, filepath.Join(data, "s3"), 256<<20)
	p := newStackProc(t, data)
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	orders, err := os.ReadFile(filepath.Join(p.repo, "testdata", "orders.csv"))
	if err != nil {
		t.Fatal(err)
	}
	srcKey := uploadKey(orders, "orders.csv")
	if err := p.put(ctx, srcKey, orders); err != nil {
		t.Fatal(err)
	}
	// Committed before anything goes wrong: these must survive unchanged.
	committed := map[string]string{} // name → output
	ref := map[string]string{}       // format → sha256 of the output
	for _, s := range shapes {
		if err := p.startExport(ctx, "before-"+s.format, s.request(p.ep.Bucket, srcKey, false)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.waitIdle(ctx, 3*time.Minute, func() {}, p.ep.StateMachineArn); err != nil {
		t.Fatal(err)
	}
	for _, s := range shapes {
		d, err := p.describe(ctx, "before-"+s.format)
		if err != nil || d.Status != types.ExecutionStatusSucceeded {
			t.Fatalf("before-%s (before any fault): %v %+v", s.format, err, d)
		}
		committed["before-"+s.format] = aws.ToString(d.Output)
		if ref[s.format], err = p.publishedSHA(ctx, aws.ToString(d.Output)); err != nil {
			t.Fatal(err)
		}
	}

	var observed []string // what the stack said while the disk was unusable
	var phases []string
	var phaseObserved []int // len(observed) at the end of each phase
	seen := map[string]bool{}
	var logOffset int64
	start := func(prefix string, n int) map[string]string {
		acked := map[string]string{}
		for i := range n {
			s := shapes[i%len(shapes)]
			name := fmt.Sprintf("%s-%d-%s", prefix, i, s.format)
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := p.startExport(cctx, name, s.request(p.ep.Bucket, srcKey, false))
			cancel()
			if err != nil {
				observed = append(observed, fmt.Sprintf("StartExecution %s: %v", name, err))
				continue
			}
			acked[name] = s.format
		}
		return acked
	}
	observe := func(what string, started map[string]string) {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := p.put(cctx, "uploads/probe.bin", make([]byte, 1<<20)); err != nil {
			observed = append(observed, fmt.Sprintf("S3 PutObject of 1 MiB: %v", err))
		} else {
			t.Logf("%s: S3 PutObject of 1 MiB succeeded", what)
		}
		for name := range started {
			d, err := p.describe(cctx, name)
			if err != nil {
				t.Logf("%s: describe %s: %v", what, name, err)
				continue
			}
			t.Logf("%s: %s is %s %s %s", what, name, d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
		}
		t.Logf("%s: runner up is running: %v", what, p.running())
		for _, line := range strings.Split(p.logSince(logOffset), "\n") {
			if l := strings.ToLower(line); strings.Contains(l, "no space") || strings.Contains(l, "read-only") || strings.Contains(l, "error") {
				if !seen[line] {
					seen[line] = true
					observed = append(observed, "runner up log: "+line)
				}
			}
		}
		logOffset = int64(len(p.logSince(0)))
		phases = append(phases, what)
		phaseObserved = append(phaseObserved, len(observed))
	}
	// names reports whether a phase's observations name the cause.
	names := func(phase int, causes ...string) bool {
		from := 0
		if phase > 0 {
			from = phaseObserved[phase-1]
		}
		for _, o := range observed[from:phaseObserved[phase]] {
			for _, c := range causes {
				if strings.Contains(strings.ToLower(o), c) {
					return true
				}
			}
		}
		return false
	}
	// finish waits for the runs to end once the disk is usable again. A
	// stack that exited, is stuck, or refuses writes (a probe StartExecution
	// fails) is restarted; that it needed one is reported.
	var restarts []string
	finish := func(what string, started map[string]string) {
		restart := func(why string) {
			t.Logf("%s: %s; restarting runner up", what, why)
			restarts = append(restarts, what+": "+why)
			p.kill()
			if err := p.start(); err != nil {
				t.Fatalf("%s: restart: %v", what, err)
			}
		}
		if !p.running() {
			restart("runner up had exited")
		}
		if err := p.waitIdle(ctx, 30*time.Second, func() {}, p.ep.StateMachineArn); err != nil {
			restart(err.Error())
		} else if err := p.startExport(ctx, fmt.Sprintf("probe-%d", len(restarts)+len(started)+int(time.Now().UnixNano()%1e6)), shapes[0].request(p.ep.Bucket, "uploads/none.csv", false)); err != nil {
			restart("the disk is usable again but StartExecution still fails: " + err.Error())
		}
		if err := p.waitIdle(ctx, 3*time.Minute, func() {}, p.ep.StateMachineArn); err != nil {
			t.Errorf("%s: %v", what, err)
		}
		for name, format := range started {
			d, err := p.describe(ctx, name)
			if err != nil {
				t.Errorf("%s: %s was acknowledged but: %v", what, name, err)
				continue
			}
			if d.Status != types.ExecutionStatusSucceeded {
				t.Errorf("%s: %s is %s: %s: %s (want SUCCEEDED once the disk is usable again)", what, name, d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
				continue
			}
			if got, err := p.publishedSHA(ctx, aws.ToString(d.Output)); err != nil || got != ref[format] {
				t.Errorf("%s: %s output sha256 %s, reference %s %v", what, name, got, ref[format], err)
			}
		}
	}

	// 1. Disk full during a run: start exports, shrink both file systems
	// to what they hold, try to start more, grow them again.
	full := start("full", 3)
	time.Sleep(300 * time.Millisecond)
	fs.fill()
	s3fs.fill()
	t.Logf("data directory full: %d KiB state, %d KiB objects, no byte free", fs.used()>>10, s3fs.used()>>10)
	for k, v := range start("full-late", 1) {
		full[k] = v
	}
	time.Sleep(3 * time.Second)
	observe("disk full", full)
	for _, m := range []*tmpfs{fs, s3fs} {
		m.remount(fmt.Sprintf("size=%d", 256<<20))
	}
	t.Log("file systems grown to 256 MiB")
	finish("after the disk was full", full)

	// 2. The objects read-only during a run.
	ro := start("readonly", 3)
	time.Sleep(500 * time.Millisecond)
	s3fs.remount("ro")
	t.Log("data/s3 remounted read-only")
	for k, v := range start("readonly-late", 1) {
		ro[k] = v
	}
	time.Sleep(3 * time.Second)
	observe("read-only objects", ro)
	s3fs.remount("rw")
	t.Log("data/s3 remounted read-write")
	finish("after the objects were read-only", ro)

	// 3. The whole data directory read-only when the stack starts (after
	// a kill -9 in the middle of runs).
	ro2 := start("readonly-start", 2)
	time.Sleep(500 * time.Millisecond)
	p.kill()
	fs.remount("ro")
	err = p.start()
	if err == nil {
		t.Errorf("runner up started on a read-only data directory")
	} else if !strings.Contains(err.Error(), "read-only file system") {
		t.Errorf("runner up on a read-only data directory failed without naming the cause: %v", err)
	} else {
		t.Logf("observed: runner up on a read-only data directory: %v", err)
	}
	fs.remount("rw")
	if err := p.start(); err != nil {
		t.Fatalf("runner up on the data directory made writable again: %v", err)
	}
	finish("after a start on a read-only data directory", ro2)

	for _, o := range observed {
		t.Logf("observed: %s", o)
	}
	if !names(0, "no space left") {
		t.Errorf("while the data directory was full, nothing the stack said named the cause (no space left on device)")
	}
	if !names(1, "read-only") {
		// The S3 front server names the data directory's error when a
		// write fails (VersityGW said only "internal error").
		t.Errorf("while data/s3 was read-only, S3 writes failed without naming the cause (read-only file system)")
	}
	// The store cuts a failed append off its log and takes the next
	// commit, so the stack recovers when space returns, without a restart.
	for _, r := range restarts {
		t.Errorf("a restart was needed: %s", r)
	}

	// Nothing committed changed, also across a restart: the executions
	// that had finished before the faults and every one that finished
	// since.
	list, err := p.executions(ctx, p.ep.StateMachineArn)
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range list {
		if name := aws.ToString(ex.Name); committed[name] == "" && !strings.HasPrefix(name, "probe-") {
			d, err := p.describe(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			committed[name] = string(d.Status) + " " + aws.ToString(d.Output)
		}
	}
	p.kill()
	if err := p.start(); err != nil {
		t.Fatalf("restart after the faults: %v", err)
	}
	for name, was := range committed {
		d, err := p.describe(ctx, name)
		if strings.HasPrefix(name, "before-") {
			was = "SUCCEEDED " + was
		}
		if err != nil {
			t.Errorf("execution %s, %s before the restart, is gone: %v", name, was, err)
		} else if now := string(d.Status) + " " + aws.ToString(d.Output); now != was {
			t.Errorf("execution %s changed across the restart: %s, was %s", name, now, was)
		}
	}
	t.Logf("faults: disk full / read-only: committed=%d unchanged after restart; runs acknowledged around the faults=%d, all SUCCEEDED with reference output unless reported above; restarts needed after the disk was usable again=%d %q",
		len(committed), len(full)+len(ro)+len(ro2), len(restarts), restarts)
}

func (p *stackProc) describe(ctx context.Context, name string) (*sfn.DescribeExecutionOutput, error) {
	arn := strings.Replace(p.ep.StateMachineArn, ":stateMachine:", ":execution:", 1) + ":" + name
	return p.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
}
