package lambdalocal

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// initTimeout bounds a bootstrap's init phase (start until its first
// /next), as Lambda's 10-second init limit does.
const initTimeout = 10 * time.Second

// Lambda Runtime API header names.
const (
	hdrRequestID   = "Lambda-Runtime-Aws-Request-Id"
	hdrDeadline    = "Lambda-Runtime-Deadline-Ms"
	hdrFunctionArn = "Lambda-Runtime-Invoked-Function-Arn"
	hdrTraceID     = "Lambda-Runtime-Trace-Id"
	hdrErrorType   = "Lambda-Runtime-Function-Error-Type"
)

// pool holds the bootstrap instances of one function.
type pool struct {
	f         *function
	region    string
	bootstrap string
	env       []string
	output    io.Writer
	// idleTimeout: an instance idle this long is stopped (checked whenever
	// an instance goes idle).
	idleTimeout time.Duration

	mu     sync.Mutex
	idle   []*instance
	live   map[*instance]bool
	wake   chan struct{} // closed and replaced whenever capacity frees up
	closed bool
}

func newPool(f *function, r *Runtime, opts Options) *pool {
	return &pool{
		f: f, region: r.region, bootstrap: opts.Bootstrap, env: opts.Env, output: opts.Output, idleTimeout: opts.IdleTimeout,
		live: map[*instance]bool{}, wake: make(chan struct{}),
	}
}

// instance is one bootstrap process with its own Runtime API endpoint.
type instance struct {
	p       *pool
	cmd     *exec.Cmd
	srv     *http.Server
	addr    string        // host:port of the listener, without the secret
	next    chan *call    // the /next handler takes calls from here
	exited  chan struct{} // closed after the process has exited
	exitErr error         // set before exited is closed
	served  int           // invocations completed; owned by the invoking goroutine
	idleAt  time.Time     // when it last went idle; guarded by pool.mu

	mu      sync.Mutex
	current *call
	initDoc []byte // body of /init/error, if posted
}

// call is one invocation handed to an instance.
type call struct {
	inv    *invocation
	result chan statemachine.LambdaResult // buffered, 1
}

// invoke runs inv on a warm instance, or a new one if none is idle and the
// concurrency limit allows; otherwise it waits.
func (p *pool) invoke(ctx context.Context, inv *invocation) (statemachine.LambdaResult, error) {
	for {
		inst, err := p.acquire(ctx)
		if err != nil {
			return statemachine.LambdaResult{}, err
		}
		res, retry, err := inst.run(ctx, inv)
		if retry {
			continue // a warm instance had exited between invocations
		}
		return res, err
	}
}

func (p *pool) acquire(ctx context.Context) (*instance, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, &statemachine.TaskError{Name: "Lambda.ServiceException", Cause: "the local Lambda runtime is shut down"}
		}
		if n := len(p.idle); n > 0 {
			inst := p.idle[n-1]
			p.idle = p.idle[:n-1]
			p.mu.Unlock()
			return inst, nil
		}
		if len(p.live) < p.f.Concurrency {
			inst, err := p.start()
			if err != nil {
				p.mu.Unlock()
				return nil, &statemachine.TaskError{Name: "Lambda.ServiceException", Cause: fmt.Sprintf("start %s: %v", p.bootstrap, err)}
			}
			p.live[inst] = true
			p.mu.Unlock()
			return inst, nil
		}
		wake := p.wake
		p.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// release returns a healthy instance to the idle list.
func (p *pool) release(inst *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-inst.exited:
		return // its exit already removed it
	default:
	}
	if p.closed {
		inst.kill()
		return
	}
	inst.idleAt = time.Now()
	p.idle = append(p.idle, inst)
	p.signal()
	p.reapLocked(inst.idleAt)
}

// reapLocked stops instances idle for longer than idleTimeout, as Lambda
// recycles execution environments nobody uses. The idle list is ordered by
// idleAt (oldest first), so only its front is looked at. p.mu is held.
func (p *pool) reapLocked(now time.Time) {
	for len(p.idle) > 0 && now.Sub(p.idle[0].idleAt) > p.idleTimeout {
		p.idle[0].kill()
		p.idle = p.idle[1:]
	}
}

// signal wakes every waiter; p.mu must be held.
func (p *pool) signal() {
	close(p.wake)
	p.wake = make(chan struct{})
}

// remove forgets an exited instance.
func (p *pool) remove(inst *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.live, inst)
	for i, x := range p.idle {
		if x == inst {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
	p.signal()
}

func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	var all []*instance
	for inst := range p.live {
		all = append(all, inst)
	}
	p.mu.Unlock()
	for _, inst := range all {
		inst.kill()
		<-inst.exited
	}
}

