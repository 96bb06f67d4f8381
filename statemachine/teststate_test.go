package statemachine

import (
	"context"
	"errors"
	"testing"
)

func TestTestState(t *testing.T) {
	h := newHarness(t, "", Options{})
	cases := []struct {
		name string
		in   TestStateInput
		want TestStateOutput
	}{
		{"pass", TestStateInput{Definition: `{"Type":"Pass","Parameters":{"x.$":"$.a"},"ResultPath":"$.r","Next":"N"}`, Input: `{"a":1}`},
			TestStateOutput{Status: "SUCCEEDED", Output: `{"a":1,"r":{"x":1}}`, NextState: "N"}},
		{"choice", TestStateInput{Definition: `{"Type":"Choice","Choices":[{"Variable":"$.a","NumericGreaterThan":0,"Next":"Pos"}],"Default":"Neg"}`, Input: `{"a":-1}`},
			TestStateOutput{Status: "SUCCEEDED", Output: `{"a":-1}`, NextState: "Neg"}},
		{"mock result", TestStateInput{Definition: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","ResultSelector":{"v.$":"$.Payload"},"End":true}`,
			Mock: &TestStateMock{Result: `{"Payload":7}`}},
			TestStateOutput{Status: "SUCCEEDED", Output: `{"v":7}`}},
		{"mock error caught", TestStateInput{Definition: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true,
			"Catch":[{"ErrorEquals":["Boom"],"ResultPath":"$.err","Next":"Handler"}]}`, Input: `{"k":1}`,
			Mock: &TestStateMock{ErrorOutput: &TestStateMockError{Error: "Boom", Cause: "c"}}},
			TestStateOutput{Status: "CAUGHT_ERROR", Error: "Boom", Cause: "c", NextState: "Handler", Output: `{"err":{"Cause":"c","Error":"Boom"},"k":1}`}},
		{"mock error retriable", TestStateInput{Definition: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true,
			"Retry":[{"ErrorEquals":["States.ALL"]}]}`, Mock: &TestStateMock{ErrorOutput: &TestStateMockError{Error: "Boom"}}},
			TestStateOutput{Status: "RETRIABLE", Error: "Boom"}},
		{"fail", TestStateInput{Definition: `{"Type":"Fail","Error":"E","Cause":"C"}`},
			TestStateOutput{Status: "FAILED", Error: "E", Cause: "C"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := h.e.TestState(context.Background(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if *got != tc.want {
				t.Fatalf("\n got %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}

// TestTestStateParallelMock: a mocked Parallel does not run its branches;
// the mock, one element per branch, is its result; without a mock it is
// not tested (the API reference: Parallel only with a mock).
func TestTestStateParallelMock(t *testing.T) {
	h := newHarness(t, "", Options{})
	ctx := context.Background()
	def := `{"Type":"Parallel","ResultPath":"$.r","Next":"N","Branches":[
	  {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","End":true}}},
	  {"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}]}`
	got, err := h.e.TestState(ctx, TestStateInput{Definition: def, Input: `{"k":1}`, Mock: &TestStateMock{Result: `[{"a":1},"b"]`}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "SUCCEEDED" || got.Output != `{"k":1,"r":[{"a":1},"b"]}` || got.NextState != "N" {
		t.Fatalf("got %+v", *got)
	}
	for name, in := range map[string]TestStateInput{
		"no mock":             {Definition: def},
		"one element short":   {Definition: def, Mock: &TestStateMock{Result: `[1]`}},
		"not in the branches": {Definition: def, Mock: &TestStateMock{ErrorOutput: &TestStateMockError{Error: "E"}}, StateConfiguration: TestStateConfiguration{ErrorCausedByState: "C"}},
	} {
		var ae *APIError
		if _, err := h.e.TestState(ctx, in); !errors.As(err, &ae) || ae.Code != "ValidationException" {
			t.Errorf("%s: %v, want ValidationException", name, err)
		}
	}
	got, err = h.e.TestState(ctx, TestStateInput{Definition: def, Mock: &TestStateMock{ErrorOutput: &TestStateMockError{Error: "E", Cause: "c"}},
		StateConfiguration: TestStateConfiguration{ErrorCausedByState: "A"}})
	if err != nil || got.Status != "FAILED" || got.Error != "E" {
		t.Fatalf("mocked error from branch state A: %+v, %v", got, err)
	}
}
