package steps_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/steps/datagen"
	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/exportpart"
	"github.com/stepwise-dev/stepwise/steps/merge"
	"github.com/stepwise-dev/stepwise/steps/plan"
)

// BenchmarkExportProcesses exports a generated CSV with a filter through the
// real local S3 (HTTPS), every step running as its own process as on
// Lambda (the cmd/steps bootstrap, run as "bootstrap invoke STEP"), and reports: the export's wall time next to the wall time of
// copying the same file (GET + PUT through the SDK) in the same run, each
// step's peak RSS, and whether the output's sha256 equals a sequential
// encoding/csv reference. Size: STEPWISE_BENCH_BYTES (default 64 MiB), e.g.
//
//	STEPWISE_BENCH_BYTES=1073741824 go test ./steps -run '^$' -bench ExportProcesses -benchtime 1x -timeout 60m
func BenchmarkExportProcesses(b *testing.B) {
	size := int64(64 << 20)
	if s := os.Getenv("STEPWISE_BENCH_BYTES"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatalf("STEPWISE_BENCH_BYTES: %v", err)
		}
		size = n
	}
	partSize := int64(64 << 20)
	if size < 8*partSize {
		partSize = max(size/8, 1<<20)
	}
	concurrency := 2
	ctx := context.Background()
	// The steps run as the real bootstrap binary, built for this machine.
	bootstrap := filepath.Join(b.TempDir(), "bootstrap")
	if out, err := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bootstrap, "../cmd/steps").CombinedOutput(); err != nil {
		b.Fatalf("build bootstrap: %v\n%s", err, out)
	}
	st, srv := startLocalS3(b)
	childEnv := append(os.Environ(), srv.Env()...)
	childEnv = append(childEnv, "STEPWISE_BUCKET="+bucket)

	// Upload the generated source while computing the reference export
	// from the same bytes with an independent sequential pass.
	pr, pw := io.Pipe()
	refDone := make(chan string, 1)
	refR, refW := io.Pipe()
	go func() { refDone <- referenceSHA(refR) }()
	go func() {
		_, err := datagen.Write(io.MultiWriter(pw, refW), datagen.Options{Bytes: size, Seed: 42})
		pw.CloseWithError(err)
		refW.CloseWithError(err)
	}()
	t0 := time.Now()
	if _, err := st.Put(ctx, bucket, "uploads/big.csv", pr, "text/csv"); err != nil {
		b.Fatal(err)
	}
	upload := time.Since(t0)
	wantSHA := <-refDone
	info, _ := st.Head(ctx, bucket, "uploads/big.csv")

	for b.Loop() {
		// Baseline: copy the same file through the client.
		t0 = time.Now()
		rc, _, err := st.Get(ctx, bucket, "uploads/big.csv", 0, -1)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Put(ctx, bucket, "work/copy/big.csv", rc, "text/csv"); err != nil {
			b.Fatal(err)
		}
		rc.Close()
		copyWall := time.Since(t0)

		execName := fmt.Sprintf("bench-%d", time.Now().UnixNano())
		rss := map[string]int64{}
		var mu sync.Mutex
		run := func(step string, in, out any) {
			payload, _ := json.Marshal(in)
			cmd := exec.Command(bootstrap, "invoke", step)
			cmd.Env = childEnv
			cmd.Stdin = bytes.NewReader(payload)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				b.Fatalf("%s: %v\n%s", step, err, tail(stderr.String()))
			}
			if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
				b.Fatalf("%s: %v: %s", step, err, stdout.String())
			}
			// The bootstrap reports its own VmHWM: a child's rusage would
			// include the parent's high-water mark (Linux keeps it across exec).
			var kb int64
			if i := strings.LastIndex(stderr.String(), "steps: peak RSS "); i >= 0 {
				fmt.Sscanf(stderr.String()[i:], "steps: peak RSS %d kB", &kb)
			}
			mu.Lock()
			rss[step] = max(rss[step], kb)
			mu.Unlock()
		}
		t0 = time.Now()
		var pin plan.Input
		pin.Execution = execName
		pin.Input.Request = json.RawMessage(fmt.Sprintf(`{"source":{"bucket":%q,"key":"uploads/big.csv"},
			"columns":["order_id",{"name":"customer","as":"name"},"total","notes"],"types":{"total":"number"},
			"where":"country in [\"DE\", \"FR\"] && total != nil && total > 100","partSize":%d}`, bucket, partSize))
		var po plan.Output
		run("plan", pin, &po)
		planWall := time.Since(t0)
		var parts []export.PartSpec
		rc, _, err = st.Get(ctx, po.Manifest.Bucket, po.Manifest.Key, 0, -1)
		if err != nil {
			b.Fatal(err)
		}
		json.NewDecoder(rc).Decode(&parts)
		rc.Close()
		t1 := time.Now()
		sem := make(chan struct{}, concurrency)
		var wg sync.WaitGroup
		for _, p := range parts {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				var res export.PartResult
				run("exportpart", exportpart.Input{Job: po.Job, Part: p}, &res)
			}()
		}
		wg.Wait()
		partsWall := time.Since(t1)
		t1 = time.Now()
		var mo export.MergeResult
		run("merge", merge.Input{Job: po.Job}, &mo)
		mergeWall := time.Since(t1)
		exportWall := time.Since(t0)

		b.Logf("source %d bytes (%d records, %d parts of ~%d MiB, concurrency %d); upload %v", info.Size, po.Records, po.Parts, partSize>>20, concurrency, upload.Round(time.Millisecond))
		b.Logf("copy (GET+PUT) %v; export %v = plan %v + parts %v + merge %v (%s); ratio %.2f×",
			copyWall.Round(time.Millisecond), exportWall.Round(time.Millisecond), planWall.Round(time.Millisecond),
			partsWall.Round(time.Millisecond), mergeWall.Round(time.Millisecond), mo.Method, exportWall.Seconds()/copyWall.Seconds())
		b.Logf("peak RSS: plan %d MiB, exportpart %d MiB, merge %d MiB", rss["plan"]>>10, rss["exportpart"]>>10, rss["merge"]>>10)
		b.Logf("output %d rows, %d bytes, sha256 %s; reference %s; equal %v", mo.Rows, mo.Bytes, mo.SHA256, wantSHA, mo.SHA256 == wantSHA)
		if mo.SHA256 != wantSHA {
			b.Fatalf("output sha256 %s differs from the sequential reference %s", mo.SHA256, wantSHA)
		}
		b.ReportMetric(exportWall.Seconds()/copyWall.Seconds(), "export/copy")
		b.ReportMetric(float64(rss["exportpart"]>>10), "exportpart-MiB")
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

// referenceSHA computes the expected export of the benchmark request with
// one sequential encoding/csv pass, independent of the steps' code.
func referenceSHA(r io.Reader) string {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<20))
	cr.ReuseRecord = true
	h := sha256.New()
	w := csv.NewWriter(h)
	w.Write([]string{"order_id", "name", "total", "notes"})
	head, err := cr.Read()
	if err != nil {
		return err.Error()
	}
	col := map[string]int{}
	for i, n := range head {
		col[n] = i
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			io.Copy(io.Discard, r)
			return err.Error()
		}
		c := rec[col["country"]]
		total, terr := strconv.ParseFloat(rec[col["total"]], 64)
		if (c == "DE" || c == "FR") && terr == nil && total > 100 {
			w.Write([]string{rec[col["order_id"]], rec[col["customer"]], rec[col["total"]], rec[col["notes"]]})
		}
	}
	w.Flush()
	return hex.EncodeToString(h.Sum(nil))
}