// start launches a bootstrap process with its own Runtime API listener.
// p.mu is held.
func (p *pool) start() (*instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	inst := &instance{p: p, addr: ln.Addr().String(), next: make(chan *call), exited: make(chan struct{})}
	secret := newSecret()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", inst.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", inst.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", inst.handleError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", inst.handleInitError)
	inst.srv = &http.Server{Handler: requireSecret(secret, mux), ReadHeaderTimeout: 10 * time.Second}
	go inst.srv.Serve(ln)

	cmd := exec.Command(p.bootstrap)
	cmd.Dir = filepath.Dir(p.bootstrap)
	// The secret travels only in the child's environment, which other
	// users cannot read (/proc/<pid>/environ is private to its owner).
	cmd.Env = p.environ(inst.addr+"/"+secret, cmd.Dir)
	if p.output != nil {
		cmd.Stdout, cmd.Stderr = p.output, p.output
	}
	bindToParent(cmd)
	// The Runtime API may call kill as soon as the process runs.
	inst.mu.Lock()
	err = cmd.Start()
	if err == nil {
		inst.cmd = cmd
	}
	inst.mu.Unlock()
	if err != nil {
		inst.srv.Close()
		return nil, err
	}
	go func() {
		inst.exitErr = cmd.Wait()
		if inst.exitErr == nil {
			inst.exitErr = errors.New("exit status 0")
		}
		close(inst.exited)
		inst.srv.Close()
		p.remove(inst)
	}()
	return inst, nil
}

// secretBytes is the size of an instance's Runtime API secret: 256 bits,
// beyond guessing through the loopback interface.
const secretBytes = 32

// newSecret returns a fresh random path segment for one instance.
func newSecret() string {
	b := make([]byte, secretBytes)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// requireSecret serves h only to requests whose path starts with
// /<secret>/, with that prefix removed: aws-lambda-go builds its URLs as
// "http://" + AWS_LAMBDA_RUNTIME_API + "/2018-06-01/runtime/...", so the
// bootstrap, whose AWS_LAMBDA_RUNTIME_API is "127.0.0.1:port/<secret>",
// sends it on every call without knowing it is there. Any other request is
// 403 Forbidden and touches no invocation. The comparison takes the same
// time wherever the first wrong byte is.
func requireSecret(secret string, h http.Handler) http.Handler {
	prefix := "/" + secret + "/"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if len(path) < len(prefix) || subtle.ConstantTimeCompare([]byte(path[:len(prefix)]), []byte(prefix)) != 1 {
			writeRuntimeError(w, http.StatusForbidden, "AccessDenied",
				"this Lambda Runtime API endpoint serves only the bootstrap process it started; use the AWS_LAMBDA_RUNTIME_API value from that process's environment")
			return
		}
		r2 := new(http.Request)
		*r2 = *r
		r2.URL = new(url.URL)
		*r2.URL = *r.URL
		r2.URL.Path = path[len(prefix)-1:]
		r2.URL.RawPath = strings.TrimPrefix(r.URL.RawPath, prefix[:len(prefix)-1])
		h.ServeHTTP(w, r2)
	})
}

