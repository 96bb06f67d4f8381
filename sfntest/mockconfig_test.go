package sfntest

import (
	"strings"
	"testing"
)

const cfg = `{"StateMachines":{"SM":{"TestCases":{"RetryPath":{"Go":"Flaky"}}}},
 "MockedResponses":{"Flaky":{"0":{"Throw":{"Error":"Lambda.ServiceException","Cause":"x"}},
  "1-2":{"Throw":{"Error":"Lambda.TooManyRequestsException","Cause":"y"}},
  "3":{"Return":{"StatusCode":200,"Payload":{"ok":true}}}}}}`

func TestMockConfigRanges(t *testing.T) {
	c, err := ParseMockConfig("m.json", []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := c.TestCase("SM", "RetryPath")
	if err != nil || tc["Go"] != "Flaky" {
		t.Fatalf("%v %v", tc, err)
	}
	want := []string{"Lambda.ServiceException", "Lambda.TooManyRequestsException", "Lambda.TooManyRequestsException", ""}
	for i, w := range want {
		r, ok := c.Response("Flaky", i)
		if !ok || (r.Throw == nil) != (w == "") || (r.Throw != nil && r.Throw.Error != w) {
			t.Fatalf("invocation %d: %+v %v", i, r, ok)
		}
	}
	if _, ok := c.Response("Flaky", 4); ok {
		t.Fatal("invocation 4 should have no response")
	}
	if _, err := c.TestCase("SM", "Nope"); err == nil || !strings.Contains(err.Error(), "m.json: /StateMachines/SM/TestCases/Nope") {
		t.Fatal(err)
	}
}

func TestMockConfigErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"MockedResponses":{"R":{"2-1":{"Return":{}}}}}`:             "/MockedResponses/R/2-1: bad invocation range",
		`{"MockedResponses":{"R":{"x":{"Return":{}}}}}`:               "/MockedResponses/R/x: bad invocation range",
		`{"StateMachines":{"S":{"TestCases":{"T":{"A":"Missing"}}}}}`: "/StateMachines/S/TestCases/T/A: unknown mocked response",
		`{"MockedResponses":{"R":{"0":{}}}}`:                          "needs exactly one",
	} {
		if _, err := ParseMockConfig("f.json", []byte(in)); err == nil || !strings.Contains(err.Error(), "f.json: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", in, err, want)
		}
	}
}
