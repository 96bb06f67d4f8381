// TestState's stateConfiguration and what it adds to the inspection data:
// the retry count a mocked error has reached, the state inside a Map or
// Parallel that raised it, the failed iterations of a Map, the data a
// Distributed Map's ItemReader would read; and the errorDetails and Map
// members of InspectionData. inspect.go builds the rest.

package interp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"

	"github.com/stepwise-dev/stepwise/statemachine/states"
)

// StateConfig is TestState's stateConfiguration: the situation the tested
// state runs in, as if earlier attempts or iterations had happened.
type StateConfig struct {
	// RetrierRetryCount is how many retries the Retry that matches the
	// mocked error has made already.
	RetrierRetryCount *int
	// ErrorCausedByState names the state inside a Map or Parallel that
	// raised the mocked error.
	ErrorCausedByState string
	// MapIterationFailureCount is how many of a Map's iterations failed.
	MapIterationFailureCount *int
	// MapItemReaderData is what a Distributed Map's ItemReader reads, as
	// found in its source (the text of the object).
	MapItemReaderData *string
}

// InspectionErrorDetails says which Retry or Catch of the tested state
// handled its error.
type InspectionErrorDetails struct {
	CatchIndex                  *int
	RetryIndex                  *int
	RetryBackoffIntervalSeconds *int
}

// TestInputError is a TestState request the state cannot be tested with
// (the API answers ValidationException).
type TestInputError struct{ Message string }

func (e *TestInputError) Error() string { return e.Message }

// testRun is what a TestState run keeps besides the state's data flow.
type testRun struct {
	state *state // the state under test
	cfg   StateConfig
	err   *TestInputError // the request does not fit the state

	errors InspectionErrorDetails
	mp     *mapInspection // set when the tested Map evaluated its items
}

// mapInspection is a tested Map's item processing, as inspection data.
type mapInspection struct {
	itemsPath, itemSelector, itemBatcher string
	maxConc                              int64
	tolerance                            failureTolerance
}

// tested reports whether st is the state under test of a TestState run.
func (r *runner) tested(st *step) *testRun {
	if r.test != nil && r.test.state == st.s {
		return r.test
	}
	return nil
}

// retryCount is the number of retries the matching retrier has made.
func (t *testRun) retryCount() int {
	if t == nil || t.cfg.RetrierRetryCount == nil {
		return 0
	}
	return *t.cfg.RetrierRetryCount
}

// testRetry decides a mocked error's fate under retrier idx, which
// matches it: RETRIABLE while the configured retry count is below
// MaxAttempts, with the back-off the next retry would wait (interval ×
// rate^count, capped by MaxDelaySeconds; jitter is left out so that the
// answer is reproducible), else the retrier is exhausted.
func (r *runner) testRetry(rt *retrier, idx int) (retriable bool) {
	t := r.test
	n := t.retryCount()
	t.errors.RetryIndex = &idx
	if n >= rt.maxAttempts {
		return false
	}
	delay := rt.interval * math.Pow(rt.backoff, float64(n))
	if rt.hasMaxDelay && delay > rt.maxDelay {
		delay = rt.maxDelay
	}
	secs := int(delay)
	t.errors.RetryBackoffIntervalSeconds = &secs
	return true
}

// testMap answers a tested Map state from the mock once its items are
// evaluated: the iterations do not run. A mocked error is the Map's
// error; with a tolerance declared, MapIterationFailureCount failed
// iterations beyond it fail the Map with States.ExceedToleratedFailureThreshold.
func (r *runner) testMap(st *step, job mapJob) (any, *failure) {
	t := r.test
	t.mp.maxConc = job.maxConc
	t.mp.tolerance = job.tolerance
	if n := t.cfg.MapIterationFailureCount; n != nil && *n > len(job.inputs) {
		t.err = &TestInputError{fmt.Sprintf("stateConfiguration.mapIterationFailureCount (%d) exceeds the number of items (%d) of Map state '%s'", *n, len(job.inputs), st.s.name)}
		return nil, &failure{name: "ValidationException", runtime: true}
	}
	if r.mock.ErrorOutput == nil {
		if n := t.cfg.MapIterationFailureCount; n != nil && job.tolerance.declared() && !job.tolerance.allows(*n, len(job.inputs)) {
			return nil, &failure{name: states.ExceedToleratedFailureThreshold, cause: thresholdCause}
		}
	}
	return mockResult(r.mock)
}

// thresholdCause is the cause of States.ExceedToleratedFailureThreshold.
const thresholdCause = "The specified tolerated failure threshold was exceeded"

// testParallel answers a tested Parallel state from the mock: the
// branches do not run; a result has one element per branch.
func (r *runner) testParallel(st *step) (any, *failure) {
	v, f := mockResult(r.mock)
	if f != nil {
		return nil, f
	}
	if arr, ok := v.([]any); !ok || len(arr) != len(st.s.parallel.branches) {
		r.test.err = &TestInputError{fmt.Sprintf("the mocked result of Parallel state '%s' must be a JSON array with one element per branch (%d), in branch order", st.s.name, len(st.s.parallel.branches))}
		return nil, &failure{name: "ValidationException", runtime: true}
	}
	return v, nil
}

