// Command report measures the report workflow's steps on a large generated
// CSV: the wall time of the whole report (plan, every part, reduce) next to
// `cp` of the same file in the same run, the time to read the file through
// the local S3 alone (the floor of any step that reads it), and the peak
// RSS of each step.
//
// The steps run as the Lambda bootstrap a user deploys (cmd/steps, built
// by bench/report.sh and named by -bootstrap), against the embedded local
// S3 over plain HTTP. By default they are warm instances reused through
// the local Lambda runtime (local/lambda), as `runner up --bootstrap` and
// Lambda run them; their CPU time, page faults and peak RSS are read from
// /proc before they stop. With -cold every invocation is a new process in
// the bootstrap's `invoke HANDLER` mode, measured by getrusage. This
// binary, which links the local S3 server too, starts slower and larger;
// it serves the steps itself (the same handlers, steps.Handlers, a process
// per invocation) only without -bootstrap or when
// $STEPWISE_BENCH_CPUPROFILE asks for profiles. The parent plays the
// state machine: plan, the parts MaxConcurrency at a time, reduce. Run it
// through bench/report.sh.
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	lambdalocal "github.com/stepwise-dev/stepwise/local/lambda"
	s3local "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/steps"
	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

const bucket = "stepwise-bench"

func main() {
	if len(os.Args) == 4 && os.Args[1] == "child" {
		child(os.Args[2], os.Args[3])
		return
	}
	size := flag.Int64("size", 1<<30, "bytes of CSV to generate")
	dir := flag.String("dir", filepath.Join(os.TempDir(), "stepwise-report-bench-data"), "work directory (the generated file is kept and reused)")
	partSize := flag.Int64("part-size", 64<<20, "part_size of the report request")
	conc := flag.Int("concurrency", runtime.NumCPU(), "parts running at once (max_concurrency)")
	where := flag.String("where", "", "where filter of the report request (none by default)")
	noDistinct := flag.Bool("no-distinct", false, "leave count_distinct(user) out of the aggregates")
	flag.StringVar(&bootstrap, "bootstrap", "", "the steps' bootstrap binary (go build ./cmd/steps); empty: this binary serves them")
	flag.BoolVar(&cold, "cold", false, "a new process for every invocation (`bootstrap invoke`), instead of warm instances reused through the local Lambda runtime as `runner up --bootstrap` and Lambda run them")
	flag.Parse()
	if os.Getenv("STEPWISE_BENCH_CPUPROFILE") != "" {
		bootstrap = ""
	}
	if bootstrap == "" {
		cold = true // the warm instances are the bootstrap's
	}
	if err := run(*size, *dir, *partSize, *conc, *where, *noDistinct); err != nil {
		log.Fatal(err)
	}
}

