package statemachine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/internal/interp"
	"github.com/stepwise-dev/stepwise/statemachine/states"
)

// Durable layout in the Store (all values JSON):
//
//	sm/<stateMachineArn>          StateMachine (and the last version number)
//	sm/<stateMachineArn>:<n>      a published version
//	al/<stateMachineArn>:<alias>  StateMachineAlias
//	ex/<executionArn>             execRecord: metadata, status and progress
//	xd/<executionArn>             the definition the execution runs (written once)
//	mr/<mapRunArn>                MapRun (at start and end of the run)
//	ev/<executionArn>/<%010d id>  one history event
//	ac/<activityArn>              an activity and its tags (activities.go)
//
// A Standard execution is checkpointed at every transition of its
// top-level thread: the new history events and the execution record go in
// one Commit. On New, every RUNNING Standard execution resumes at the
// top-level state it was in: a Wait keeps its deadline, a waitForTaskToken
// task keeps its token, any other task is invoked again (at-least-once), and
// a Parallel or Map state runs again from its start.

// execRecord is the persisted form of an execution.
type execRecord struct {
	Arn          string           `json:"arn"`
	Name         string           `json:"name"`
	Machine      StateMachine     `json:"machine"`
	Input        string           `json:"input"`
	Status       string           `json:"status"`
	Output       *string          `json:"output,omitempty"`
	Error        *string          `json:"error,omitempty"`
	Cause        *string          `json:"cause,omitempty"`
	Start        time.Time        `json:"start"`
	Stop         *time.Time       `json:"stop,omitempty"`
	Redrives     int              `json:"redrives"`
	RedriveDate  *time.Time       `json:"redriveDate,omitempty"`
	TraceHeader  string           `json:"traceHeader,omitempty"`
	MapRunArn    string           `json:"mapRunArn,omitempty"`
	AliasArn     string           `json:"aliasArn,omitempty"`
	Sync         bool             `json:"sync,omitempty"`
	Progress     *interp.Progress `json:"progress,omitempty"`
	RedriveState string           `json:"redriveState,omitempty"`
	RedriveInput any              `json:"redriveInput,omitempty"`
}

type storedEvent struct {
	ID      int64           `json:"id"`
	Prev    int64           `json:"prev"`
	Time    time.Time       `json:"ts"`
	Type    string          `json:"type"`
	Details json.RawMessage `json:"details,omitempty"`
}

func eventKey(arn string, id int64) string { return fmt.Sprintf("ev/%s/%010d", arn, id) }

// checkpoint writes the events recorded since the last checkpoint and the
// execution record (with p as its progress) in one Commit. Without a Store
// it does nothing.
func (x *execution) Checkpoint(p *interp.Progress) {
	if err := x.commit(p); err != nil {
		x.e.log.Error("statemachine: checkpoint", "arn", x.arn, "err", err)
	}
}

// commit is checkpoint that reports a failed write.
func (x *execution) commit(p *interp.Progress) error {
	st := x.e.opts.Store
	if st == nil || x.sm.info.Type == TypeExpress {
		return nil
	}
	var b Batch
	x.mu.Lock()
	if p != nil {
		x.prog = p
	}
	for _, ev := range x.events[x.persisted:] {
		var det json.RawMessage
		if ev.Details != nil {
			det, _ = json.Marshal(ev.Details)
		}
		v, _ := json.Marshal(storedEvent{ID: ev.ID, Prev: ev.PreviousEventID, Time: ev.Timestamp, Type: ev.Type, Details: det})
		b.Put(eventKey(x.arn, ev.ID), v)
	}
	n := len(x.events)
	if x.persisted == 0 {
		b.Put("xd/"+x.arn, []byte(x.sm.info.Definition))
	}
	info := x.sm.info
	info.Definition = ""
	rec := execRecord{Arn: x.arn, Name: x.name, Machine: info, Input: x.input, Status: x.st, Output: x.output, Error: x.errName,
		Cause: x.cause, Start: x.start, Stop: x.stopDate, Redrives: x.redrives, RedriveDate: x.redriveDate, TraceHeader: x.traceHeader,
		MapRunArn: x.mapRunArn, AliasArn: x.aliasArn, Sync: x.sync}
	if x.st == StatusRunning {
		rec.Progress = x.prog
	}
	if x.lastFailure != nil {
		rec.RedriveState, rec.RedriveInput = x.lastFailure.state, x.lastFailure.input
	}
	x.mu.Unlock()
	v, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("statemachine: encode execution %s: %w", x.arn, err)
	}
	b.Put("ex/"+x.arn, v)
	if err := st.Commit(context.Background(), &b); err != nil {
		return fmt.Errorf("statemachine: persist execution %s: %w", x.arn, err)
	}
	x.mu.Lock()
	if n > x.persisted {
		x.persisted = n
	}
	x.mu.Unlock()
	return nil
}

