package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"runtime/debug"
	"strings"
	"time"
)

// Driver is the slice of the engine's API the runner needs. The test in
// package statemachine implements it over *statemachine.Engine.
type Driver interface {
	// CreateStateMachine registers a machine; a rejected definition is an
	// *APIError.
	CreateStateMachine(ctx context.Context, name, definition, smType string) (arn string, err error)
	// ValidateDefinition returns the ValidateStateMachineDefinition
	// diagnostics.
	ValidateDefinition(ctx context.Context, definition, smType string) ([]Diagnostic, error)
	// Start starts an execution; input nil means "no input" (AWS uses {}).
	// With sync it runs a StartSyncExecution and returns when done.
	Start(ctx context.Context, smArn, name string, input *string, sync bool) (execArn string, err error)
	// Wait blocks until the execution is terminal and describes it.
	Wait(ctx context.Context, execArn string) (*Execution, error)
	// History returns GetExecutionHistory's events as AWS JSON, ascending.
	History(ctx context.Context, execArn string) ([]json.RawMessage, error)
	// Stop runs StopExecution.
	Stop(ctx context.Context, execArn, errorName, cause string) error
	// CreateAlias publishes the machine's current revision as a version and
	// creates the alias name routing every execution to it.
	CreateAlias(ctx context.Context, smArn, name string) (aliasArn string, err error)
	// Close releases the engine.
	Close() error
}

// VersionPublisher is a Driver that can publish the machine's current
// revision as a version, for cases started through a version ARN.
type VersionPublisher interface {
	PublishVersion(ctx context.Context, smArn string) (versionArn string, err error)
}

// Env is what a Driver's engine must be built with for one case.
type Env struct {
	Clock   *VirtualClock
	Lambdas *Lambdas
	Region  string
	Account string
	// NewUUID returns deterministic UUIDs for the engine.
	NewUUID func() string
}

// Execution is DescribeExecution's answer.
type Execution struct {
	ExecutionArn, StateMachineArn, Name, Status string
	Input, Output, Error, Cause                 *string
	RedriveCount                                int
	RedriveStatus, RedriveStatusReason          string
	// The version and alias the execution was started through, if any.
	StateMachineVersionArn, StateMachineAliasArn string
}

// APIError is an API-level error (CreateStateMachine's InvalidDefinition).
type APIError struct{ Code, Message string }

// Error implements error.
func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// Diagnostic is one ValidateStateMachineDefinition diagnostic.
type Diagnostic struct {
	Severity, Code, Message, Location string
}

// Result is the outcome of one case.
type Result struct {
	ID       string // category/name
	Category string
	Name     string
	Passed   bool
	// Reason says what differs, precisely and briefly; Pattern is the same
	// with case-specific values removed, for grouping failures.
	Reason  string
	Pattern string
}

// RunTimeout bounds one case in real time; an engine that has not finished
// by then is reported as hanging.
var RunTimeout = 60 * time.Second

