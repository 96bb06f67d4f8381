package lambdalocal

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"time"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/stepwise-dev/stepwise/statemachine"
)

// Function is one Lambda function served by a [Runtime].
type Function struct {
	// Name is the function name, e.g. "stepwise-plan".
	Name string
	// Handler is the handler name: the key of the in-process handler in
	// [Options].Handlers and the _HANDLER value a bootstrap sees.
	Handler string
	// MemoryMB is reported to the function (AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
	// it is not enforced.
	MemoryMB int
	// Timeout is the invocation time limit; 0 means 3 seconds, Lambda's
	// default.
	Timeout time.Duration
	// Concurrency is the most invocations that run at once; further ones
	// wait. 0 means [DefaultConcurrency].
	Concurrency int
}

// DefaultConcurrency is the per-function concurrency limit when
// [Function].Concurrency is 0.
const DefaultConcurrency = 16

// Options configures [New].
type Options struct {
	// Region and AccountID go into function ARNs; defaults us-east-1 and
	// 123456789012.
	Region, AccountID string
	// Functions lists the functions to serve.
	Functions []Function
	// Handlers maps a handler name to an aws-lambda-go handler func (any
	// signature lambda.NewHandler accepts). Functions whose handler is
	// here run in-process.
	Handlers map[string]any
	// Bootstrap is the path of a bootstrap executable. Functions without an
	// in-process handler run in process mode with it; if it is empty, New
	// fails for them.
	Bootstrap string
	// Env is added to the environment of bootstrap processes (e.g. S3
	// endpoint and credentials). Process mode starts from a clean
	// environment as Lambda does, plus PATH, HOME and TMPDIR.
	Env []string
	// Output receives the bootstrap processes' stdout and stderr (their
	// logs); nil discards them.
	Output io.Writer
	// IdleTimeout stops a bootstrap instance that has served nothing for
	// this long (checked when another instance of the function goes idle);
	// 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration
}

// DefaultIdleTimeout is how long an idle bootstrap instance is kept warm
// when [Options].IdleTimeout is 0.
const DefaultIdleTimeout = 10 * time.Minute

// Runtime serves Lambda functions locally and implements
// [statemachine.LambdaInvoker]. It is safe for concurrent use.
type Runtime struct {
	region, account string
	fns             map[string]*function
}

var _ statemachine.LambdaInvoker = (*Runtime)(nil)

// function is the runtime state of one Function.
type function struct {
	Function
	arn     string
	slots   chan struct{} // concurrency limit (in-process)
	handler any           // in-process handler, or nil
	pool    *pool         // process mode, or nil
}

// AddEnv adds environment variables (KEY=value) to the bootstrap
// processes started from now on; running ones keep theirs. The local stack
// uses it for settings known only once its listeners are up (the approval
// page's address).
func (r *Runtime) AddEnv(kv ...string) {
	for _, f := range r.fns {
		if f.pool != nil {
			f.pool.addEnv(kv)
		}
	}
}