// child serves one invocation of a step: the event on stdin, the result in
// the file resultFile (stdout carries the step's logs, as on Lambda).
func child(handler, resultFile string) {
	h, ok := steps.Handlers()[handler]
	if !ok {
		log.Fatalf("no step %q", handler)
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		log.Fatal(err)
	}
	if dir := os.Getenv("STEPWISE_BENCH_CPUPROFILE"); dir != "" {
		f, err := os.CreateTemp(dir, handler+"-*.pprof")
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	out, err := lambda.NewHandler(h).Invoke(context.Background(), in)
	if err != nil {
		log.Fatalf("%s: %v", handler, err)
	}
	if err := os.WriteFile(resultFile, out, 0o644); err != nil {
		log.Fatal(err)
	}
}

// The children write CPU profiles into $STEPWISE_BENCH_CPUPROFILE when set.

// bootstrap is the -bootstrap flag: the binary that serves a step as
// `bootstrap invoke HANDLER`, the event on stdin, the result on stdout, or
// through the Lambda Runtime API.
var bootstrap string

// cold is the -cold flag: a process per invocation.
var cold bool

// warm is the local Lambda runtime serving the steps when not cold.
var warm *lambdalocal.Runtime

type stepRun struct {
	wall time.Duration
	cpu  time.Duration // user + system
	sys  time.Duration // of which system (the kernel's work: socket reads, page faults)
	rss  int64         // bytes
	// minor page faults: first touches of memory, each a trip through
	// the kernel (and, in a VM, often the hypervisor)
	faults int64
}

func run(size int64, dir string, partSize int64, conc int, where string, noDistinct bool) error {
	ctx := context.Background()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	src := filepath.Join(dir, fmt.Sprintf("sales-%d.csv", size))
	if err := generate(src, size); err != nil {
		return err
	}
	// A fresh store each run: earlier reports and work files are not kept.
	if err := os.RemoveAll(filepath.Join(dir, "s3")); err != nil {
		return err
	}
	srv, err := s3local.Start(ctx, s3local.Options{Dir: filepath.Join(dir, "s3"), DisableEvents: true, Log: io.Discard})
	if err != nil {
		return err
	}
	defer srv.Close()
	client, err := srv.NewClient(ctx)
	if err != nil {
		return err
	}
	_, _ = client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	st := objstore.NewSDK(client)
	if err := upload(ctx, st, src); err != nil {
		return err
	}
	cpWall, err := timeCp(src, filepath.Join(dir, "copy.csv"))
	if err != nil {
		return err
	}
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	readWall, err := timeRead(ctx, st, fi.Size(), partSize, conc)
	if err != nil {
		return err
	}
	env := append(os.Environ(), srv.Env()...)
	env = append(env, "STEPWISE_BUCKET="+bucket, "STEPWISE_S3_PATH_STYLE=true")
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if !cold {
		warm, err = lambdalocal.New(lambdalocal.Options{
			Functions: []lambdalocal.Function{
				{Name: "reportplan", Handler: "reportplan", Timeout: 15 * time.Minute, Concurrency: 1},
				{Name: "reportpart", Handler: "reportpart", Timeout: 15 * time.Minute, Concurrency: conc},
				{Name: "reportreduce", Handler: "reportreduce", Timeout: 15 * time.Minute, Concurrency: 1},
			},
			Bootstrap: bootstrap,
			Env:       env,
		})
		if err != nil {
			return err
		}
		defer warm.Close()
	}
	req := map[string]any{
		"name": "bench", "source": map[string]any{"key": "samples/bench.csv"}, "group_by": []string{"region", "channel"},
		"aggregates": []map[string]string{{"op": "count"}, {"op": "sum", "column": "amount"}, {"op": "avg", "column": "amount"},
			{"op": "min", "column": "amount"}, {"op": "max", "column": "amount"}, {"op": "count_distinct", "column": "user"}},
		"part_size": partSize, "max_concurrency": conc,
	}
	if noDistinct {
		aggs := req["aggregates"].([]map[string]string)
		req["aggregates"] = aggs[:len(aggs)-1]
	}
	if where != "" {
		req["where"] = where
		req["types"] = map[string]string{"amount": "number"}
	}
	exec := "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	loadBefore := loadavg()
	serverBefore := serverCPU()
	start := time.Now()
	var plan struct {
		Job      export.Job `json:"job"`
		PlanKey  string     `json:"planKey"`
		Manifest struct{ Bucket, Key string }
		Parts    int `json:"parts"`
	}
	planRun, err := invoke(self, env, "reportplan", map[string]any{"execution": exec, "input": map[string]any{"request": req}}, &plan)
	if err != nil {
		return err
	}
	var parts []json.RawMessage
	if err := stepkit.ReadJSON(ctx, st, plan.Manifest.Bucket, plan.Manifest.Key, &parts); err != nil {
		return err
	}
	partsStart := time.Now()
	partRuns, err := runParts(self, env, plan.Job, plan.PlanKey, parts, conc)
	if err != nil {
		return err
	}
	partsWall := time.Since(partsStart)
	var out struct {
		CSV    string `json:"csv"`
		Groups int    `json:"groups"`
		Rows   int64  `json:"rows"`
	}
	reduceRun, err := invoke(self, env, "reportreduce", map[string]any{"job": plan.Job, "planKey": plan.PlanKey, "parts": plan.Parts}, &out)
	if err != nil {
		return err
	}
	total := time.Since(start)
	serverTime := serverCPU() - serverBefore
	var partRSS int64
	var partCPU time.Duration
	var partFaults int64
	var partSys time.Duration
	processes := len(partRuns)
	if warm != nil {
		// The instances are still up: their counters are in /proc.
		byFn := map[string][]stepRun{}
		for _, c := range children() {
			if c.function != "" {
				byFn[c.function] = append(byFn[c.function], c.stepRun)
			}
		}
		one := func(fn string, r *stepRun) {
			for _, c := range byFn[fn] {
				r.cpu += c.cpu
				r.sys += c.sys
				r.rss = max(r.rss, c.rss)
				r.faults += c.faults
			}
		}
		one("reportplan", &planRun)
		one("reportreduce", &reduceRun)
		partRuns = byFn["reportpart"]
		processes = len(partRuns)
	}
	for _, r := range partRuns {
		partRSS = max(partRSS, r.rss)
		partCPU += r.cpu
		partSys += r.sys
		partFaults += r.faults
	}
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	server := "warm instances of the bootstrap " + filepath.Base(bootstrap) + " reused through the local Lambda runtime (as runner up --bootstrap)"
	switch {
	case bootstrap == "":
		server = "this binary (no -bootstrap), a process per invocation"
	case cold:
		server = "the bootstrap " + filepath.Base(bootstrap) + ", a process per invocation (-cold)"
	}
	fmt.Printf("source: %s, %.0f MiB, %d rows in %d groups, %d parts of %d MiB, %d at a time, %d CPUs; aggregates %v; steps served by %s\n", filepath.Base(src), mib(size), out.Rows, out.Groups, len(parts), partSize>>20, conc, runtime.NumCPU(), req["aggregates"], server)
	fmt.Printf("cp:      %8.2fs\n", cpWall.Seconds())
	fmt.Printf("s3 read: %8.2fs  (the whole file by ranged GETs of %d MiB, %d at a time, bytes discarded: the floor of any step reading it through the local S3) = %.2fx cp\n", readWall.Seconds(), partSize>>20, conc, readWall.Seconds()/cpWall.Seconds())
	fmt.Printf("report:  %8.2fs  (plan %.2fs, parts %.2fs, reduce %.2fs)  = %.2fx cp  (goal <= 1.5x), %.2fx the S3 read\n",
		total.Seconds(), planRun.wall.Seconds(), partsWall.Seconds(), reduceRun.wall.Seconds(), total.Seconds()/cpWall.Seconds(), total.Seconds()/readWall.Seconds())
	fmt.Printf("peak RSS: plan %.0f MiB, part %.0f MiB (max of %d processes for %d parts), reduce %.0f MiB  (goal <= 128 MiB each)\n",
		mib(planRun.rss), mib(partRSS), processes, len(parts), mib(reduceRun.rss))
	fmt.Printf("CPU time: plan %.2fs, parts %.2fs (sum; %.2fs of it system, %d minor page faults), reduce %.2fs; the bench process and the local S3 serving them %.2fs\n", planRun.cpu.Seconds(), partCPU.Seconds(), partSys.Seconds(), partFaults, reduceRun.cpu.Seconds(), serverTime.Seconds())
	fmt.Printf("throughput: report %.0f MiB/s, cp %.0f MiB/s; load average before: %s, when done: %s (%d CPUs)\n", mib(size)/total.Seconds(), mib(size)/cpWall.Seconds(), loadBefore, loadavg(), runtime.NumCPU())
	return nil
}

// runParts runs every part as a child, conc at a time.
func runParts(self string, env []string, job export.Job, planKey string, parts []json.RawMessage, conc int) ([]stepRun, error) {
	runs := make([]stepRun, len(parts))
	errs := make([]error, len(parts))
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			runs[i], errs[i] = invoke(self, env, "reportpart", map[string]any{"job": job, "planKey": planKey, "part": p}, nil)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return runs, nil
}

// invoke runs one step in a child process and decodes its result into out.
func invoke(self string, env []string, handler string, event any, out any) (stepRun, error) {
	in, err := json.Marshal(event)
	if err != nil {
		return stepRun{}, err
	}
	if warm != nil {
		start := time.Now()
		res, err := warm.Invoke(context.Background(), handler, in)
		r := stepRun{wall: time.Since(start)}
		switch {
		case err != nil:
			return r, fmt.Errorf("%s: %v", handler, err)
		case res.FunctionError != "":
			return r, fmt.Errorf("%s: %s", handler, res.Payload)
		case out != nil:
			if err := json.Unmarshal(res.Payload, out); err != nil {
				return r, fmt.Errorf("%s: result: %v", handler, err)
			}
		}
		return r, nil
	}
	res, err := os.CreateTemp("", "stepwise-report-bench-*.json")
	if err != nil {
		return stepRun{}, err
	}
	res.Close()
	defer os.Remove(res.Name())
	cmd := exec.Command(self, "child", handler, res.Name())
	var stdout, stderr bytes.Buffer
	cmd.Stdout = io.Discard
	if bootstrap != "" {
		cmd = exec.Command(bootstrap, "invoke", handler)
		cmd.Stdout = &stdout
	}
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return stepRun{}, fmt.Errorf("%s: %v\n%s", handler, err, lastLines(stderr.Bytes()))
	}
	r := stepRun{wall: time.Since(start), cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), sys: cmd.ProcessState.SystemTime(), rss: maxRSS(cmd.ProcessState), faults: minFaults(cmd.ProcessState)}
	if out != nil {
		data := stdout.Bytes()
		if bootstrap == "" {
			if data, err = os.ReadFile(res.Name()); err != nil {
				return r, err
			}
		}
		if err := json.Unmarshal(data, out); err != nil {
			return r, fmt.Errorf("%s: result: %v", handler, err)
		}
	}
	return r, nil
}

