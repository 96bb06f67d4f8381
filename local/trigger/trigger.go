// Package trigger is the local stand-in for the EventBridge rule that
// starts a workflow when an object lands in S3: it matches S3 "Object
// Created" events against the rule's event pattern (the same file
// Terraform reads, statemachine/<name>.trigger.json), shapes the execution
// input with the rule's input transformer (statemachine/
// <name>.trigger-input.json) and starts one execution per object version.
//
// Exactly-once starts come from execution-name idempotency, as on AWS
// where EventBridge delivers at least once: the execution name is derived
// from the event's bucket, key, version id and sequencer (see
// [ExecutionName]), so a redelivered event asks for an execution that
// already exists and Step Functions refuses to start a second one
// (ExecutionAlreadyExists, or the running execution is returned). The
// derivation survives restarts, unlike an in-memory set of seen events.
//
// No acknowledged request is lost to a crash. An event travels from the S3
// server process to the engine through memory, so kill -9 of the stack
// used to lose every event still queued (26 to 83 of ~150 requests in a
// 1.5 s test). Now the local S3 records an event that matches the
// trigger's pattern in a durable outbox — object and record fsync'd —
// before it acknowledges the PUT, and [Trigger.Serve] acknowledges the
// event ([Options].Ack) only once StartExecution has committed the
// execution (or found it existing). Whatever dies between the two, the
// record is still there and the next start of the stack delivers it
// again; because the record keeps the event's sequencer, the redelivery
// derives the same execution name and the engine's name idempotency turns
// it into a no-op. Thus: at-least-once delivery + idempotent names =
// exactly one execution per acknowledged object. A scan of requests/ at
// start-up was the alternative; it cannot tell a new write of a key from
// an old one without the sequencer, and it would re-run every request
// whose execution history had been deleted.
//
// A stack has one trigger per workflow with a trigger file; [ServeAll]
// hands each event to all of them, as EventBridge hands an event to every
// rule that matches it, and acknowledges it once all have settled it. It
// is not an EventBridge emulator: one target per rule, no retries or
// dead-letter queue.
package trigger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/stepwise-dev/stepwise/local/eventpattern"
	locals3 "github.com/stepwise-dev/stepwise/local/s3"
)

// StartFunc starts an execution with the given name and input (JSON text).
// The local stack wires it to StartExecution on the trigger's state
// machine. When an execution with that name already exists it should
// return an error that wraps [ErrDuplicate] or has an ErrorCode() method
// returning "ExecutionAlreadyExists" (as aws-sdk-go-v2's sfn errors do).
type StartFunc func(ctx context.Context, name, input string) error

// ErrDuplicate marks a start refused because the execution already exists.
var ErrDuplicate = errors.New("execution already exists")

// Outcome is what [Trigger.Deliver] did with an event.
type Outcome int

const (
	// NoMatch means the event did not match the pattern.
	NoMatch Outcome = iota
	// Started means the start function accepted the execution.
	Started
	// Duplicate means an execution for this object version exists already.
	Duplicate
)

