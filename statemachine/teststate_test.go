package statemachine

import (
	"context"
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