// persistMapRun writes a Map Run's description.
func (e *Engine) persistMapRun(mr *mapRun) {
	if e.opts.Store == nil {
		return
	}
	v, err := json.Marshal(mr.describe())
	if err != nil {
		return
	}
	var b Batch
	b.Put("mr/"+mr.info.MapRunArn, v)
	if err := e.opts.Store.Commit(context.Background(), &b); err != nil {
		e.log.Error("statemachine: persist map run", "arn", mr.info.MapRunArn, "err", err)
	}
}

// load reads persisted state machines and executions from the Store and
// resumes RUNNING Standard executions.
func (e *Engine) load() error {
	ctx := context.Background()
	st := e.opts.Store
	for _, l := range []struct {
		prefix string
		load   func(key string, value []byte) error
	}{
		{"sm/", e.loadMachine},
		{"al/", e.loadAlias},
		{"mr/", e.loadMapRun},
		{"ac/", e.loadActivity},
	} {
		if err := st.Scan(ctx, l.prefix, l.load); err != nil {
			return err
		}
	}
	var resume, aborted []*execution
	err := st.Scan(ctx, "ex/", func(key string, value []byte) error {
		x, err := e.loadExecution(ctx, key, value)
		if err != nil {
			return err
		}
		switch {
		case x.st != StatusRunning:
		case x.mapRunArn != "":
			// A Map Run child: its parent runs the Map state again.
			aborted = append(aborted, x)
		case x.sm.info.Type == TypeStandard:
			resume = append(resume, x)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Oldest first, so that list order matches creation order.
	sortExecs(e.execList)
	for _, x := range aborted {
		x.finish(StatusAborted, nil, &TaskError{Name: states.Runtime, Cause: "The parent execution restarted its Map Run after a crash."}, x.LastEventID())
	}
	for _, x := range resume {
		p := x.prog
		if p == nil {
			x.launch(x.sm.machine.StartAt(), x.inVal, 0, nil)
			continue
		}
		var in any
		_ = json.Unmarshal(p.Input, &in)
		x.launch(p.State, in, p.Prev, p)
	}
	return nil
}

// loadMachine loads one sm/ record: a state machine or a published version.
func (e *Engine) loadMachine(key string, value []byte) error {
	var sm storedMachine
	if err := json.Unmarshal(value, &sm); err != nil {
		return fmt.Errorf("statemachine: load %s: %w", key, err)
	}
	info := sm.StateMachine
	if info.Logging.Level == "" { // stored before logging was kept
		info.Logging.Level = "OFF"
	}
	m, err := parse([]byte(info.Definition), info.Type)
	if err != nil {
		return fmt.Errorf("statemachine: load %s: %w", key, err)
	}
	e.machines[info.Arn] = &smRecord{info: info, machine: m, nextVersion: sm.NextVersion, tags: sm.Tags}
	if versionNumber(info.Arn) == 0 {
		e.smOrder = append(e.smOrder, info.Arn)
	}
	return nil
}

// loadAlias loads one al/ record.
func (e *Engine) loadAlias(key string, value []byte) error {
	var a StateMachineAlias
	if err := json.Unmarshal(value, &a); err != nil {
		return fmt.Errorf("statemachine: load %s: %w", key, err)
	}
	e.aliases[a.AliasArn] = &a
	return nil
}

// loadMapRun loads one mr/ record.
func (e *Engine) loadMapRun(key string, value []byte) error {
	var info MapRun
	if err := json.Unmarshal(value, &info); err != nil {
		return fmt.Errorf("statemachine: load %s: %w", key, err)
	}
	e.mapRuns[info.MapRunArn] = &mapRun{info: info, execArn: info.ExecutionArn}
	return nil
}

// loadExecution loads one ex/ record with its definition (xd/) and history
// (ev/) and registers the execution.
func (e *Engine) loadExecution(ctx context.Context, key string, value []byte) (*execution, error) {
	st := e.opts.Store
	var rec execRecord
	if err := json.Unmarshal(value, &rec); err != nil {
		return nil, fmt.Errorf("statemachine: load %s: %w", key, err)
	}
	def, ok, err := st.Get(ctx, "xd/"+rec.Arn)
	if err != nil {
		return nil, fmt.Errorf("statemachine: load %s: %w", key, err)
	}
	if !ok {
		// xd/ is written in the same Commit as the first ex/ record, so
		// its absence means the store was damaged or edited by hand.
		return nil, fmt.Errorf("statemachine: load %s: its definition record xd/%s is missing: the store is damaged; restore it from a backup or delete %s and ev/%s/", key, rec.Arn, key, rec.Arn)
	}
	rec.Machine.Definition = string(def)
	smr, ok := e.machines[rec.Machine.Arn]
	if !ok || smr.info.Definition != rec.Machine.Definition {
		// Map Run children run a processor, not a registered machine;
		// their records stay describable without a parsed machine.
		m, err := parse([]byte(rec.Machine.Definition), rec.Machine.Type)
		if err != nil && rec.Status == StatusRunning && rec.MapRunArn == "" {
			return nil, fmt.Errorf("statemachine: load %s: %w", key, err)
		}
		smr = &smRecord{info: rec.Machine, machine: m}
	}
	var inVal any
	_ = json.Unmarshal([]byte(rec.Input), &inVal)
	x := newExecution(e, smr, rec.Arn, rec.Name, rec.Input, inVal)
	x.st, x.output, x.errName, x.cause = rec.Status, rec.Output, rec.Error, rec.Cause
	x.start, x.stopDate, x.redrives, x.redriveDate = rec.Start, rec.Stop, rec.Redrives, rec.RedriveDate
	x.traceHeader, x.mapRunArn, x.sync, x.prog = rec.TraceHeader, rec.MapRunArn, rec.Sync, rec.Progress
	x.aliasArn = rec.AliasArn
	if rec.RedriveState != "" {
		x.lastFailure = &redrivePoint{state: rec.RedriveState, input: rec.RedriveInput}
	}
	if x.st != StatusRunning {
		close(x.done)
	}
	if err := st.Scan(ctx, "ev/"+rec.Arn+"/", func(k string, v []byte) error {
		var se storedEvent
		if err := json.Unmarshal(v, &se); err != nil {
			return fmt.Errorf("statemachine: load %s: %w", k, err)
		}
		ev := HistoryEvent{ID: se.ID, PreviousEventID: se.Prev, Timestamp: se.Time, Type: se.Type}
		if len(se.Details) > 0 {
			ev.Details = se.Details
		}
		x.events = append(x.events, ev)
		return nil
	}); err != nil {
		return nil, err
	}
	x.persisted = len(x.events)
	e.execs[x.arn] = x
	e.execList = append(e.execList, x)
	return x, nil
}

func sortExecs(xs []*execution) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && (xs[j].start.Before(xs[j-1].start) || xs[j].start.Equal(xs[j-1].start) && strings.Compare(xs[j].arn, xs[j-1].arn) < 0); j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// Store persists engine state so that Standard executions survive a crash
// of the process. The engine owns the key layout and value encoding; a
// Store is an ordered byte-oriented key/value store. Implementations must
// be safe for concurrent use and should group concurrent Commits into one
// durable write (group commit): the engine calls Commit at every state
// transition of every running execution.
type Store interface {
	// Commit applies b atomically. When it returns nil the writes are
	// durable (they survive kill -9 of the process).
	Commit(ctx context.Context, b *Batch) error
	// Get returns the value stored at key, or ok == false.
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)
	// Scan calls fn for every key with the given prefix, in ascending key
	// order, until fn returns an error (which Scan returns).
	Scan(ctx context.Context, prefix string, fn func(key string, value []byte) error) error
	// Close releases the store.
	Close() error
}

// Batch is a set of writes that a Store applies atomically.
type Batch struct {
	Puts    []KV
	Deletes []string
}

// KV is one key/value write.
type KV struct {
	Key   string
	Value []byte
}

// Put adds a write to the batch.
func (b *Batch) Put(key string, value []byte) { b.Puts = append(b.Puts, KV{Key: key, Value: value}) }

// Delete adds a deletion to the batch.
func (b *Batch) Delete(key string) { b.Deletes = append(b.Deletes, key) }

// Len reports how many writes the batch holds.
func (b *Batch) Len() int { return len(b.Puts) + len(b.Deletes) }
