package lambdalocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBootstrap compiles testdata/bootstrap with the real aws-lambda-go
// runtime loop, as a deployed bootstrap is built.
func buildBootstrap(t testing.TB) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", out, "./testdata/bootstrap")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build test bootstrap: %v\n%s", err, b)
	}
	return out
}

func errorType(t *testing.T, payload []byte) (typ, msg string) {
	t.Helper()
	var doc struct{ ErrorType, ErrorMessage string }
	if err := json.Unmarshal(payload, &doc); err != nil {
		t.Fatalf("error document %q: %v", payload, err)
	}
	return doc.ErrorType, doc.ErrorMessage
}

func TestProcessMode(t *testing.T) {
	bootstrap := buildBootstrap(t)
	fn := func(handler string, timeout time.Duration) Function {
		return Function{Name: "stepwise-" + handler, Handler: handler, MemoryMB: 256, Timeout: timeout, Concurrency: 3}
	}
	r, err := New(Options{
		Region:    "eu-central-1",
		Bootstrap: bootstrap,
		Env:       []string{"EXTRA=passed"},
		Functions: []Function{
			fn("echo", 10*time.Second), fn("barrier", 30*time.Second), fn("hang", 300*time.Millisecond),
			fn("crash", 10*time.Second), fn("fail", 10*time.Second), fn("panic", 10*time.Second),
			fn("initerror", 10*time.Second), fn("initexit", 10*time.Second),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()

	t.Run("echo and warm reuse", func(t *testing.T) {
		var pids []float64
		for i := range 2 {
			res, err := r.Invoke(ctx, "stepwise-echo", []byte(fmt.Sprintf(`{"n":%d}`, i)))
			if err != nil {
				t.Fatal(err)
			}
			if res.FunctionError != "" {
				t.Fatalf("function error %s", res.Payload)
			}
			var out map[string]any
			json.Unmarshal(res.Payload, &out)
			want := map[string]any{
				"functionName": "stepwise-echo", "memory": 256.0, "region": "eu-central-1", "extra": "passed",
				"functionArn": "arn:aws:lambda:eu-central-1:123456789012:function:stepwise-echo",
				"requestId":   res.RequestID, "deadlineSet": true, "input": map[string]any{"n": float64(i)},
			}
			for k, v := range want {
				if fmt.Sprint(out[k]) != fmt.Sprint(v) {
					t.Errorf("%s = %v, want %v", k, out[k], v)
				}
			}
			if tr, _ := out["traceId"].(string); !strings.HasPrefix(tr, "Root=1-") {
				t.Errorf("traceId = %q, want an X-Ray trace header", tr)
			}
			pids = append(pids, out["pid"].(float64))
		}
		if pids[0] != pids[1] {
			t.Errorf("second invocation ran in a new process (%v), want the warm one", pids)
		}
	})

	t.Run("3 concurrent invocations", func(t *testing.T) {
		dir := t.TempDir()
		var wg sync.WaitGroup
		pids := make([]string, 3)
		for i := range 3 {
			wg.Go(func() {
				res, err := r.Invoke(ctx, "stepwise-barrier", []byte(fmt.Sprintf(`{"dir":%q,"n":3}`, dir)))
				if err != nil || res.FunctionError != "" {
					t.Errorf("invoke: %v %s", err, res.Payload)
					return
				}
				pids[i] = string(res.Payload)
			})
		}
		wg.Wait()
		if pids[0] == pids[1] || pids[1] == pids[2] || pids[0] == pids[2] {
			t.Errorf("instances %v: want 3 distinct processes", pids)
		}
	})

	errCases := []struct {
		function, wantType, wantMsg string
	}{
		{"stepwise-hang", "Sandbox.Timedout", "Error: Task timed out after 0.30 seconds"},
		{"stepwise-crash", "Runtime.ExitError", "Error: Runtime exited with error: exit status 3"},
		{"stepwise-fail", "QuotaError", "quota of 5 exceeded"},
		{"stepwise-panic", "errorString", "boom"},
		{"stepwise-initerror", "ConfigError", "config missing"},
		{"stepwise-initexit", "Runtime.ExitError", "Error: Runtime exited with error: exit status 2"},
	}
	for _, tt := range errCases {
		t.Run(tt.function, func(t *testing.T) {
			// Twice: the second invocation must get a fresh instance where
			// the first one died, and fail the same way.
			for range 2 {
				res, err := r.Invoke(ctx, tt.function, []byte(`{}`))
				if err != nil {
					t.Fatal(err)
				}
				if res.FunctionError != "Unhandled" {
					t.Fatalf("FunctionError = %q (%s)", res.FunctionError, res.Payload)
				}
				typ, msg := errorType(t, res.Payload)
				if typ != tt.wantType || !strings.Contains(msg, tt.wantMsg) {
					t.Errorf("got %s %q, want %s %q", typ, msg, tt.wantType, tt.wantMsg)
				}
			}
		})
	}

	// After all of that, echo still works.
	if res, err := r.Invoke(ctx, "stepwise-echo", []byte(`{}`)); err != nil || res.FunctionError != "" {
		t.Fatalf("echo after failures: %v %s", err, res.Payload)
	}
}

func TestProcessCloseKillsInstances(t *testing.T) {
	bootstrap := buildBootstrap(t)
	r, err := New(Options{Bootstrap: bootstrap, Functions: []Function{{Name: "e", Handler: "echo"}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Invoke(context.Background(), "e", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Pid int }
	json.Unmarshal(res.Payload, &out)
	r.Close()
	// Signal 0 probes for the process: after Close it must be gone (reaped).
	if p, err := os.FindProcess(out.Pid); err == nil {
		if p.Signal(syscall.Signal(0)) == nil {
			t.Errorf("bootstrap pid %d still alive after Close", out.Pid)
		}
	}
	if _, err := r.Invoke(context.Background(), "e", []byte(`{}`)); err == nil {
		t.Error("Invoke after Close succeeded")
	}
}

// TestIdleInstancesReaped: an instance idle longer than IdleTimeout is
// stopped when another instance goes idle.
func TestIdleInstancesReaped(t *testing.T) {
	bootstrap := buildBootstrap(t)
	r, err := New(Options{Bootstrap: bootstrap, IdleTimeout: time.Nanosecond,
		Functions: []Function{{Name: "b", Handler: "barrier", Timeout: 30 * time.Second, Concurrency: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dir := t.TempDir()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if res, err := r.Invoke(context.Background(), "b", []byte(fmt.Sprintf(`{"dir":%q,"n":2}`, dir))); err != nil || res.FunctionError != "" {
				t.Errorf("invoke: %v %s", err, res.Payload)
			}
		})
	}
	wg.Wait()
	p := r.fns["b"].pool
	p.mu.Lock()
	var reaped []*instance
	for inst := range p.live {
		if !slices.Contains(p.idle, inst) {
			reaped = append(reaped, inst)
		}
	}
	idle := len(p.idle)
	p.mu.Unlock()
	// The reaped instance may already have exited and left the live set.
	if idle != 1 || len(reaped) > 1 {
		t.Fatalf("%d idle, %d stopping; want 1 idle", idle, len(reaped))
	}
	for _, inst := range reaped {
		select {
		case <-inst.exited:
		case <-time.After(10 * time.Second):
			t.Fatal("the reaped instance is still running")
		}
	}
	// remove() runs right after exited is closed, and wakes pool waiters.
	deadline := time.After(10 * time.Second)
	for {
		p.mu.Lock()
		n, wake := len(p.live), p.wake
		p.mu.Unlock()
		if n == 1 {
			return
		}
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("%d live instances, want 1", n)
		}
	}
}

// TestRuntimeAPIRequiresSecret: another local process that finds an
// instance's Runtime API port can neither take its queued invocation nor
// answer it, nor report an init error that kills it; only the bootstrap,
// which got the secret path in AWS_LAMBDA_RUNTIME_API, can (TestProcessMode
// runs the real aws-lambda-go loop through it).
func TestRuntimeAPIRequiresSecret(t *testing.T) {
	bootstrap := buildBootstrap(t)
	r, err := New(Options{Bootstrap: bootstrap, Functions: []Function{{Name: "q", Handler: "quiet", Timeout: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	type outcome struct {
		payload string
		err     error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := r.Invoke(ctx, "q", []byte(`{"secretPayload":1}`))
		done <- outcome{string(res.Payload), err}
	}()

	// The port is what a scan of 127.0.0.1 finds.
	p := r.fns["q"].pool
	var addr string
	for deadline := time.Now().Add(10 * time.Second); addr == ""; {
		p.mu.Lock()
		for inst := range p.live {
			addr = inst.addr
		}
		p.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("no instance started")
		}
		time.Sleep(time.Millisecond)
	}

	client := &http.Client{Timeout: 5 * time.Second}
	api := "http://" + addr
	wrongSecret := "/" + strings.Repeat("0", 2*secretBytes)
	attempts := []struct{ method, path, body string }{
		{"GET", "/2018-06-01/runtime/invocation/next", ""},
		{"GET", wrongSecret + "/2018-06-01/runtime/invocation/next", ""},
		{"GET", "/x/../2018-06-01/runtime/invocation/next", ""},
		{"POST", "/2018-06-01/runtime/invocation/any-id/response", `{"rowsWritten":424242}`},
		{"POST", wrongSecret + "/2018-06-01/runtime/invocation/any-id/error", `{"errorType":"Forged"}`},
		{"POST", "/2018-06-01/runtime/init/error", `{"errorType":"Forged","errorMessage":"forged"}`},
	}
	for _, a := range attempts {
		req, _ := http.NewRequest(a.method, api+a.path, strings.NewReader(a.body))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v (the request was not refused at once)", a.method, a.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s = %d %s, want 403", a.method, a.path, resp.StatusCode, body)
		}
		if strings.Contains(string(body), "secretPayload") {
			t.Errorf("%s %s leaked the invocation's payload: %s", a.method, a.path, body)
		}
	}
	select {
	case o := <-done:
		t.Fatalf("the invocation ended while only the intruder talked to the API: %q %v", o.payload, o.err)
	default:
	}
	// The instance is still alive (the forged init error did not kill it)
	// and the invocation still waits for its own bootstrap.
	p.mu.Lock()
	alive := len(p.live)
	p.mu.Unlock()
	if alive != 1 {
		t.Errorf("%d live instances after the intrusion, want 1", alive)
	}
	cancel()
	if o := <-done; !errors.Is(o.err, context.Canceled) {
		t.Errorf("Invoke = %q %v, want context.Canceled", o.payload, o.err)
	}
}

// TestRequireSecret checks the path handling of requireSecret itself: the
// prefix is stripped for the Runtime API routes, and near misses fail.
func TestRequireSecret(t *testing.T) {
	secret := strings.Repeat("ab", secretBytes)
	var got string
	h := requireSecret(secret, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.URL.Path }))
	cases := []struct {
		path     string
		want     int
		wantPath string
	}{
		{"/" + secret + "/2018-06-01/runtime/invocation/next", 200, "/2018-06-01/runtime/invocation/next"},
		{"/" + secret + "/", 200, "/"},
		{"/" + secret, 403, ""},
		{"/" + secret + "x/2018-06-01/runtime/invocation/next", 403, ""},
		{"/" + secret[:len(secret)-1] + "/2018-06-01/runtime/invocation/next", 403, ""},
		{"/" + strings.ToUpper(secret) + "/2018-06-01/runtime/invocation/next", 403, ""},
		{"/2018-06-01/runtime/invocation/next", 403, ""},
		{"/", 403, ""},
	}
	for _, c := range cases {
		got = ""
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", c.path, nil))
		if w.Code != c.want || got != c.wantPath {
			t.Errorf("%s: %d, handler saw %q; want %d, %q", c.path, w.Code, got, c.want, c.wantPath)
		}
	}
}

// TestAddEnv: variables added after New reach the processes started
// afterwards (the local stack adds the approval page's address once it
// listens), beside those given to New.
func TestAddEnv(t *testing.T) {
	r, err := New(Options{
		Region: "eu-central-1", Bootstrap: buildBootstrap(t), Env: []string{"EXTRA=passed"},
		Functions: []Function{{Name: "stepwise-echo", Handler: "echo", MemoryMB: 128, Timeout: 10 * time.Second, Concurrency: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.AddEnv("LATER=added")
	res, err := r.Invoke(context.Background(), "stepwise-echo", []byte(`{}`))
	if err != nil || res.FunctionError != "" {
		t.Fatalf("invoke: %v %s", err, res.Payload)
	}
	var out map[string]any
	json.Unmarshal(res.Payload, &out)
	if out["extra"] != "passed" || out["later"] != "added" {
		t.Fatalf("environment seen: extra=%v later=%v", out["extra"], out["later"])
	}
}
