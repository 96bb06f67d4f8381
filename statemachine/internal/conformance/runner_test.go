package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeDriver is a Driver made of functions, for testing the runner without
// the engine.
type fakeDriver struct {
	CreateFunc   func(name, definition, smType string) (string, error)
	ValidateFunc func(definition, smType string) ([]Diagnostic, error)
	StartFunc    func(smArn, name string, input *string, sync bool) (string, error)
	WaitFunc     func(execArn string) (*Execution, error)
	HistoryFunc  func(execArn string) ([]json.RawMessage, error)
	StopFunc     func(execArn, errorName, cause string) error
	AliasFunc    func(smArn, name string) (string, error)
}

func (f *fakeDriver) CreateStateMachine(_ context.Context, name, def, typ string) (string, error) {
	return f.CreateFunc(name, def, typ)
}
func (f *fakeDriver) ValidateDefinition(_ context.Context, def, typ string) ([]Diagnostic, error) {
	return f.ValidateFunc(def, typ)
}
func (f *fakeDriver) Start(_ context.Context, sm, name string, in *string, sync bool) (string, error) {
	return f.StartFunc(sm, name, in, sync)
}
func (f *fakeDriver) Wait(_ context.Context, arn string) (*Execution, error) { return f.WaitFunc(arn) }
func (f *fakeDriver) History(_ context.Context, arn string) ([]json.RawMessage, error) {
	return f.HistoryFunc(arn)
}
func (f *fakeDriver) Stop(_ context.Context, arn, errorName, cause string) error {
	return f.StopFunc(arn, errorName, cause)
}
func (f *fakeDriver) CreateAlias(_ context.Context, smArn, name string) (string, error) {
	return f.AliasFunc(smArn, name)
}
func (f *fakeDriver) Close() error { return nil }

// passDriver plays an engine that runs testdata's pass_result case, with
// output x as the Pass state's result.
func passDriver(t *testing.T, x int) func(Env) (Driver, error) {
	return func(env Env) (Driver, error) {
		var def string
		smArn := "arn:aws:states:us-east-1:111111111111:stateMachine:"
		return &fakeDriver{
			CreateFunc: func(name, d, typ string) (string, error) {
				def = d
				return smArn + name, nil
			},
			StartFunc: func(sm, name string, in *string, sync bool) (string, error) {
				if !strings.Contains(def, `"arn:aws:states:us-east-1:111111111111:stateMachine:swconfSM"`) {
					t.Errorf("definition not substituted: %s", def)
				}
				return "arn:aws:states:us-east-1:111111111111:execution:swconfSM:" + name, nil
			},
			WaitFunc: func(arn string) (*Execution, error) {
				out := fmt.Sprintf(`{"x":%d,"arn":"%sswconfSM"}`, x, smArn)
				return &Execution{ExecutionArn: arn, Status: "SUCCEEDED", Output: &out}, nil
			},
			HistoryFunc: func(arn string) ([]json.RawMessage, error) {
				out, _ := json.Marshal(fmt.Sprintf(`{"x":%d,"arn":"%sswconfSM"}`, x, smArn))
				in := `"{\"at\": \"2024-06-03T10:20:30Z\"}"`
				return []json.RawMessage{
					json.RawMessage(`{"timestamp":1717410030.5,"type":"ExecutionStarted","id":1,"previousEventId":0,"executionStartedEventDetails":{"input":` + in + `,"inputDetails":{"truncated":false},"roleArn":"` + RoleArn + `"}}`),
					json.RawMessage(`{"timestamp":1717410030.5,"type":"PassStateEntered","id":2,"previousEventId":0,"stateEnteredEventDetails":{"name":"P","input":` + in + `,"inputDetails":{"truncated":false}}}`),
					json.RawMessage(`{"timestamp":1717410030.5,"type":"PassStateExited","id":3,"previousEventId":2,"stateExitedEventDetails":{"name":"P","output":` + string(out) + `,"outputDetails":{"truncated":false}}}`),
					json.RawMessage(`{"timestamp":1717410030.5,"type":"ExecutionSucceeded","id":4,"previousEventId":3,"executionSucceededEventDetails":{"output":` + string(out) + `,"outputDetails":{"truncated":false}}}`),
				}, nil
			},
		}, nil
	}
}

func TestRun(t *testing.T) {
	cases, err := Load("testdata")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 1 {
		t.Fatalf("loaded %d cases, want 1", len(cases))
	}
	c := cases[0]
	if res := Run(context.Background(), c, passDriver(t, 1)); !res.Passed {
		t.Errorf("matching engine failed: %s", res.Reason)
	}
	res := Run(context.Background(), c, passDriver(t, 2))
	want := "history event 3 PassStateExited: .stateExitedEventDetails.output.x: want 1 got 2"
	if res.Passed || res.Reason != want {
		t.Errorf("mismatching engine: passed=%v reason %q, want %q", res.Passed, res.Reason, want)
	}
	res = Run(context.Background(), c, func(Env) (Driver, error) { return nil, errors.New("boom") })
	if res.Passed || res.Reason != "engine: New: boom" {
		t.Errorf("failing engine: %q", res.Reason)
	}
	res = Run(context.Background(), c, func(Env) (Driver, error) { panic("kaput") })
	if res.Passed || !strings.HasPrefix(res.Reason, "panic: kaput") {
		t.Errorf("panicking engine: %q", res.Reason)
	}

	r := NewReport()
	r.Add(Result{ID: "base/a", Category: "base", Passed: true})
	r.Add(res)
	var b strings.Builder
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Total, Passed int
		Categories    map[string]CategoryCount
		Failures      []Failure
	}
	if err := json.Unmarshal([]byte(b.String()), &back); err != nil || back.Total != 2 || back.Passed != 1 ||
		back.Categories["base"].Total != 2 || len(back.Failures) != 1 || back.Failures[0].Name != "base/pass_result" {
		t.Errorf("report JSON %s (%v)", b.String(), err)
	}
}

// TestLoadCorpus checks that every case of the shared corpus loads and uses
// only emulated handlers.
func TestLoadCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "..", "shared", "conformance")
	if _, err := os.Stat(filepath.Join(dir, "cases")); err != nil {
		t.Skipf("CONFORMANCE CORPUS ABSENT: %s/cases not found (%v); the loader is only checked on testdata", dir, err)
	}
	cases, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases loaded")
	}
	for _, c := range cases {
		for name, l := range c.Lambdas {
			if !KnownHandler(l.Handler()) {
				t.Errorf("%s: Lambda %s uses handler %q that is not emulated", c.ID(), name, l.Handler())
			}
		}
		if _, err := c.DefinitionText(); err != nil {
			t.Error(err)
		}
		// Normalising recorded values again must not change them, or the
		// runner would see differences that are not there. (A second pass
		// decodes JSON text one level deeper and turns an already masked
		// "date" under a timestamp key into "timestamp"; those are not
		// differences.)
		if len(c.Expected.History) > 0 {
			want, err := decode(c.Expected.History)
			if err != nil {
				t.Fatalf("%s: %v", c.ID(), err)
			}
			again, err := Normalise(want, NewNames(c).Reverse())
			if err != nil {
				t.Fatalf("%s: %v", c.ID(), err)
			}
			if d := Compare(want, again, &Options{DecodeStrings: true, Loose: []Loose{{Key: "TimestampValue", Value: mustRe("^date$")}}}); d != nil {
				t.Errorf("%s: normalising the recorded history changes it: %s", c.ID(), d)
			}
		}
	}
}
