package sfntest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	lambdalocal "github.com/stepwise-dev/stepwise/local/lambda"
	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/steps/activity"
	"github.com/stepwise-dev/stepwise/steps/objstore"
)

// Region and AccountID are the ones the harness's ARNs carry.
const (
	Region    = "us-east-1"
	AccountID = "123456789012"
)

// DefaultBucket is the value of ${BucketName} unless [Vars] gives one.
const DefaultBucket = "sfntest-bucket"

// DefaultStart is the virtual time every execution starts at unless
// [StartTime] says otherwise.
var DefaultStart = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// Option configures a [Workflow].
type Option func(*config) error

type config struct {
	handlers map[string]any
	mocks    map[string][]Response
	vars     map[string]string
	steps    map[string]string // placeholder → step (function) name
	acts     map[string]string // placeholder → activity name
	// activities are the handlers of [Activity], by activity name.
	activities map[string]activity.Handler
	timeouts   map[string]time.Duration
	objects    []object
	store      *objstore.Memory
	answers    map[string]Answer
	services   map[string]ServiceFunc
	start      time.Time
}

// ServiceFunc implements a service integration for [Service]: it gets the
// evaluated Parameters and returns the service's response.
type ServiceFunc func(ctx context.Context, req statemachine.ServiceRequest) (any, error)

// Service gives a service integration other than Lambda ("sqs:sendMessage",
// "sns:publish", "aws-sdk:s3:getObject" — the Resource's service and
// action, without .sync or .waitForTaskToken) a Go implementation, for
// states that are not mocked. A returned *statemachine.TaskError fails
// the task with its name. For a .waitForTaskToken call, the token then
// waits for an answer as for a Lambda task.
func Service(name string, fn ServiceFunc) Option {
	return func(c *config) error {
		c.services[name] = fn
		return nil
	}
}

type object struct {
	bucket, key string
	data        []byte
}

// Handler gives the Lambda function name a real Go handler: any signature
// aws-lambda-go's lambda.NewHandler accepts, typically
// func(context.Context, In) (Out, error). It runs through the same adapter
// as in production, so a returned error's type name is the errorType Retry
// and Catch match, and a panic fails the task as on AWS.
//
// name is the function name: for a placeholder ${PlanFunctionArn} it is
// "plan" (the placeholder without FunctionArn, lower-cased, as steps.json
// names steps) unless [Steps] maps it otherwise; for a literal ARN or
// FunctionName it is the name in it.
func Handler(name string, fn any) Option {
	return func(c *config) error {
		if fn == nil {
			return fmt.Errorf("sfntest.Handler(%q): handler is nil", name)
		}
		c.handlers[name] = fn
		return nil
	}
}

// Mock answers every invocation of the Task state with the next response
// of the sequence (the last one repeats), without calling anything, as a
// MockConfigFile's MockedResponses do. For a .waitForTaskToken task the
// Return value is the task's result (what SendTaskSuccess would carry).
func Mock(state string, responses ...Response) Option {
	return func(c *config) error {
		if len(responses) == 0 {
			return fmt.Errorf("sfntest.Mock(%q): no responses", state)
		}
		c.mocks[state] = responses
		return nil
	}
}

// Response is one mocked answer of a Task: see [Return] and [Throw].
type Response struct {
	ret     json.RawMessage
	throw   *MockThrow
	problem string // a MockConfigFile response without an entry for the invocation
}

// Return is a mocked successful answer: v is marshalled to JSON
// (json.RawMessage is taken as is). For a Lambda task it is the Lambda
// Invoke response, {"StatusCode":200,"Payload":...}; its Payload is what
// the function returned.
func Return(v any) Response {
	if raw, ok := v.(json.RawMessage); ok {
		return Response{ret: raw}
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sfntest.Return: %v", err))
	}
	return Response{ret: b}
}

// Throw is a mocked failure with a Step Functions error name and cause.
func Throw(errorName, cause string) Response {
	return Response{throw: &MockThrow{Error: errorName, Cause: cause}}
}

// Vars sets ${Name} placeholder values (added to, or replacing, the
// automatic ones).
func Vars(vars map[string]string) Option {
	return func(c *config) error {
		for k, v := range vars {
			c.vars[k] = v
		}
		return nil
	}
}

// Steps reads a steps.json-shaped document (see local/lambda.ParseSteps):
// each step's arn_placeholder names its function, and timeout_seconds
// becomes its Lambda timeout; each activity's arn_placeholder names the
// activity (see [Activity]). name is used in errors.
func Steps(name string, stepsJSON []byte) Option {
	return func(c *config) error {
		s, err := lambdalocal.ParseSteps(name, stepsJSON)
		if err != nil {
			return err
		}
		for step, st := range s.Steps {
			c.steps[st.ArnPlaceholder] = step
			if st.TimeoutSeconds > 0 {
				c.timeouts[step] = time.Duration(st.TimeoutSeconds) * time.Second
			}
		}
		for name, a := range s.Activities {
			c.acts[a.ArnPlaceholder] = name
		}
		return nil
	}
}

// Object puts an object into the in-memory S3 that Distributed Map
// ItemReader and ResultWriter use.
func Object(bucket, key string, data []byte) Option {
	return func(c *config) error {
		c.objects = append(c.objects, object{bucket, key, data})
		return nil
	}
}

// ObjectStore makes executions use m as their in-memory S3 (to share it
// with handlers that read and write S3 through it); [Object] fills it.
func ObjectStore(m *objstore.Memory) Option {
	return func(c *config) error { c.store = m; return nil }
}

// StartTime sets the virtual time executions start at.
func StartTime(t time.Time) Option {
	return func(c *config) error { c.start = t; return nil }
}