// maxRSS is the child's peak resident set size in bytes (getrusage).
func maxRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return ru.Maxrss // bytes there, KiB on Linux
	}
	return ru.Maxrss << 10
}

// minFaults is the child's count of minor page faults (getrusage).
func minFaults(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Minflt
	}
	return 0
}

func lastLines(b []byte) []byte {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return b
}

// timeCp copies src with cp(1) and returns its wall time.
func timeCp(src, dst string) (time.Duration, error) {
	defer os.Remove(dst)
	start := time.Now()
	if out, err := exec.Command("cp", src, dst).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("cp: %v: %s", err, out)
	}
	return time.Since(start), nil
}

// timeRead reads the uploaded object by ranged GETs of partSize, conc at a
// time, discarding the bytes, and returns the wall time.
func timeRead(ctx context.Context, st *objstore.SDK, size, partSize int64, conc int) (time.Duration, error) {
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	start := time.Now()
	for off := int64(0); off < size; off += partSize {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			body, _, err := st.Get(ctx, bucket, "samples/bench.csv", off, min(off+partSize, size))
			if err == nil {
				buf := make([]byte, 256<<10)
				_, err = io.CopyBuffer(io.Discard, struct{ io.Reader }{body}, buf)
				body.Close()
			}
			if err != nil {
				mu.Lock()
				firstErr = cmp.Or(firstErr, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return time.Since(start), firstErr
}

func upload(ctx context.Context, st *objstore.SDK, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = st.Put(ctx, bucket, "samples/bench.csv", f, "text/csv")
	return err
}

// generate writes about size bytes of sales rows to path unless a file of
// that size is there: quoted fields with commas and newlines, empty
// values, non-ASCII keys, a few thousand users.
func generate(path string, size int64) error {
	if fi, err := os.Stat(path); err == nil && fi.Size() >= size {
		return nil
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	defer f.Close()
	regions := []string{"Zürich", "東京", "São Paulo", "\"a \"\"quoted\"\"\nregion\"", "", "\"x,y\"", "Kraków", "Ελλάδα"}
	channels := []string{"web", "shop", "Straße", ""}
	rng := rand.New(rand.NewPCG(1, 2))
	w := make([]byte, 0, 1<<20)
	w = append(w, "order_id,region,channel,amount,user,note\n"...)
	var n int64
	for id := 1; n < size; id++ {
		w = strconv.AppendInt(w, int64(id), 10)
		w = append(w, ',')
		w = append(w, regions[rng.IntN(len(regions))]...)
		w = append(w, ',')
		w = append(w, channels[rng.IntN(len(channels))]...)
		w = append(w, ',')
		if rng.IntN(10) != 0 {
			w = strconv.AppendInt(w, int64(rng.IntN(3000)-1000), 10)
			w = append(w, '.')
			c := rng.IntN(100)
			w = append(w, byte('0'+c/10), byte('0'+c%10))
		}
		w = append(w, ',')
		if rng.IntN(10) != 0 {
			w = append(w, 'u')
			w = strconv.AppendInt(w, int64(rng.IntN(5000)), 10)
		}
		w = append(w, ",\"delivered to the side door, thank you\"\n"...)
		if len(w) > 1<<20-200 {
			if _, err := f.Write(w); err != nil {
				return err
			}
			n += int64(len(w))
			w = w[:0]
		}
	}
	if _, err := f.Write(w); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// serverCPU is the user + system time so far of this process and of its
// live children other than Lambda instances: the local S3 server (Linux
// /proc; this process alone elsewhere).
func serverCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	total := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	for _, c := range children() {
		if c.function == "" {
			total += c.cpu
		}
	}
	return total
}

// childStats is a live child process's counters so far.
type childStats struct {
	stepRun
	function string // AWS_LAMBDA_FUNCTION_NAME of a Lambda instance, else ""
}

// children reads the counters of this process's live children from /proc
// (Linux; none elsewhere): CPU time (clock ticks taken as 1/100 s), minor
// page faults, peak RSS (VmHWM), and the function a Lambda instance serves.
func children() []childStats {
	var out []childStats
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", os.Getpid()))
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, pid := range bytes.Fields(b) {
			dir := "/proc/" + string(pid)
			stat, err := os.ReadFile(dir + "/stat")
			if err != nil {
				continue
			}
			var c childStats
			// Fields after the command's closing parenthesis: minflt is
			// the 10th of the line, utime and stime the 14th and 15th.
			f := bytes.Fields(stat[bytes.LastIndexByte(stat, ')')+1:])
			if len(f) > 13 {
				c.faults, _ = strconv.ParseInt(string(f[7]), 10, 64)
				u, _ := strconv.ParseInt(string(f[11]), 10, 64)
				s, _ := strconv.ParseInt(string(f[12]), 10, 64)
				c.cpu = time.Duration(u+s) * 10 * time.Millisecond
				c.sys = time.Duration(s) * 10 * time.Millisecond
			}
			if status, err := os.ReadFile(dir + "/status"); err == nil {
				if i := bytes.Index(status, []byte("VmHWM:")); i >= 0 {
					if g := bytes.Fields(status[i+len("VmHWM:"):]); len(g) > 0 {
						kb, _ := strconv.ParseInt(string(g[0]), 10, 64)
						c.rss = kb << 10
					}
				}
			}
			if environ, err := os.ReadFile(dir + "/environ"); err == nil {
				for _, kv := range bytes.Split(environ, []byte{0}) {
					if v, ok := bytes.CutPrefix(kv, []byte("AWS_LAMBDA_FUNCTION_NAME=")); ok {
						c.function = string(v)
					}
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// loadavg returns /proc/loadavg's first three fields ("?" elsewhere): the
// machine may be shared, and the wall times say little without it.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return "?"
	}
	return string(bytes.Join(f[:3], []byte(" ")))
}
