package statemachine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"regexp"
	"sort"
	"sync"
	"time"

	arnfmt "github.com/stepwise-dev/stepwise/statemachine/arn"
	"github.com/stepwise-dev/stepwise/statemachine/internal/interp"
	"github.com/stepwise-dev/stepwise/statemachine/validate"
)

// Options configures an [Engine]. Every field is optional.
type Options struct {
	// Clock is the source of time; nil uses the wall clock.
	Clock Clock
	// Lambda runs Lambda function ARN tasks and arn:aws:states:::lambda:invoke.
	Lambda LambdaInvoker
	// Services runs other service integrations; nil fails such tasks.
	Services ServiceInvoker
	// Objects backs Distributed Map ItemReader/ResultWriter.
	Objects ObjectStore
	// Store persists state machines and executions; nil keeps them in memory.
	Store Store
	// Region defaults to "us-east-1".
	Region string
	// AccountID defaults to "123456789012".
	AccountID string
	// Rand returns numbers in [0,1) for retry jitter; nil uses math/rand/v2.
	Rand func() float64
	// NewUUID generates execution names and other ids; nil uses random v4 UUIDs.
	NewUUID func() string
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// ActivityPollTimeout is how long GetActivityTask waits for a task
	// (real time); 0 means DefaultActivityPollTimeout (60 s, as AWS).
	ActivityPollTimeout time.Duration
}

// Engine runs state machines and their executions, with the control-plane
// semantics of the AWS Step Functions API. It is safe for concurrent use.
type Engine struct {
	opts   Options
	clock  Clock
	env    *interp.Env // what the interpreter sees of e
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.RWMutex
	machines map[string]*smRecord
	smOrder  []string
	execs    map[string]*execution
	execList []*execution
	tokens   map[string]*interp.TaskWait
	timedOut map[string]bool // tokens whose task timed out (bounded)
	mapRuns  map[string]*mapRun
	aliases  map[string]*StateMachineAlias
	acts     activityHub // activities and their task queues (activities.go)
	wg       sync.WaitGroup
}

// smRecord is a registered state machine, or a version of one (keyed by
// its version ARN).
type smRecord struct {
	info    StateMachine
	machine *Machine
	// nextVersion is the number of the last version published: numbers are
	// never reused, also after a version is deleted.
	nextVersion int
	// tags are the machine's tags (versions have none).
	tags []Tag
}

// storedMachine is the persisted form of an smRecord.
type storedMachine struct {
	StateMachine
	NextVersion int   `json:"nextVersion,omitempty"`
	Tags        []Tag `json:"tags,omitempty"`
}