// Workflow is a state machine under test. Each execution runs on its own
// engine and virtual clock, so runs of one Workflow are independent and may
// run in parallel. A Workflow is safe for concurrent use.
type Workflow struct {
	name string
	file string
	def  []byte // rendered
	// activities are the names of the activities def names, sorted.
	activities []string
	asl        *definition
	cfg        config
	fns        []lambdalocal.Function
	objs       *objstore.Memory
	// mockFn answers states a MockConfigFile test case mocks.
	mockFn func(state string, n int) (Response, bool)
}

// Load reads an ASL file and prepares it for tests; the workflow is named
// after the file (export.asl.json → "export").
func Load(file string, opts ...Option) (*Workflow, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("sfntest: %w", err)
	}
	name := filepath.Base(file)
	name = strings.TrimSuffix(strings.TrimSuffix(name, ".json"), ".asl")
	w, err := newWorkflow(name, file, b, opts)
	if err != nil {
		return nil, err
	}
	return w, nil
}

// New prepares an ASL definition for tests under the given name.
func New(name string, definition []byte, opts ...Option) (*Workflow, error) {
	return newWorkflow(name, name, definition, opts)
}

func newWorkflow(name, file string, src []byte, opts []Option) (*Workflow, error) {
	w := &Workflow{name: name, file: file, cfg: config{
		handlers: map[string]any{}, mocks: map[string][]Response{}, vars: map[string]string{},
		steps: map[string]string{}, acts: map[string]string{}, activities: map[string]activity.Handler{}, timeouts: map[string]time.Duration{}, answers: map[string]Answer{}, services: map[string]ServiceFunc{}, start: DefaultStart,
	}}
	for _, o := range opts {
		if err := o(&w.cfg); err != nil {
			return nil, fmt.Errorf("sfntest: %s: %w", file, err)
		}
	}
	vars := map[string]string{"BucketName": DefaultBucket}
	for _, p := range statemachine.Placeholders(src) {
		if fn, ok := strings.CutSuffix(p, "FunctionArn"); ok {
			step := w.cfg.steps[p]
			if step == "" {
				step = strings.ToLower(fn)
			}
			vars[p] = lambdalocal.FunctionArn(Region, AccountID, step)
		}
		if act, ok := strings.CutSuffix(p, "ActivityArn"); ok {
			name := w.cfg.acts[p]
			if name == "" {
				name = strings.ToLower(act)
			}
			vars[p] = ActivityArn(name)
		}
	}
	for k, v := range w.cfg.vars {
		vars[k] = v
	}
	def, err := statemachine.Render(src, vars)
	if err != nil {
		return nil, fmt.Errorf("sfntest: %s: %w", file, err)
	}
	w.def = def
	if err := validateDefinition(def); err != nil {
		return nil, fmt.Errorf("sfntest: %s: %w", file, err)
	}
	if w.asl, err = parseDefinition(def); err != nil {
		return nil, fmt.Errorf("sfntest: %s: %w", file, err)
	}
	if err := w.checkStates(); err != nil {
		return nil, fmt.Errorf("sfntest: %s: %w", file, err)
	}
	w.activities = namedActivities(def)
	if err := w.checkActivities(); err != nil {
		return nil, fmt.Errorf("sfntest: %s: %w", file, err)
	}
	for _, h := range sortedKeys(w.cfg.handlers) {
		to := w.cfg.timeouts[h]
		if to == 0 {
			to = DefaultTimeout
		}
		w.fns = append(w.fns, lambdalocal.Function{Name: h, Handler: h, Timeout: to})
	}
	w.objs = w.cfg.store
	if w.objs == nil {
		w.objs = objstore.NewMemory()
	}
	for _, o := range w.cfg.objects {
		w.objs.PutBytes(o.bucket, o.key, o.data)
	}
	return w, nil
}

// DefaultTimeout is the wall-clock time limit of a handler unless [Steps]
// gives its timeout_seconds. A handler runs for real, so this is real time.
const DefaultTimeout = 30 * time.Second

// checkStates rejects mocks and answers for states the definition does not
// have, and mocks of states that are not Tasks.
func (w *Workflow) checkStates() error {
	for _, kind := range []struct {
		what  string
		names []string
	}{{"sfntest.Mock", sortedKeys(w.cfg.mocks)}, {"sfntest.OnToken", sortedKeys(w.cfg.answers)}} {
		for _, n := range kind.names {
			s, ok := w.asl.states[n]
			if !ok {
				return fmt.Errorf("%s(%q): the state machine has no state %q (its states: %s)", kind.what, n, n, w.asl.names())
			}
			if s.Type != "Task" {
				return fmt.Errorf("%s(%q): state %q is a %s state; only Task states call anything", kind.what, n, n, s.Type)
			}
		}
	}
	return nil
}

// Name is the workflow's name (the file name without .asl.json).
func (w *Workflow) Name() string { return w.name }

// Definition is the rendered definition the executions run.
func (w *Workflow) Definition() []byte { return w.def }

// Objects is the in-memory S3 of the workflow's executions.
func (w *Workflow) Objects() *objstore.Memory { return w.objs }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// validateDefinition runs the checks of ValidateStateMachineDefinition and
// reports the errors with their JSON pointers.
func validateDefinition(def []byte) error {
	e, err := statemachine.New(statemachine.Options{})
	if err != nil {
		return err
	}
	defer e.Close()
	var msgs []string
	for _, d := range e.ValidateDefinition(string(def), statemachine.TypeStandard) {
		if d.Severity == "ERROR" {
			msgs = append(msgs, d.Location+": "+d.Message)
		}
	}
	if len(msgs) > 0 {
		return fmt.Errorf("invalid definition:\n  %s", strings.Join(msgs, "\n  "))
	}
	return nil
}