// String returns the outcome's name.
func (o Outcome) String() string {
	switch o {
	case NoMatch:
		return "NoMatch"
	case Started:
		return "Started"
	case Duplicate:
		return "Duplicate"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Options configures [New].
type Options struct {
	// Pattern is the EventBridge event pattern document. Required.
	Pattern []byte
	// Transformer shapes the execution input; nil passes the whole event.
	Transformer *InputTransformer
	// Start starts an execution. Required.
	Start StartFunc
	// Logger receives one line per event handled by [Trigger.Serve];
	// slog.Default() when nil.
	Logger *slog.Logger
	// Ack, if set, is called by [Trigger.Serve] for every event whose
	// outcome is settled: its execution started or existed already, it did
	// not match, or it can never start one (not an S3 event). An event
	// whose start failed otherwise (the engine was stopping, say) is not
	// acknowledged, so that a durable source delivers it again
	// ([locals3.Server.Ack] with [locals3.Options].DurableEvents).
	Ack func(locals3.Event) error
	// Name, if set, names the trigger (its workflow) in log lines.
	Name string
}

// Trigger matches events and starts executions. It is safe for
// concurrent use.
type Trigger struct {
	pattern     *eventpattern.Pattern
	transformer *InputTransformer
	start       StartFunc
	ack         func(locals3.Event) error
	log         *slog.Logger
	name        string
}

// New compiles the pattern and returns a Trigger.
func New(opts Options) (*Trigger, error) {
	if opts.Start == nil {
		return nil, errors.New("trigger: Options.Start is required")
	}
	p, err := eventpattern.Compile(opts.Pattern)
	if err != nil {
		return nil, fmt.Errorf("trigger: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Trigger{pattern: p, transformer: opts.Transformer, start: opts.Start, ack: opts.Ack, log: log, name: opts.Name}, nil
}

// Load reads the pattern file and, if transformerFile is not empty, the
// input transformer file, and returns a Trigger. Errors name the file.
func Load(patternFile, transformerFile string, start StartFunc) (*Trigger, error) {
	b, err := os.ReadFile(patternFile)
	if err != nil {
		return nil, fmt.Errorf("trigger: %w", err)
	}
	opts := Options{Pattern: b, Start: start}
	if transformerFile != "" {
		opts.Transformer, err = LoadInputTransformer(transformerFile)
		if err != nil {
			return nil, err
		}
	}
	t, err := New(opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", patternFile, err)
	}
	return t, nil
}

// Deliver handles one event (an EventBridge event document): if it
// matches, it starts the execution named [ExecutionName](event).
func (t *Trigger) Deliver(ctx context.Context, event []byte) (Outcome, error) {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var ev any
	if err := dec.Decode(&ev); err != nil {
		return NoMatch, fmt.Errorf("trigger: event is not valid JSON: %w", err)
	}
	if !t.pattern.MatchValue(ev) {
		return NoMatch, nil
	}
	name, err := executionName(ev)
	if err != nil {
		return NoMatch, err
	}
	input := string(event)
	if t.transformer != nil {
		input, err = t.transformer.apply(ev, event)
		if err != nil {
			return NoMatch, err
		}
	}
	if err := t.start(ctx, name, input); err != nil {
		if isDuplicate(err) {
			return Duplicate, nil
		}
		return NoMatch, &startError{name: name, err: err}
	}
	return Started, nil
}

// Serve delivers every event from events until the channel closes or ctx
// is done. Failures are logged and do not stop it.
func (t *Trigger) Serve(ctx context.Context, events <-chan locals3.Event) {
	ServeAll(ctx, events, t.ack, t)
}

// ServeAll delivers every event from events to each trigger, as
// EventBridge delivers an event to every rule it matches, until the
// channel closes or ctx is done. ack (which may be nil; the triggers' own
// [Options].Ack is not used) is called for an event once every trigger has
// settled it; if any start failed, the event is not acknowledged, so that
// a durable source delivers it again and the triggers that did start
// their execution find it existing. Failures are logged and do not stop
// it.
func ServeAll(ctx context.Context, events <-chan locals3.Event, ack func(locals3.Event) error, triggers ...*Trigger) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			settled := true
			for _, t := range triggers {
				settled = t.handle(ctx, ev) && settled
			}
			if !settled || ack == nil {
				continue
			}
			if err := ack(ev); err != nil && len(triggers) > 0 {
				triggers[0].log.Error("trigger: acknowledge event", "object", ev.Detail.Bucket.Name+"/"+ev.Detail.Object.Key, "err", err)
			}
		}
	}
}

// handle delivers one event and logs the outcome; it reports whether the
// event is settled for this trigger.
func (t *Trigger) handle(ctx context.Context, ev locals3.Event) bool {
	key := ev.Detail.Bucket.Name + "/" + ev.Detail.Object.Key
	b, err := json.Marshal(ev)
	if err != nil {
		t.log.Error("trigger: encode event", "err", err)
		return true
	}
	out, err := t.Deliver(ctx, b)
	var se *startError
	if errors.As(err, &se) {
		// Not settled: the source keeps the event for the next run.
		t.log.Error("trigger: event not delivered; it is delivered again when the stack restarts", t.attrs("object", key, "err", err)...)
		return false
	}
	if err != nil {
		t.log.Error("trigger: event can never start an execution", t.attrs("object", key, "err", err)...)
	} else if out != NoMatch {
		t.log.Info("trigger: S3 object created", t.attrs("object", key, "outcome", out.String())...)
	}
	return true
}

// attrs adds the trigger's name, if any, to log attributes.
func (t *Trigger) attrs(kv ...any) []any {
	if t.name == "" {
		return kv
	}
	return append([]any{"workflow", t.name}, kv...)
}

// startError is a start function's failure other than a duplicate: the
// event may start its execution when delivered again.
type startError struct {
	name string
	err  error
}

func (e *startError) Error() string {
	return fmt.Sprintf("trigger: start execution %s: %v", e.name, e.err)
}
func (e *startError) Unwrap() error { return e.err }

// ExecutionName returns the execution name the trigger uses for an S3
// "Object Created" event: "s3-" and 40 hex digits of SHA-256 over the
// bucket, key, version id and sequencer. Those four identify one write of
// one object: a redelivery of the event has them all equal, a later write
// of the same key has a greater sequencer. The name is valid for Step
// Functions (at most 80 characters of [0-9A-Za-z_-]).
func ExecutionName(event []byte) (string, error) {
	var ev any
	if err := json.Unmarshal(event, &ev); err != nil {
		return "", fmt.Errorf("trigger: event is not valid JSON: %w", err)
	}
	return executionName(ev)
}

func executionName(ev any) (string, error) {
	detail, _ := lookup(ev, "detail")
	bucket, _ := lookup(detail, "bucket", "name")
	key, _ := lookup(detail, "object", "key")
	version, _ := lookup(detail, "object", "version-id")
	seq, _ := lookup(detail, "object", "sequencer")
	b, _ := bucket.(string)
	k, _ := key.(string)
	if b == "" || k == "" {
		return "", errors.New("trigger: event has no detail.bucket.name or detail.object.key: not an S3 object event")
	}
	v, _ := version.(string)
	s, _ := seq.(string)
	h := sha256.New()
	for _, part := range []string{b, k, v, s} {
		fmt.Fprintf(h, "%d:%s;", len(part), part)
	}
	return "s3-" + hex.EncodeToString(h.Sum(nil))[:40], nil
}

// isDuplicate recognises "execution already exists" from our sentinel, the
// AWS SDK (smithy APIError) or any error exposing the AWS error code.
func isDuplicate(err error) bool {
	if errors.Is(err, ErrDuplicate) {
		return true
	}
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) && coded.ErrorCode() == "ExecutionAlreadyExists" {
		return true
	}
	return false
}

// lookup walks object members by name.
func lookup(v any, names ...string) (any, bool) {
	for _, n := range names {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok = obj[n]
		if !ok {
			return nil, false
		}
	}
	return v, true
}