// New checks opts and prepares the functions. Process-mode instances start
// lazily, on their first invocation.
func New(opts Options) (*Runtime, error) {
	r := &Runtime{region: opts.Region, account: opts.AccountID, fns: map[string]*function{}}
	if r.region == "" {
		r.region = "us-east-1"
	}
	if r.account == "" {
		r.account = "123456789012"
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	for _, f := range opts.Functions {
		if f.Name == "" {
			return nil, errors.New("lambda: a function has no name")
		}
		if _, dup := r.fns[f.Name]; dup {
			return nil, fmt.Errorf("lambda: function %q defined twice", f.Name)
		}
		if f.Timeout <= 0 {
			f.Timeout = 3 * time.Second
		}
		if f.Concurrency <= 0 {
			f.Concurrency = DefaultConcurrency
		}
		if f.MemoryMB <= 0 {
			f.MemoryMB = 128
		}
		fn := &function{Function: f, arn: FunctionArn(r.region, r.account, f.Name)}
		if h, ok := opts.Handlers[f.Handler]; ok {
			if err := checkHandler(h); err != nil {
				return nil, fmt.Errorf("lambda: function %s: handler %q: %w", f.Name, f.Handler, err)
			}
			fn.handler = h
			fn.slots = make(chan struct{}, f.Concurrency)
		} else {
			if opts.Bootstrap == "" {
				return nil, fmt.Errorf("lambda: function %s: no in-process handler %q and no bootstrap binary", f.Name, f.Handler)
			}
			fn.pool = newPool(fn, r, opts)
		}
		r.fns[f.Name] = fn
	}
	return r, nil
}

// checkHandler rejects values that lambda.NewHandler would turn into a
// handler that always fails, so the mistake shows at start-up.
func checkHandler(h any) error {
	if h == nil {
		return errors.New("handler is nil")
	}
	if _, ok := h.(awslambda.Handler); ok {
		return nil
	}
	t := reflect.TypeOf(h)
	if t.Kind() != reflect.Func {
		return fmt.Errorf("handler is a %s, not a func", t)
	}
	if t.NumIn() > 2 || t.NumOut() > 2 {
		return fmt.Errorf("handler %s takes at most 2 arguments and returns at most 2 values", t)
	}
	return nil
}

// FunctionArn returns the ARN of the named function as this runtime formats
// it, or "" if there is no such function.
func (r *Runtime) FunctionArn(name string) string {
	if f, ok := r.fns[name]; ok {
		return f.arn
	}
	return ""
}

// Invoke runs function (a name, "name:$LATEST", or a function ARN,
// optionally qualified with $LATEST) with payload, synchronously.
func (r *Runtime) Invoke(ctx context.Context, function string, payload []byte) (statemachine.LambdaResult, error) {
	name, qualifier := parseFunction(function)
	f, ok := r.fns[name]
	if !ok || (qualifier != "" && qualifier != "$LATEST") {
		// Lambda names the version it looked for: unqualified means $LATEST.
		arn := FunctionArn(r.region, r.account, name)
		if strings.HasPrefix(function, "arn:") {
			arn = strings.TrimSuffix(function, ":"+qualifier)
		}
		if qualifier == "" {
			qualifier = "$LATEST"
		}
		arn += ":" + qualifier
		return statemachine.LambdaResult{}, &statemachine.TaskError{
			Name:  "Lambda.ResourceNotFoundException",
			Cause: fmt.Sprintf("Function not found: %s (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: %s; Proxy: null)", arn, newRequestID()),
		}
	}
	inv := &invocation{
		requestID: newRequestID(),
		arn:       f.arn,
		payload:   payload,
		traceID:   newTraceID(),
	}
	if qualifier != "" {
		inv.arn += ":" + qualifier
	}
	var res statemachine.LambdaResult
	var err error
	if f.handler != nil {
		res, err = f.invokeInProcess(ctx, inv)
	} else {
		res, err = f.pool.invoke(ctx, inv)
	}
	if err != nil {
		return res, err
	}
	res.RequestID = inv.requestID
	res.ExecutedVersion = "$LATEST"
	return res, nil
}

// parseFunction splits a function reference into name and qualifier. It
// accepts "name", "name:qualifier", "account:function:name[:qualifier]" and
// full ARNs, as the Lambda API does.
func parseFunction(s string) (name, qualifier string) {
	if strings.HasPrefix(s, "arn:") {
		parts := strings.Split(s, ":")
		// arn:partition:lambda:region:account:function:name[:qualifier]
		if len(parts) < 7 || parts[2] != "lambda" || parts[5] != "function" {
			return "", ""
		}
		if len(parts) > 7 {
			qualifier = parts[7]
		}
		return parts[6], qualifier
	}
	parts := strings.Split(s, ":")
	switch {
	case len(parts) >= 3 && parts[1] == "function":
		if len(parts) > 3 {
			qualifier = parts[3]
		}
		return parts[2], qualifier
	case len(parts) == 2:
		return parts[0], parts[1]
	}
	return s, ""
}

// Close stops all bootstrap processes.
func (r *Runtime) Close() error {
	var wg sync.WaitGroup
	for _, f := range r.fns {
		if f.pool != nil {
			wg.Go(f.pool.close)
		}
	}
	wg.Wait()
	return nil
}

// invocation is one request being served.
type invocation struct {
	requestID string
	arn       string
	payload   []byte
	traceID   string
}

// newRequestID returns a random version-4 UUID, the format of Lambda
// request ids.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// newTraceID returns an X-Ray trace header value in the format Lambda passes
// in Lambda-Runtime-Trace-Id (not sampled: nothing collects traces here).
func newTraceID() string {
	var b [20]byte
	rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%x;Parent=%x;Sampled=0", time.Now().Unix(), b[:12], b[12:])
}

// errorDocument encodes a function error the way Lambda returns it.
func errorDocument(errorType, message string, stack []*messages.InvokeResponse_Error_StackFrame) []byte {
	b, _ := json.Marshal(messages.InvokeResponse_Error{Type: errorType, Message: message, StackTrace: stack})
	return b
}

// timeoutResult is what Lambda returns when an invocation exceeds its
// timeout.
func timeoutResult(requestID string, timeout time.Duration) statemachine.LambdaResult {
	msg := fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", requestID, timeout.Seconds())
	return statemachine.LambdaResult{FunctionError: "Unhandled", Payload: errorDocument("Sandbox.Timedout", msg, nil)}
}

// exitResult is what Lambda returns when the runtime process exits during
// an invocation or its init.
func exitResult(requestID string, exitErr error) statemachine.LambdaResult {
	msg := fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %v", requestID, exitErr)
	return statemachine.LambdaResult{FunctionError: "Unhandled", Payload: errorDocument("Runtime.ExitError", msg, nil)}
}