// checkTestConfig refuses a stateConfiguration that does not fit the
// state: errorCausedByState must name a state inside the tested Map or
// Parallel, which a mocked error of theirs needs ("you must specify
// which sub-state caused the error"); the Map members need a Map.
func checkTestConfig(s *state, cfg StateConfig, mock *Mock) *TestInputError {
	container := s.typ == "Map" || s.typ == "Parallel"
	switch {
	case cfg.ErrorCausedByState != "" && !container:
		return &TestInputError{fmt.Sprintf("stateConfiguration.errorCausedByState applies to a Map or Parallel state; state '%s' is a %s", s.name, s.typ)}
	case cfg.ErrorCausedByState != "" && !containsState(s, cfg.ErrorCausedByState):
		return &TestInputError{fmt.Sprintf("stateConfiguration.errorCausedByState: there is no state '%s' inside %s state '%s'", cfg.ErrorCausedByState, s.typ, s.name)}
	case container && mock != nil && mock.ErrorOutput != nil && cfg.ErrorCausedByState == "":
		return &TestInputError{fmt.Sprintf("a mocked error of %s state '%s' needs stateConfiguration.errorCausedByState: the name of the state inside it that raised the error", s.typ, s.name)}
	case (cfg.MapIterationFailureCount != nil || cfg.MapItemReaderData != nil) && s.typ != "Map":
		return &TestInputError{fmt.Sprintf("stateConfiguration.mapIterationFailureCount and mapItemReaderData apply to a Map state; state '%s' is a %s", s.name, s.typ)}
	case cfg.MapItemReaderData != nil && s.mapState.itemReader == nil:
		return &TestInputError{fmt.Sprintf("stateConfiguration.mapItemReaderData: Map state '%s' has no ItemReader", s.name)}
	}
	return nil
}

// containsState reports whether a state named name is inside s (its
// branches or item processor, at any depth).
func containsState(s *state, name string) bool {
	var subs []*Machine
	switch s.typ {
	case "Parallel":
		subs = s.parallel.branches
	case "Map":
		subs = []*Machine{s.mapState.processor}
	}
	for _, m := range subs {
		if m == nil {
			continue
		}
		if _, ok := m.states[name]; ok {
			return true
		}
		for _, inner := range m.states {
			if containsState(inner, name) {
				return true
			}
		}
	}
	return false
}

// readerData is an ObjectStore holding one object, whatever its name: the
// mapItemReaderData a tested Distributed Map reads instead of S3.
type readerData struct {
	ObjectStore // nil: only Get is used
	data        []byte
}

func (d readerData) Get(ctx context.Context, bucket, key string, start, end int64) (io.ReadCloser, ObjectInfo, error) {
	return io.NopCloser(bytes.NewReader(d.data)), ObjectInfo{Bucket: bucket, Key: key, Size: int64(len(d.data))}, nil
}

func (d readerData) List(ctx context.Context, bucket, prefix string) ([]ObjectInfo, error) {
	return nil, fmt.Errorf("stateConfiguration.mapItemReaderData stands for one object; an ItemReader listing s3://%s/%s is not supported with it", bucket, prefix)
}

// testedMap returns the TestState run when st is the tested Map state and
// a mock answers it, after starting its inspection; else nil.
func (r *runner) testedMap(st *step) *testRun {
	t := r.tested(st)
	if t == nil || r.mock == nil {
		return nil
	}
	t.mp = &mapInspection{}
	return t
}

// noteItems records the items after ItemSelector (batched false) or
// ItemBatcher, when the Map declares the field. t may be nil.
func (t *testRun) noteItems(s *state, items []any, batched bool) {
	switch {
	case t == nil:
	case batched:
		t.mp.itemBatcher = Marshal(items)
	case s.mapState.itemSelector != nil || s.j != nil && s.j.itemSelector != nil:
		t.mp.itemSelector = Marshal(items)
	}
}

// fill adds to d what the run learned beyond the data flow: the Retry and
// Catch that handled the error, and a Map's items and limits. A Map's
// result is the mock's and is not shown (AWS, recorded, shows neither a
// result nor afterParameters for a Map).
func (t *testRun) fill(d *InspectionData) {
	if e := t.errors; e.CatchIndex != nil || e.RetryIndex != nil {
		d.ErrorDetails = &e
	}
	if t.state.typ != "Map" {
		return
	}
	d.AfterParameters, d.Result = "", ""
	if t.mp == nil {
		return
	}
	d.AfterItemsPath, d.AfterItemSelector, d.AfterItemBatcher = t.mp.itemsPath, t.mp.itemSelector, t.mp.itemBatcher
	mc := t.mp.maxConc
	d.MaxConcurrency = &mc
	d.ToleratedFailureCount, d.ToleratedFailurePercentage = t.mp.tolerance.count, t.mp.tolerance.pct
}