// Run replays c on a fresh engine from newDriver and compares the results.
// Engine failures and panics in the calling goroutine become failed
// results; Run itself never panics.
func Run(ctx context.Context, c *Case, newDriver func(Env) (Driver, error)) (res Result) {
	res = Result{ID: c.ID(), Category: c.Category, Name: c.Name}
	defer func() {
		if r := recover(); r != nil {
			stack := string(debug.Stack())
			res.Passed = false
			res.Reason = fmt.Sprintf("panic: %v (%s)", r, Truncate(firstEngineFrame(stack), 160))
			res.Pattern = "panic: " + Truncate(fmt.Sprint(r), 60)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, RunTimeout)
	defer cancel()
	f := run(ctx, c, newDriver)
	if f == nil {
		res.Passed = true
		return res
	}
	res.Reason, res.Pattern = f.reason, f.pattern
	if res.Pattern == "" {
		res.Pattern = res.Reason
	}
	return res
}

// failure is a mismatch with its grouping pattern.
type failure struct{ reason, pattern string }

func failf(pattern, format string, args ...any) *failure {
	return &failure{reason: fmt.Sprintf(format, args...), pattern: pattern}
}

func run(ctx context.Context, c *Case, newDriver func(Env) (Driver, error)) *failure {
	names := NewNames(c)
	for _, fn := range names.Functions {
		if !KnownHandler(fn) {
			return failf("unknown Lambda handler", "case uses Lambda handler %q, which the runner does not emulate", fn)
		}
	}
	clock := NewVirtualClock(Start)
	if c.Expected.Status == "ABORTED" {
		clock = NewFrozenClock(Start)
	}
	defer clock.Close()
	var uuids uint64
	env := Env{
		Clock:   clock,
		Lambdas: &Lambdas{Functions: names.Functions, Region: Region, Account: Account, Clock: clock},
		Region:  Region,
		Account: Account,
		NewUUID: func() string {
			uuids++
			return fmt.Sprintf("%08x-c0de-4c0d-8e11-%012x", 0xe1ec0000+uint32(uuids), uuids)
		},
	}
	d, err := newDriver(env)
	if err != nil {
		return failf("engine: New failed", "engine: New: %v", err)
	}
	defer d.Close()
	if c.Category == "validation" || c.Kind != "" {
		return runValidation(ctx, c, d, names)
	}
	return runExecution(ctx, c, d, names)
}

var recordedMessage = regexp.MustCompile(`^An error occurred \((\w+)\) when calling the \w+ operation: (?s)(.*)$`)

func runValidation(ctx context.Context, c *Case, d Driver, names *Names) *failure {
	def, err := c.DefinitionText()
	if err != nil {
		return failf("bad case", "%v", err)
	}
	def = names.Forward(def)
	smType := c.StateMachineType
	if smType == "" {
		smType = "STANDARD"
	}
	switch c.Kind {
	case "create_state_machine":
		want, err := recordedError(c.Expected.Recorded)
		if err != nil {
			return failf("bad case", "%s: expected.recorded: %v", c.File, err)
		}
		_, err = d.CreateStateMachine(ctx, MachineName, def, smType)
		if err == nil {
			return failf("create: accepted an invalid definition", "CreateStateMachine accepted the definition, want %s: %s", want.Code, Truncate(want.Message, 160))
		}
		var ae *APIError
		if !errors.As(err, &ae) {
			return failf("create: not an APIError", "CreateStateMachine error is not an API error: %v", err)
		}
		got := *ae
		got.Message = reverseText(got.Message, names)
		if got.Code != want.Code {
			return failf("create: error code", "CreateStateMachine error code: want %s got %s (%s)", want.Code, got.Code, Truncate(got.Message, 120))
		}
		if got.Message != want.Message {
			return failf("create: message", "CreateStateMachine message: want %q got %q", Truncate(want.Message, 200), Truncate(got.Message, 200))
		}
		return nil
	case "validate_state_machine_definition":
		var want struct {
			Result      string           `json:"result"`
			Diagnostics []map[string]any `json:"diagnostics"`
		}
		if err := json.Unmarshal(c.Expected.ValidateResponse, &want); err != nil {
			return failf("bad case", "%s: expected.validate_response: %v", c.File, err)
		}
		diags, err := d.ValidateDefinition(ctx, def, smType)
		if err != nil {
			return failf("validate: error", "ValidateDefinition: %v", err)
		}
		got := []map[string]any{}
		result := "OK"
		for _, dg := range diags {
			m := map[string]any{"code": dg.Code, "message": reverseText(dg.Message, names), "severity": dg.Severity}
			if dg.Location != "" {
				m["location"] = dg.Location
			}
			if dg.Severity == "ERROR" {
				result = "FAIL"
			}
			got = append(got, m)
		}
		if result != want.Result {
			return failf("validate: result", "ValidateDefinition result: want %s got %s (diagnostics %s)", want.Result, result, Preview(toAny(got)))
		}
		if diff := Compare(toAny(want.Diagnostics), toAny(got), nil); diff != nil {
			return failf("validate: diagnostics", "ValidateDefinition diagnostics%s", diff)
		}
		return nil
	}
	return failf("bad case", "validation case with unknown kind %q", c.Kind)
}

// recordedError extracts the API error of a CREATE_FAILED case.
func recordedError(raw json.RawMessage) (APIError, error) {
	var rec struct {
		TypeName string `json:"exception_typename"`
		Value    string `json:"exception_value"`
		Error    struct {
			Code    string `json:"Code"`
			Message string `json:"Message"`
		} `json:"Error"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return APIError{}, err
	}
	if rec.Error.Code != "" {
		return APIError{Code: rec.Error.Code, Message: rec.Error.Message}, nil
	}
	if m := recordedMessage.FindStringSubmatch(rec.Value); m != nil {
		return APIError{Code: m[1], Message: m[2]}, nil
	}
	if rec.TypeName != "" {
		return APIError{Code: rec.TypeName, Message: rec.Value}, nil
	}
	return APIError{}, fmt.Errorf("no exception recorded")
}

func reverseText(s string, names *Names) string {
	for _, r := range names.Reverse() {
		s = r.apply(s)
	}
	return s
}

func toAny(v any) any {
	s, _ := marshal(v)
	out, _ := decode([]byte(s))
	return out
}

func runExecution(ctx context.Context, c *Case, d Driver, names *Names) *failure {
	plan, f := createMachines(ctx, c, d, names)
	if f != nil {
		return f
	}
	smType, sync := plan.smType, plan.sync
	stopWorkers, f := startActivityWorkers(ctx, c, d)
	if f != nil {
		return f
	}
	defer stopWorkers()
	execArn, err := d.Start(ctx, plan.smArn, plan.execName, plan.input, sync)
	if err != nil {
		return failf("start: "+errorCode(err), "StartExecution: %v", errText(err))
	}
	if c.Expected.Status == "ABORTED" {
		if f := stopWhenWaiting(ctx, c, d, execArn); f != nil {
			return f
		}
	}
	exec, err := d.Wait(ctx, execArn)
	if err != nil {
		if ctx.Err() != nil {
			return failf("engine hang: execution did not finish", "execution did not finish within %s of real time (engine hang or a timer the virtual clock never fired)", RunTimeout)
		}
		return failf("describe: "+errorCode(err), "WaitExecution: %v", errText(err))
	}
	var extra []Replacement
	if smType == "EXPRESS" {
		// express ARN …:express:<sm>:<name>:<uuid>; the UUID is Part2.
		part := "<ExpressExecArn_Part2_0idx>"
		if sync {
			part = "<SyncExecArn_Part2_0idx>"
		}
		if i := strings.LastIndexByte(execArn, ':'); i >= 0 && strings.Contains(execArn, ":express:") {
			extra = append(extra, Replacement{Old: execArn[i+1:], New: part})
		}
	}
	repl := names.Reverse(extra...)
	cmp := newComparer(c, repl)
	return checkExecution(ctx, c, d, names, execArn, exec, cmp, repl)
}

// startPlan is how a case's execution starts.
type startPlan struct {
	smArn, smType, execName string
	input                   *string
	sync                    bool
}

// createMachines creates the case's state machines (nested ones first, an
// alias or version if the case was recorded through one) and says how to
// start the execution.
func createMachines(ctx context.Context, c *Case, d Driver, names *Names) (startPlan, *failure) {
	for i, sm := range c.StateMachines {
		smType := sm.Type
		if smType == "" {
			smType = "STANDARD"
		}
		name := TargetName
		if i > 0 {
			name = fmt.Sprintf("%s%d", TargetName, i)
		}
		if _, err := d.CreateStateMachine(ctx, name, names.Forward(string(sm.Definition)), smType); err != nil {
			return startPlan{}, failf("create nested: "+errorCode(err), "CreateStateMachine(nested %d): %v", i, errText(err))
		}
	}
	def, err := c.DefinitionText()
	if err != nil {
		return startPlan{}, failf("bad case", "%v", err)
	}
	smType, execName, sync := "STANDARD", StdExecName, false
	switch c.ExecutionType {
	case "EXPRESS":
		smType, execName = "EXPRESS", AsyncExecName
	case "EXPRESS_SYNC":
		smType, execName, sync = "EXPRESS", SyncExecName, true
	}
	smArn, err := d.CreateStateMachine(ctx, MachineName, names.Forward(def), smType)
	if err != nil {
		return startPlan{}, failf("create: "+errorCode(err), "CreateStateMachine: %v", errText(err))
	}
	var input *string
	if c.InputRaw != nil {
		s := names.Forward(*c.InputRaw)
		input = &s
	}
	// A case recorded through an alias (its DescribeExecution names one)
	// starts there: a version of the machine, an alias routing to it.
	if alias := c.AliasName(); alias != "" {
		if smArn, err = d.CreateAlias(ctx, smArn, alias); err != nil {
			return startPlan{}, failf("alias: "+errorCode(err), "publish a version and create alias %s: %v", alias, errText(err))
		}
	} else if c.StartedThroughVersion() {
		// A case started through a version ARN (its DescribeExecution names
		// a version but no alias) starts there.
		vp, ok := d.(VersionPublisher)
		if !ok {
			return startPlan{}, failf("version: driver cannot publish", "the case starts through a version; the driver has no PublishVersion")
		}
		if smArn, err = vp.PublishVersion(ctx, smArn); err != nil {
			return startPlan{}, failf("version: "+errorCode(err), "publish a version: %v", errText(err))
		}
	}
	return startPlan{smArn: smArn, smType: smType, execName: execName, input: input, sync: sync}, nil
}

// checkExecution compares a finished execution with the case's
// expectations: status, history, output, error, cause and the describe
// shapes.
func checkExecution(ctx context.Context, c *Case, d Driver, names *Names, execArn string, exec *Execution, cmp *comparer, repl []Replacement) *failure {
	if exec.Status != c.Expected.Status {
		f := failf("status: want "+c.Expected.Status+" got "+exec.Status+errorSuffix(exec.Error),
			"status: want %s got %s%s%s", c.Expected.Status, exec.Status, errorSuffix(exec.Error), causeSuffix(exec.Cause, repl))
		// Where the run went another way is the most useful hint.
		if len(c.Expected.History) > 0 {
			if events, err := d.History(ctx, execArn); err == nil {
				if hf := cmp.history(events); hf != nil {
					f.reason += "; first history difference: " + hf.reason
				}
			}
		}
		return f
	}
	if len(c.Expected.History) > 0 {
		events, err := d.History(ctx, execArn)
		if err != nil {
			return failf("history: "+errorCode(err), "GetExecutionHistory: %v", errText(err))
		}
		if f := cmp.history(events); f != nil {
			return f
		}
	}
	if c.Expected.Status == "SUCCEEDED" && len(c.Expected.Output) > 0 {
		if f := cmp.field("output", c.Expected.Output, exec.Output); f != nil {
			return f
		}
	}
	if c.Expected.Error != nil {
		got := ""
		if exec.Error != nil {
			got = reverseText(*exec.Error, names)
		}
		if got != *c.Expected.Error {
			return failf("error", "error: want %q got %q", Truncate(*c.Expected.Error, 120), Truncate(got, 120))
		}
	}
	if len(c.Expected.Cause) > 0 {
		if f := cmp.field("cause", c.Expected.Cause, exec.Cause); f != nil {
			return f
		}
	}
	if len(c.Expected.DescribeExecution) > 0 {
		if f := cmp.describe("describe_execution", c.Expected.DescribeExecution, describeJSON(exec, false)); f != nil {
			return f
		}
	}
	if len(c.Expected.StartSync) > 0 {
		if f := cmp.describe("start_sync_execution", c.Expected.StartSync, describeJSON(exec, true)); f != nil {
			return f
		}
	}
	if len(c.Expected.EndEvent) > 0 {
		events, err := d.History(ctx, execArn)
		if err != nil {
			return failf("express end event: history unavailable", "express end event: GetExecutionHistory: %v", errText(err))
		}
		if f := cmp.endEvent(execArn, events); f != nil {
			return f
		}
	}
	return nil
}

func errorSuffix(e *string) string {
	if e == nil {
		return ""
	}
	return " (error " + *e + ")"
}

func causeSuffix(c *string, repl []Replacement) string {
	if c == nil {
		return ""
	}
	s := *c
	for _, r := range repl {
		s = r.apply(s)
	}
	return " cause " + Truncate(s, 300)
}

func errorCode(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return "error"
}

func errText(err error) string { return Truncate(err.Error(), 240) }

// describeJSON renders an execution as DescribeExecution (or
// StartSyncExecution) JSON with the date fields already in snapshot form.
func describeJSON(e *Execution, sync bool) map[string]any {
	m := map[string]any{
		"executionArn":    e.ExecutionArn,
		"stateMachineArn": e.StateMachineArn,
		"name":            e.Name,
		"status":          e.Status,
		"startDate":       "datetime",
		"inputDetails":    map[string]any{"included": true},
	}
	if e.Input != nil {
		m["input"] = *e.Input
	}
	if e.Output != nil {
		m["output"] = *e.Output
		m["outputDetails"] = map[string]any{"included": true}
	}
	if e.Error != nil {
		m["error"] = *e.Error
	}
	if e.Cause != nil {
		m["cause"] = *e.Cause
	}
	if e.Status != "RUNNING" {
		m["stopDate"] = "datetime"
	}
	if sync {
		m["outputDetails"] = map[string]any{"included": true}
	} else {
		m["redriveCount"] = json.Number(fmt.Sprint(e.RedriveCount))
		if e.RedriveStatus != "" {
			m["redriveStatus"] = e.RedriveStatus
		}
		if e.RedriveStatusReason != "" {
			m["redriveStatusReason"] = e.RedriveStatusReason
		}
	}
	if e.StateMachineVersionArn != "" {
		m["stateMachineVersionArn"] = e.StateMachineVersionArn
	}
	if e.StateMachineAliasArn != "" {
		m["stateMachineAliasArn"] = e.StateMachineAliasArn
	}
	return m
}

// firstEngineFrame picks the first stack line inside the statemachine
// package, to say where a panic happened.
func firstEngineFrame(stack string) string {
	lines := strings.Split(stack, "\n")
	for i, l := range lines {
		if strings.Contains(l, "/statemachine.") && !strings.Contains(l, "internal/conformance") && i+1 < len(lines) {
			return strings.TrimSpace(l) + " " + strings.TrimSpace(lines[i+1])
		}
	}
	return ""
}

// stopWhenWaiting reproduces a test that stopped a running execution: it
// waits (the clock is frozen, so the execution blocks in its Wait state or
// task) until the engine's history holds every event recorded before the
// abort, then stops the execution.
func stopWhenWaiting(ctx context.Context, c *Case, d Driver, execArn string) *failure {
	var recorded []struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(c.Expected.History, &recorded); err != nil || len(recorded) == 0 {
		return failf("ABORTED without history", "an ABORTED case needs its recorded history to know when to stop (%v)", err)
	}
	before := len(recorded)
	for i, e := range recorded {
		if strings.HasSuffix(e.Type, "Aborted") {
			before = i
			break
		}
	}
	for delay := 50 * time.Microsecond; ; delay = min(2*delay, 20*time.Millisecond) {
		events, err := d.History(ctx, execArn)
		if err != nil {
			return failf("history: "+errorCode(err), "GetExecutionHistory while running: %v", errText(err))
		}
		if len(events) >= before {
			break
		}
		select {
		case <-ctx.Done():
			return failf("abort: execution never reached the stop point", "the execution's history never reached the %d events recorded before the abort (has %d)", before, len(events))
		case <-time.After(delay):
		}
	}
	errName, cause := "", ""
	if c.Expected.Error != nil {
		errName = *c.Expected.Error
	}
	if len(c.Expected.Cause) > 0 {
		_ = json.Unmarshal(c.Expected.Cause, &cause)
	}
	if err := d.Stop(ctx, execArn, errName, cause); err != nil {
		return failf("stop: "+errorCode(err), "StopExecution: %v", errText(err))
	}
	return nil
}
