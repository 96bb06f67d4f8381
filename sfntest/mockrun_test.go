package sfntest_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/sfntest"
	"github.com/stepwise-dev/stepwise/statemachine"
)

const sqsOut = `{"MD5OfMessageBody":"3bcb6e8e-7h85-4375-b0bc-1a59812c6e51","MessageId":"3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}`

func mockConfig(t *testing.T) *sfntest.MockConfig {
	t.Helper()
	c, err := sfntest.LoadMockConfig("testdata/MockConfigFile.json")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testCase(t *testing.T, file, testCase string, opts ...sfntest.Option) *sfntest.Result {
	t.Helper()
	w, err := sfntest.Load(file, opts...)
	if err != nil {
		t.Fatal(err)
	}
	machine := ""
	if strings.Contains(file, "LambdaSQS") {
		machine = "LambdaSQSIntegration"
	}
	tc, err := w.TestCase(mockConfig(t), machine, testCase)
	if err != nil {
		t.Fatal(err)
	}
	return tc.Test(t, `{"items":["a","b","c"]}`)
}

// TestMockConfigDocsExample runs the AWS documentation's example test
// cases: HappyPath and RetryPath succeed with the SQS mock's response,
// RetryPath after three retries (2+4+8 s of virtual back-off); HybridPath
// sends the mocked Lambda result to an SQS implemented in Go.
func TestMockConfigDocsExample(t *testing.T) {
	const file = "testdata/LambdaSQSIntegration.asl.json"
	r := testCase(t, file, "HappyPath")
	r.ExpectOutput(t, sqsOut).ExpectPath(t, "LambdaState", "SQSState")

	r = testCase(t, file, "RetryPath")
	r.ExpectOutput(t, sqsOut)
	if v := r.Visits("LambdaState")[0]; v.Attempts != 4 || r.Elapsed != 14*time.Second {
		t.Fatalf("attempts %d elapsed %v, want 4 and 14s", v.Attempts, r.Elapsed)
	}

	var body string
	r = testCase(t, file, "HybridPath", sfntest.Service("sqs:sendMessage", func(_ context.Context, req statemachine.ServiceRequest) (any, error) {
		b, _ := json.Marshal(req.Input.(map[string]any)["MessageBody"])
		body = string(b)
		return map[string]any{"MessageId": "local-1"}, nil
	}))
	r.ExpectOutput(t, `{"MessageId":"local-1"}`)
	if !strings.Contains(body, `"Payload":{"StatusCode":200,"body":"Hello from Lambda!"}`) {
		t.Fatalf("SQS got %s", body)
	}
}

func validate(_ context.Context, in struct{ Items []string }) (map[string]bool, error) {
	if len(in.Items) == 0 {
		return nil, &InvalidOrder{Reason: "no items"}
	}
	return map[string]bool{"valid": true}, nil
}

func reserve(_ context.Context, in struct{ SKU string }) (map[string]any, error) {
	return map[string]any{"sku": in.SKU, "slot": len(in.SKU)}, nil
}

// TestMockConfigOrders runs the orders test cases: Map iterations taking
// ranges "0" and "1-2", a mocked waitForTaskToken, a Throw caught by Catch,
// and the hybrid path with real Go handlers.
func TestMockConfigOrders(t *testing.T) {
	const file = "testdata/orders.asl.json"
	testCase(t, file, "HappyPath").
		ExpectOutput(t, `{"reserved":[{"sku":"a","slot":1},{"sku":"b-or-c","slot":2},{"sku":"b-or-c","slot":2}],"approvedBy":"ann"}`).
		ExpectPath(t, "Validate", "Reserve", "Approve", "Done")

	r := testCase(t, file, "CaughtPath").ExpectFailed(t, "OrderRejected").ExpectPath(t, "Validate", "Rejected")
	if r.Cause != "the order has no items" {
		t.Fatalf("cause %q", r.Cause)
	}

	testCase(t, file, "HybridPath", sfntest.Handler("validate", validate), sfntest.Handler("reserve", reserve)).
		ExpectOutput(t, `{"reserved":[{"sku":"a","slot":1},{"sku":"b","slot":1},{"sku":"c","slot":1}],"approvedBy":"ann"}`)
}

// TestMockConfigErrors: an unknown test case, a mock of a state the machine
// lacks, and an invocation past the last range name the file and pointer.
func TestMockConfigErrors(t *testing.T) {
	w, err := sfntest.Load("testdata/orders.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	c := mockConfig(t)
	if _, err := w.TestCase(c, "", "SadPath"); err == nil || err.Error() != "testdata/MockConfigFile.json: /StateMachines/orders/TestCases/SadPath: unknown test case" {
		t.Errorf("unknown test case: %v", err)
	}
	other, _ := sfntest.Load("testdata/order.asl.json")
	if _, err := other.TestCase(c, "orders", "HappyPath"); err == nil || !strings.Contains(err.Error(), `testdata/MockConfigFile.json: /StateMachines/orders/TestCases/HappyPath/ReserveItem: state machine testdata/order.asl.json has no state "ReserveItem"`) {
		t.Errorf("missing state: %v", err)
	}
	bad, err := sfntest.ParseMockConfig("short.json", []byte(`{"StateMachines":{"orders":{"TestCases":{"T":{"ReserveItem":"One","Validate":"V","Approve":"A"}}}},
		"MockedResponses":{"One":{"0":{"Return":{"Payload":1}}},"V":{"0":{"Return":{"Payload":{"valid":true}}}},"A":{"0":{"Return":{}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := w.TestCase(bad, "", "T")
	if err != nil {
		t.Fatal(err)
	}
	r, err := tc.Run(sfntest.Context(t), `{"items":["a","b"]}`)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != "FAILED" || len(r.Problems) != 1 || !strings.Contains(r.Problems[0], `state "ReserveItem" was invoked 2 times, but mocked response "One" of short.json (/MockedResponses/One) has no entry for invocation 1`) {
		t.Fatalf("status %s problems %q", r.Status, r.Problems)
	}
}