// environ is the environment Lambda gives a provided.al2023 runtime.
func (p *pool) environ(api, taskRoot string) []string {
	f := p.f
	env := []string{
		"AWS_LAMBDA_RUNTIME_API=" + api,
		"_HANDLER=" + f.Handler,
		"AWS_LAMBDA_FUNCTION_NAME=" + f.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(f.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + f.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME=" + time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + newRequestID()[:8],
		"AWS_REGION=" + p.region,
		"AWS_DEFAULT_REGION=" + p.region,
		"LAMBDA_TASK_ROOT=" + taskRoot,
		"LAMBDA_RUNTIME_DIR=" + taskRoot,
		"TZ=:UTC",
		"LANG=en_US.UTF-8",
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"TMPDIR=" + os.TempDir(),
	}
	return append(env, p.env...)
}

func (inst *instance) kill() {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.cmd != nil {
		inst.cmd.Process.Kill()
	}
}

// run hands inv to the instance and waits for its outcome. retry reports
// that the instance turned out to be dead before it took the invocation
// and the caller should use another.
func (inst *instance) run(ctx context.Context, inv *invocation) (res statemachine.LambdaResult, retry bool, err error) {
	f := inst.p.f
	c := &call{inv: inv, result: make(chan statemachine.LambdaResult, 1)}
	cold := inst.served == 0
	handoff := time.NewTimer(initTimeout + f.Timeout)
	defer handoff.Stop()
	select {
	case inst.next <- c:
	case <-inst.exited:
		if !cold {
			return res, true, nil
		}
		return inst.initFailure(inv), false, nil
	case <-handoff.C:
		inst.kill()
		<-inst.exited
		return timeoutResult(inv.requestID, f.Timeout), false, nil
	case <-ctx.Done():
		inst.p.release(inst)
		return res, false, ctx.Err()
	}

	timer := time.NewTimer(f.Timeout)
	defer timer.Stop()
	select {
	case res = <-c.result:
		inst.served++
		inst.p.release(inst)
		return res, false, nil
	case <-inst.exited:
		select {
		case res = <-c.result: // answered, then exited (a panic does that)
			return res, false, nil
		default:
		}
		return exitResult(inv.requestID, inst.exitErr), false, nil
	case <-timer.C:
		inst.kill()
		<-inst.exited
		return timeoutResult(inv.requestID, f.Timeout), false, nil
	case <-ctx.Done():
		// Nobody waits for this invocation any more; the instance cannot be
		// interrupted, so it goes.
		inst.kill()
		return res, false, ctx.Err()
	}
}

// initFailure is the result of an invocation whose instance died in init.
func (inst *instance) initFailure(inv *invocation) statemachine.LambdaResult {
	inst.mu.Lock()
	doc := inst.initDoc
	inst.mu.Unlock()
	if doc != nil {
		return statemachine.LambdaResult{FunctionError: "Unhandled", Payload: doc}
	}
	return exitResult(inv.requestID, inst.exitErr)
}

func (inst *instance) handleNext(w http.ResponseWriter, r *http.Request) {
	var c *call
	select {
	case c = <-inst.next:
	case <-r.Context().Done():
		return
	case <-inst.exited:
		return
	}
	inst.mu.Lock()
	inst.current = c
	inst.mu.Unlock()
	h := w.Header()
	h.Set(hdrRequestID, c.inv.requestID)
	h.Set(hdrDeadline, strconv.FormatInt(time.Now().Add(inst.p.f.Timeout).UnixMilli(), 10))
	h.Set(hdrFunctionArn, c.inv.arn)
	h.Set(hdrTraceID, c.inv.traceID)
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(c.inv.payload)
}

// take returns the current call if id names it, and clears it.
func (inst *instance) take(w http.ResponseWriter, id string) *call {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	c := inst.current
	if c == nil || c.inv.requestID != id {
		writeRuntimeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID: "+strconv.Quote(id))
		return nil
	}
	inst.current = nil
	return c
}

func (inst *instance) handleResponse(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeRuntimeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	c := inst.take(w, r.PathValue("id"))
	if c == nil {
		return
	}
	// aws-lambda-go streams the response and reports a failure while
	// reading it in trailers.
	if t := r.Trailer.Get(hdrErrorType); t != "" {
		c.result <- statemachine.LambdaResult{FunctionError: "Unhandled", Payload: errorDocument(t, "the function's response stream failed", nil)}
	} else {
		c.result <- statemachine.LambdaResult{Payload: body}
	}
	writeAccepted(w)
}

func (inst *instance) handleError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := inst.take(w, r.PathValue("id"))
	if c == nil {
		return
	}
	c.result <- statemachine.LambdaResult{FunctionError: "Unhandled", Payload: errorBody(body, r.Header.Get(hdrErrorType), "Runtime.Unknown")}
	writeAccepted(w)
}

func (inst *instance) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	inst.mu.Lock()
	inst.initDoc = errorBody(body, r.Header.Get(hdrErrorType), "Runtime.InitError")
	inst.mu.Unlock()
	writeAccepted(w)
	// Lambda does not let a runtime that reported an init error go on.
	inst.kill()
}

// errorBody returns the runtime's error document if it is one, or builds
// one from the error-type header.
func errorBody(body []byte, headerType, fallback string) []byte {
	var doc struct {
		ErrorType    *string `json:"errorType"`
		ErrorMessage *string `json:"errorMessage"`
	}
	if json.Unmarshal(body, &doc) == nil && (doc.ErrorType != nil || doc.ErrorMessage != nil) {
		return body
	}
	typ := headerType
	if typ == "" {
		typ = fallback
	}
	return errorDocument(typ, string(body), nil)
}

func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`)
}

func writeRuntimeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(errorDocument(typ, msg, nil))
}

// addEnv adds variables for the processes started from now on.
func (p *pool) addEnv(kv []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.env = append(p.env[:len(p.env):len(p.env)], kv...)
}