// New returns an engine. With a Store it loads the persisted state machines
// and executions and resumes every RUNNING Standard execution.
func New(opts Options) (*Engine, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = arnfmt.DefaultAccount
	}
	if opts.Rand == nil {
		opts.Rand = mrand.Float64
	} else {
		opts.Rand = lockedRand(opts.Rand)
	}
	if opts.NewUUID == nil {
		opts.NewUUID = randomUUID
	} else {
		// Callers' generators need not be safe for concurrent use.
		var mu sync.Mutex
		gen := opts.NewUUID
		opts.NewUUID = func() string { mu.Lock(); defer mu.Unlock(); return gen() }
	}

	e := &Engine{
		opts:     opts,
		clock:    opts.Clock,
		log:      opts.Logger,
		machines: map[string]*smRecord{},
		execs:    map[string]*execution{},
		tokens:   map[string]*interp.TaskWait{},
		timedOut: map[string]bool{},
		mapRuns:  map[string]*mapRun{},
		aliases:  map[string]*StateMachineAlias{},
	}
	if e.clock == nil {
		e.clock = realClock{}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.env = e.newEnv()
	if opts.Store != nil {
		if err := e.load(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Close stops every running execution's goroutines without marking the
// executions failed (a Store lets a later [New] resume them).
func (e *Engine) Close() error {
	e.cancel()
	e.wg.Wait()
	return nil
}

func lockedRand(rnd func() float64) func() float64 {
	var mu sync.Mutex
	return func() float64 { mu.Lock(); defer mu.Unlock(); return rnd() }
}

func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// invalidArn is the InvalidArn error for s if s is not a well-formed ARN of
// kind k, else nil. Lookups call it on a miss: a malformed ARN never names
// anything, and the caller learns what is wrong with it rather than that
// it does not exist.
func invalidArn(s string, k arnfmt.Kind) error {
	if err := arnfmt.Check(s, k); err != nil {
		return &APIError{Code: "InvalidArn", Message: err.Error()}
	}
	return nil
}

func (e *Engine) arn(kind, rest string) string {
	return arnfmt.States(e.opts.Region, e.opts.AccountID, kind, rest)
}

var nameRE = regexp.MustCompile("^[0-9A-Za-z_-]{1,80}$")

func validName(n string) bool { return nameRE.MatchString(n) }

// CreateStateMachine registers a state machine after validating its
// definition. Creating one with the same name and definition again returns
// the existing machine, as AWS does.
func (e *Engine) CreateStateMachine(ctx context.Context, in CreateStateMachineInput) (*StateMachine, error) {
	typ := in.Type
	if typ == "" {
		typ = TypeStandard
	}
	if typ != TypeStandard && typ != TypeExpress {
		return nil, apiErr("ValidationException", "Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", typ)
	}
	if !validName(in.Name) {
		return nil, apiErr("InvalidName", "Invalid Name: '%s'", in.Name)
	}
	// The API requires a role; Go callers that run machines locally (tests,
	// the harness) may leave it empty.
	if in.RoleArn != "" {
		if err := invalidArn(in.RoleArn, arnfmt.Role); err != nil {
			return nil, err
		}
	}
	if err := checkLogging(in.Logging); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if len(mergeTags(nil, in.Tags)) > maxTags {
		return nil, apiErr("TooManyTags", "Too many tags: %d given for state machine '%s'; a resource can have at most %d", len(mergeTags(nil, in.Tags)), in.Name, maxTags)
	}
	logging, tracing := normLogging(in.Logging), TracingConfiguration{}
	if in.Tracing != nil {
		tracing = *in.Tracing
	}
	m, err := parse([]byte(in.Definition), typ)
	if err != nil {
		return nil, err
	}
	arn := e.arn("stateMachine", in.Name)
	e.mu.Lock()
	defer e.mu.Unlock()
	if old, ok := e.machines[arn]; ok {
		// Tags and the role do not take part in the idempotency check (AWS
		// ignores their differences); logging and tracing do.
		if old.info.Definition == in.Definition && old.info.Type == typ && equalLogging(old.info.Logging, logging) && old.info.Tracing == tracing {
			return e.publishedLocked(ctx, old, in.Publish, in.VersionDescription)
		}
		return nil, apiErr("StateMachineAlreadyExists", "State Machine Already Exists: '%s'", arn)
	}
	now := e.clock.Now()
	rec := &smRecord{info: StateMachine{Arn: arn, Name: in.Name, Definition: in.Definition, Type: typ, RoleArn: in.RoleArn,
		Status: "ACTIVE", CreationDate: now, UpdateDate: now, RevisionID: e.opts.NewUUID(), Logging: logging, Tracing: tracing},
		machine: m, tags: mergeTags(nil, in.Tags)}
	if err := e.persistMachine(ctx, rec); err != nil {
		return nil, err
	}
	e.machines[arn] = rec
	e.smOrder = append(e.smOrder, arn)
	return e.publishedLocked(ctx, rec, in.Publish, in.VersionDescription)
}

// publishedLocked returns rec's description, after publishing its revision
// as a version when publish is set (VersionArn names it).
func (e *Engine) publishedLocked(ctx context.Context, rec *smRecord, publish bool, description string) (*StateMachine, error) {
	info := rec.info
	if publish {
		v, err := e.publishLocked(ctx, rec.info.Arn, "", description)
		if err != nil {
			return nil, err
		}
		info.VersionArn = v.Arn
	}
	return &info, nil
}

// UpdateStateMachine replaces a machine's definition, role, logging and/or
// tracing settings. Running executions keep the definition they started
// with. An update that changes nothing keeps the current revision.
func (e *Engine) UpdateStateMachine(ctx context.Context, in UpdateStateMachineInput) (*StateMachine, error) {
	if in.RoleArn != nil && *in.RoleArn != "" {
		if err := invalidArn(*in.RoleArn, arnfmt.Role); err != nil {
			return nil, err
		}
	}
	if err := checkLogging(in.Logging); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	rec, ok := e.machines[in.StateMachineArn]
	if !ok {
		return nil, e.noMachine(in.StateMachineArn)
	}
	if versionNumber(in.StateMachineArn) > 0 {
		return nil, apiErr("ValidationException", "Versions are immutable: update the state machine %s, then publish a new version", rec.baseArn())
	}
	nrec := &smRecord{info: rec.info, machine: rec.machine, nextVersion: rec.nextVersion, tags: rec.tags}
	if in.Logging != nil {
		nrec.info.Logging = normLogging(in.Logging)
	}
	if in.Tracing != nil {
		nrec.info.Tracing = *in.Tracing
	}
	if in.Definition != nil {
		m, err := parse([]byte(*in.Definition), rec.info.Type)
		if err != nil {
			return nil, err
		}
		nrec.machine = m
		nrec.info.Definition = *in.Definition
	}
	if in.RoleArn != nil {
		nrec.info.RoleArn = *in.RoleArn
	}
	if nrec.info.Definition == rec.info.Definition && nrec.info.RoleArn == rec.info.RoleArn &&
		equalLogging(nrec.info.Logging, rec.info.Logging) && nrec.info.Tracing == rec.info.Tracing {
		// Nothing changed: AWS keeps the revision (and its id).
		return e.publishedLocked(ctx, rec, in.Publish, in.VersionDescription)
	}
	nrec.info.UpdateDate = e.clock.Now()
	nrec.info.RevisionID = e.opts.NewUUID()
	if err := e.persistMachine(ctx, nrec); err != nil {
		return nil, err
	}
	e.machines[in.StateMachineArn] = nrec
	return e.publishedLocked(ctx, nrec, in.Publish, in.VersionDescription)
}

// noMachine is the error for a state machine ARN that names no machine:
// InvalidArn if it is malformed, else StateMachineDoesNotExist.
func (e *Engine) noMachine(arn string) error {
	if err := invalidArn(arn, arnfmt.StateMachine); err != nil {
		return err
	}
	return apiErr("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", arn)
}

// DescribeStateMachine returns a registered machine.
func (e *Engine) DescribeStateMachine(ctx context.Context, arn string) (*StateMachine, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	rec, ok := e.machines[arn]
	if !ok {
		return nil, e.noMachine(arn)
	}
	info := rec.info
	return &info, nil
}

// ListStateMachines returns every machine in creation order.
func (e *Engine) ListStateMachines(ctx context.Context) ([]*StateMachine, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]*StateMachine, 0, len(e.smOrder))
	for _, arn := range e.smOrder {
		info := e.machines[arn].info
		out = append(out, &info)
	}
	return out, nil
}

// DeleteStateMachine removes a machine. Running executions continue.
func (e *Engine) DeleteStateMachine(ctx context.Context, arn string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, _, q := qualified(arn); q {
		return apiErr("ValidationException", "Delete a version with DeleteStateMachineVersion and an alias with DeleteStateMachineAlias, not with DeleteStateMachine: '%s'", arn)
	}
	if _, ok := e.machines[arn]; !ok {
		if err := invalidArn(arn, arnfmt.StateMachine); err != nil {
			return err
		}
		return nil // AWS: deleting a missing machine succeeds
	}
	for i, a := range e.smOrder {
		if a == arn {
			e.smOrder = append(e.smOrder[:i:i], e.smOrder[i+1:]...)
			break
		}
	}
	// Its versions and aliases go with it.
	return e.deleteMachineLocked(arn)
}

// ValidateDefinition runs ValidateStateMachineDefinition's checks.
func (e *Engine) ValidateDefinition(definition string, smType string) []Diagnostic {
	return validate.Definition([]byte(definition), validate.Options{Type: smType, CheckJSONata: interp.CheckJSONata})
}

// StartExecution starts an execution of a machine. Starting again with the
// name of a RUNNING Standard execution and the same input returns that
// execution; any other reuse of a name fails with ExecutionAlreadyExists.
func (e *Engine) StartExecution(ctx context.Context, in StartExecutionInput) (*Execution, error) {
	x, err := e.start(ctx, in, false)
	if err != nil {
		return nil, err
	}
	return x.describe(), nil
}

// StartSyncExecution runs an Express execution and returns when it is done.
func (e *Engine) StartSyncExecution(ctx context.Context, in StartExecutionInput) (*Execution, error) {
	x, err := e.start(ctx, in, true)
	if err != nil {
		return nil, err
	}
	select {
	case <-x.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return x.describe(), nil
}

func (e *Engine) start(ctx context.Context, in StartExecutionInput, sync bool) (*execution, error) {
	e.mu.RLock()
	rec, aliasArn, ok := e.resolveLocked(in.StateMachineArn)
	e.mu.RUnlock()
	if !ok {
		return nil, e.noMachine(in.StateMachineArn)
	}
	if sync && rec.info.Type != TypeExpress {
		return nil, apiErr("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
	}
	if err := e.checkServices(rec.machine); err != nil {
		return nil, err
	}
	input := "{}"
	if in.InputSet {
		input = in.Input
	}
	if len(input) > maxPayload {
		return nil, apiErr("InvalidExecutionInput", "Input size exceeds the maximum allowed size of 262144 bytes")
	}
	var inVal any
	if err := json.Unmarshal([]byte(input), &inVal); err != nil {
		return nil, apiErr("InvalidExecutionInput", "Invalid State Machine Execution Input: '%s'", err.Error())
	}
	name := in.Name
	if name == "" {
		name = e.opts.NewUUID()
	} else if !validName(name) {
		return nil, apiErr("InvalidName", "Invalid Name: '%s'", name)
	}
	var arn string
	if rec.info.Type == TypeExpress {
		arn = e.arn("express", rec.info.Name+":"+name+":"+e.opts.NewUUID())
	} else {
		arn = e.arn("execution", rec.info.Name+":"+name)
	}
	e.mu.Lock()
	if old, ok := e.execs[arn]; ok {
		e.mu.Unlock()
		st := old.status()
		if st == StatusRunning && old.input == input {
			return old, nil
		}
		return nil, apiErr("ExecutionAlreadyExists", "Execution Already Exists: '%s'", arn)
	}
	x := newExecution(e, rec, arn, name, input, inVal)
	x.aliasArn = aliasArn
	x.traceHeader = in.TraceHeader
	x.sync = sync
	e.execs[arn] = x
	e.execList = append(e.execList, x)
	e.mu.Unlock()
	if err := x.begin(ctx); err != nil {
		e.mu.Lock()
		delete(e.execs, arn)
		for i, y := range e.execList {
			if y == x {
				e.execList = append(e.execList[:i:i], e.execList[i+1:]...)
				break
			}
		}
		e.mu.Unlock()
		return nil, err
	}
	return x, nil
}

func (e *Engine) exec(arn string) (*execution, error) {
	e.mu.RLock()
	x, ok := e.execs[arn]
	e.mu.RUnlock()
	if !ok {
		if err := invalidArn(arn, arnfmt.Execution); err != nil {
			return nil, err
		}
		return nil, apiErr("ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", arn)
	}
	return x, nil
}

// DescribeExecution describes an execution.
func (e *Engine) DescribeExecution(ctx context.Context, arn string) (*Execution, error) {
	x, err := e.exec(arn)
	if err != nil {
		return nil, err
	}
	return x.describe(), nil
}

// ListExecutions lists a machine's executions (or a Map Run's child
// executions), newest first.
func (e *Engine) ListExecutions(ctx context.Context, in ListExecutionsInput) ([]*Execution, error) {
	e.mu.RLock()
	list := append([]*execution(nil), e.execList...)
	rec, smOK := e.machines[in.StateMachineArn]
	if _, isAlias := e.aliases[in.StateMachineArn]; isAlias {
		base, _, _ := qualified(in.StateMachineArn)
		rec, smOK = e.machines[base]
	}
	e.mu.RUnlock()
	if in.MapRunArn == "" && !smOK {
		return nil, e.noMachine(in.StateMachineArn)
	}
	if in.MapRunArn == "" && rec.info.Type == TypeExpress {
		// AWS keeps no execution list for Express machines (their
		// executions are in CloudWatch Logs); Map Run children are listed.
		return nil, apiErr("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
	}
	if in.MapRunArn != "" {
		if err := invalidArn(in.MapRunArn, arnfmt.MapRun); err != nil {
			return nil, err
		}
	}
	var out []*Execution
	for i := len(list) - 1; i >= 0; i-- { // newest first
		x := list[i]
		d := x.describe()
		if in.MapRunArn != "" {
			if d.MapRunArn != in.MapRunArn {
				continue
			}
		} else if d.MapRunArn != "" || (d.StateMachineArn != in.StateMachineArn &&
			d.StateMachineVersionArn != in.StateMachineArn && d.StateMachineAliasArn != in.StateMachineArn) {
			// A machine's ARN lists all its executions; a version's or an
			// alias's, those started through it.
			continue
		}
		if in.StatusFilter != "" && d.Status != in.StatusFilter {
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

// GetExecutionHistory returns an execution's events in ascending order.
func (e *Engine) GetExecutionHistory(ctx context.Context, arn string) ([]HistoryEvent, error) {
	x, err := e.exec(arn)
	if err != nil {
		return nil, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]HistoryEvent(nil), x.events...), nil
}

// StopExecution aborts a running execution.
func (e *Engine) StopExecution(ctx context.Context, arn, errorName, cause string) (*Execution, error) {
	x, err := e.exec(arn)
	if err != nil {
		return nil, err
	}
	if err := x.stop(errorName, cause); err != nil {
		return nil, err
	}
	return x.describe(), nil
}

// RedriveExecution restarts a FAILED, ABORTED or TIMED_OUT Standard
// execution from the state that did not succeed.
func (e *Engine) RedriveExecution(ctx context.Context, arn string) (*Execution, error) {
	x, err := e.exec(arn)
	if err != nil {
		return nil, err
	}
	if err := x.redrive(ctx); err != nil {
		return nil, err
	}
	return x.describe(), nil
}

// WaitExecution blocks until the execution is terminal or ctx is done.
func (e *Engine) WaitExecution(ctx context.Context, arn string) (*Execution, error) {
	x, err := e.exec(arn)
	if err != nil {
		return nil, err
	}
	for {
		x.mu.Lock()
		done := x.done
		x.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		x.mu.Lock()
		same := x.done == done
		x.mu.Unlock()
		if same {
			return x.describe(), nil
		}
	}
}

// DescribeMapRun describes a Distributed Map run.
func (e *Engine) DescribeMapRun(ctx context.Context, arn string) (*MapRun, error) {
	e.mu.RLock()
	mr, ok := e.mapRuns[arn]
	e.mu.RUnlock()
	if !ok {
		if err := invalidArn(arn, arnfmt.MapRun); err != nil {
			return nil, err
		}
		return nil, apiErr("ResourceNotFound", "Resource not found: '%s'", arn)
	}
	return mr.describe(), nil
}

// UpdateMapRun changes a running Map Run's maximum concurrency and failure
// tolerance, and the run obeys the new values at once: a higher
// maxConcurrency starts more child executions now, a lower one starts none
// until fewer than it are running (0 runs as many as the Distributed Map
// allows, 10,000), and a tolerance that the failures so far exceed fails
// the run with States.ExceedToleratedFailureThreshold (its running children
// are aborted). The values are persisted with the Map Run, so a durable
// engine that resumes the run after a restart keeps them.
func (e *Engine) UpdateMapRun(ctx context.Context, in UpdateMapRunInput) (*MapRun, error) {
	if in.MaxConcurrency == nil && in.ToleratedFailurePercentage == nil && in.ToleratedFailureCount == nil {
		return nil, apiErr("ValidationException", "UpdateMapRun needs at least one of maxConcurrency, toleratedFailurePercentage and toleratedFailureCount")
	}
	switch {
	case in.MaxConcurrency != nil && *in.MaxConcurrency < 0:
		return nil, apiErr("ValidationException", "Value '%d' at 'maxConcurrency' failed to satisfy constraint: Member must have value greater than or equal to 0", *in.MaxConcurrency)
	case in.ToleratedFailureCount != nil && *in.ToleratedFailureCount < 0:
		return nil, apiErr("ValidationException", "Value '%d' at 'toleratedFailureCount' failed to satisfy constraint: Member must have value greater than or equal to 0", *in.ToleratedFailureCount)
	case in.ToleratedFailurePercentage != nil && (*in.ToleratedFailurePercentage < 0 || *in.ToleratedFailurePercentage > 100):
		return nil, apiErr("ValidationException", "Value '%v' at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value between 0 and 100", *in.ToleratedFailurePercentage)
	}
	e.mu.RLock()
	mr, ok := e.mapRuns[in.MapRunArn]
	e.mu.RUnlock()
	if !ok {
		if err := invalidArn(in.MapRunArn, arnfmt.MapRun); err != nil {
			return nil, err
		}
		return nil, apiErr("ResourceNotFound", "Resource not found: '%s'", in.MapRunArn)
	}
	mr.mu.Lock()
	if st := mr.info.Status; st != StatusRunning {
		mr.mu.Unlock()
		return nil, apiErr("ValidationException", "Map Run '%s' is %s; only a RUNNING Map Run can be updated", in.MapRunArn, st)
	}
	var mc *int64
	if in.MaxConcurrency != nil {
		mr.info.MaxConcurrency = *in.MaxConcurrency
		mc = new(int64)
		*mc = int64(*in.MaxConcurrency)
	}
	if in.ToleratedFailurePercentage != nil {
		mr.info.ToleratedFailurePercentage = *in.ToleratedFailurePercentage
	}
	if in.ToleratedFailureCount != nil {
		mr.info.ToleratedFailureCount = *in.ToleratedFailureCount
	}
	limits := mr.limits
	mr.mu.Unlock()
	// Persist before the run sees the values: a run that fails on them
	// closes (and persists) the Map Run after this write, not before.
	e.persistMapRun(mr)
	if limits != nil {
		limits.Set(mc, in.ToleratedFailureCount, in.ToleratedFailurePercentage)
	}
	return mr.describe(), nil
}

// ListMapRuns lists the Map Runs an execution started.
func (e *Engine) ListMapRuns(ctx context.Context, executionArn string) ([]*MapRun, error) {
	if _, err := e.exec(executionArn); err != nil {
		return nil, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []*MapRun
	for _, mr := range e.mapRuns {
		if mr.execArn == executionArn {
			out = append(out, mr.describe())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartDate.After(out[j].StartDate) })
	return out, nil
}

// persistMachine writes machines and versions in one commit.
func (e *Engine) persistMachine(ctx context.Context, recs ...*smRecord) error {
	if e.opts.Store == nil {
		return nil
	}
	var batch Batch
	for _, rec := range recs {
		b, err := json.Marshal(storedMachine{StateMachine: rec.info, NextVersion: rec.nextVersion, Tags: rec.tags})
		if err != nil {
			return err
		}
		batch.Put("sm/"+rec.info.Arn, b)
	}
	if err := e.opts.Store.Commit(ctx, &batch); err != nil {
		return fmt.Errorf("statemachine: persist %s: %w", recs[0].info.Arn, err)
	}
	return nil
}
