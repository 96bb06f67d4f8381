package sfnapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// TestState with a mocked error: which Retry or Catch handles it
// (inspectionData.errorDetails), with stateConfiguration.retrierRetryCount
// standing for the retries made so far. The Go SDK needs ClientOptions for
// TestState (its "sync-" host prefix; see the package doc), so e.client is
// used.

// retryTask retries Lambda.ServiceException (index 1) as the guide's
// example does (IntervalSeconds 2, MaxAttempts 3, BackoffRate 2.0; the
// back-off capped at 6 s) and catches everything else in its second Catch.
const retryTask = `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},
	"Retry":[{"ErrorEquals":["Other"]},{"ErrorEquals":["Lambda.ServiceException"],"IntervalSeconds":2,"MaxAttempts":3,"BackoffRate":2.0,"MaxDelaySeconds":6}],
	"Catch":[{"ErrorEquals":["Other"],"Next":"A"},{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"HandleError"}],
	"Next":"Done"}`

func TestSDKTestStateErrorDetails(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	n := func(i int) *int { return &i }
	for _, tc := range []struct {
		name       string
		def        string
		err        string
		retries    *int
		status     types.TestExecutionStatus
		next       string
		output     string
		errDetails string // errorDetails as JSON, "" for none
	}{
		{name: "first retry", def: retryTask, err: "Lambda.ServiceException",
			status: types.TestExecutionStatusRetriable, errDetails: `{"retryBackoffIntervalSeconds":2,"retryIndex":1}`},
		{name: "the guide's example: one retry made", def: retryTask, err: "Lambda.ServiceException", retries: n(1),
			status: types.TestExecutionStatusRetriable, errDetails: `{"retryBackoffIntervalSeconds":4,"retryIndex":1}`},
		{name: "back-off capped by MaxDelaySeconds", def: retryTask, err: "Lambda.ServiceException", retries: n(2),
			status: types.TestExecutionStatusRetriable, errDetails: `{"retryBackoffIntervalSeconds":6,"retryIndex":1}`},
		{name: "retries exhausted, then caught", def: retryTask, err: "Lambda.ServiceException", retries: n(3),
			status: types.TestExecutionStatusCaughtError, next: "HandleError",
			output:     `{"data":"value","error":{"Cause":"Service error","Error":"Lambda.ServiceException"}}`,
			errDetails: `{"catchIndex":1,"retryIndex":1}`},
		{name: "retries exhausted, no catch", def: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":1}],"End":true}`,
			err: "Lambda.ServiceException", retries: n(1), status: types.TestExecutionStatusFailed, errDetails: `{"retryIndex":0}`},
		{name: "caught without a retrier", def: retryTask, err: "Other.Thing", status: types.TestExecutionStatusCaughtError, next: "HandleError",
			output: `{"data":"value","error":{"Cause":"Service error","Error":"Other.Thing"}}`, errDetails: `{"catchIndex":1}`},
		{name: "neither", def: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}`, err: "Boom",
			status: types.TestExecutionStatusFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &sfn.TestStateInput{Definition: aws.String(tc.def), Input: aws.String(`{"data":"value"}`), InspectionLevel: types.InspectionLevelDebug,
				Mock: &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String(tc.err), Cause: aws.String("Service error")}}}
			if tc.retries != nil {
				in.StateConfiguration = &types.TestStateConfiguration{RetrierRetryCount: aws.Int32(int32(*tc.retries))}
			}
			out, err := e.client.TestState(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != tc.status || aws.ToString(out.NextState) != tc.next || aws.ToString(out.Error) != tc.err {
				t.Fatalf("status %s next %q error %q, want %s %q %q", out.Status, aws.ToString(out.NextState), aws.ToString(out.Error), tc.status, tc.next, tc.err)
			}
			if tc.output != "" && jsonOf(t, jsonText(t, aws.ToString(out.Output))) != tc.output {
				t.Errorf("output %s, want %s", aws.ToString(out.Output), tc.output)
			}
			got := ""
			if d := out.InspectionData.ErrorDetails; d != nil {
				m := map[string]int32{}
				for k, v := range map[string]*int32{"catchIndex": d.CatchIndex, "retryIndex": d.RetryIndex, "retryBackoffIntervalSeconds": d.RetryBackoffIntervalSeconds} {
					if v != nil {
						m[k] = *v
					}
				}
				got = jsonOf(t, m)
			}
			if got != tc.errDetails {
				t.Errorf("errorDetails %s, want %s", got, tc.errDetails)
			}
		})
	}
}

// mapState is a JSONPath Map with every item-processing field TestState
// inspects, a tolerance of one failed item, and a Catch for the threshold.
const mapState = `{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,"ToleratedFailureCount":1,
	"ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
	"ItemBatcher":{"MaxItemsPerBatch":2},
	"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Work","States":{"Work":{"Type":"Pass","End":true}}},
	"ResultPath":"$.out",
	"Catch":[{"ErrorEquals":["Other"],"Next":"A"},{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"ResultPath":"$.err","Next":"Threshold"}],
	"Next":"Done"}`

func TestSDKTestStateMapInspection(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	input := `{"items":["a","b","c"]}`
	test := func(cfg *types.TestStateConfiguration, mock *types.MockInput) (*sfn.TestStateOutput, error) {
		return e.client.TestState(ctx, &sfn.TestStateInput{Definition: aws.String(mapState), Input: aws.String(input),
			InspectionLevel: types.InspectionLevelDebug, Mock: mock, StateConfiguration: cfg})
	}
	result := &types.MockInput{Result: aws.String(`[1,2]`)}

	// The mock is the Map's result; the items are evaluated, not processed.
	out, err := test(&types.TestStateConfiguration{MapIterationFailureCount: aws.Int32(1)}, result)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != types.TestExecutionStatusSucceeded || aws.ToString(out.NextState) != "Done" ||
		jsonOf(t, jsonText(t, aws.ToString(out.Output))) != `{"items":["a","b","c"],"out":[1,2]}` {
		t.Fatalf("status %s next %q output %s", out.Status, aws.ToString(out.NextState), aws.ToString(out.Output))
	}
	d := out.InspectionData
	got := map[string]any{"input": aws.ToString(d.Input), "afterInputPath": aws.ToString(d.AfterInputPath),
		"afterItemsPath": aws.ToString(d.AfterItemsPath), "afterItemSelector": aws.ToString(d.AfterItemSelector),
		"afterItemBatcher": aws.ToString(d.AfterItemBatcher), "afterResultPath": aws.ToString(d.AfterResultPath),
		"maxConcurrency": d.MaxConcurrency, "toleratedFailureCount": d.ToleratedFailureCount,
		"toleratedFailurePercentage": d.ToleratedFailurePercentage, "result": d.Result, "afterParameters": d.AfterParameters}
	want := map[string]any{"input": input, "afterInputPath": input,
		"afterItemsPath": `["a","b","c"]`, "afterItemSelector": `[{"i":0,"v":"a"},{"i":1,"v":"b"},{"i":2,"v":"c"}]`,
		"afterItemBatcher": `[{"Items":[{"i":0,"v":"a"},{"i":1,"v":"b"}]},{"Items":[{"i":2,"v":"c"}]}]`,
		"afterResultPath":  `{"items":["a","b","c"],"out":[1,2]}`,
		"maxConcurrency":   2, "toleratedFailureCount": 1, "toleratedFailurePercentage": nil, "result": nil, "afterParameters": nil}
	if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
		t.Errorf("inspectionData\n got %s\nwant %s", g, w)
	}

	// Two failed iterations exceed the tolerance of one: the threshold
	// error, caught by the second Catch.
	out, err = test(&types.TestStateConfiguration{MapIterationFailureCount: aws.Int32(2)}, result)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != types.TestExecutionStatusCaughtError || aws.ToString(out.Error) != "States.ExceedToleratedFailureThreshold" ||
		aws.ToString(out.Cause) != "The specified tolerated failure threshold was exceeded" || aws.ToString(out.NextState) != "Threshold" {
		t.Fatalf("threshold: %s %s %s next %q", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause), aws.ToString(out.NextState))
	}
	if ed := out.InspectionData.ErrorDetails; ed == nil || aws.ToInt32(ed.CatchIndex) != 1 {
		t.Errorf("threshold errorDetails %+v, want catchIndex 1", ed)
	}

	// A mocked error of a Map comes from a state inside it.
	out, err = test(&types.TestStateConfiguration{ErrorCausedByState: aws.String("Work")},
		&types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("Other"), Cause: aws.String("inner")}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != types.TestExecutionStatusCaughtError || aws.ToString(out.NextState) != "A" || aws.ToInt32(out.InspectionData.ErrorDetails.CatchIndex) != 0 {
		t.Fatalf("mocked error: %s next %q %+v", out.Status, aws.ToString(out.NextState), out.InspectionData.ErrorDetails)
	}

	// Requests the state cannot be tested with.
	for _, tc := range []struct {
		name string
		cfg  *types.TestStateConfiguration
		mock *types.MockInput
	}{
		{"no mock", nil, nil},
		{"more failures than items", &types.TestStateConfiguration{MapIterationFailureCount: aws.Int32(4)}, result},
		{"error source not in the Map", &types.TestStateConfiguration{ErrorCausedByState: aws.String("Nowhere")}, result},
		{"mocked error without its source", nil, &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("Other")}}},
		{"reader data without ItemReader", &types.TestStateConfiguration{MapItemReaderData: aws.String(`[1]`)}, result},
	} {
		var ve *types.ValidationException
		if _, err := test(tc.cfg, tc.mock); !errors.As(err, &ve) {
			t.Errorf("%s: %v, want ValidationException", tc.name, err)
		}
	}
}

// TestSDKTestStateMapItemReaderData: stateConfiguration.mapItemReaderData
// is what a Distributed Map's ItemReader reads, instead of S3.
func TestSDKTestStateMapItemReaderData(t *testing.T) {
	e := newEnv(t)
	def := `{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"},
		"Parameters":{"Bucket.$":"$.Bucket","Key.$":"$.Key"}},
		"ItemSelector":{"n.$":"$$.Map.Item.Value.n"},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}`
	out, err := e.client.TestState(context.Background(), &sfn.TestStateInput{Definition: aws.String(def), Input: aws.String(`{"Bucket":"b","Key":"k.csv"}`),
		InspectionLevel: types.InspectionLevelDebug, Mock: &types.MockInput{Result: aws.String(`[1,4]`)},
		StateConfiguration: &types.TestStateConfiguration{MapItemReaderData: aws.String("n,m\n1,x\n2,y\n")}})
	if err != nil {
		t.Fatal(err)
	}
	d := out.InspectionData
	if out.Status != types.TestExecutionStatusSucceeded || aws.ToString(out.Output) != `[1,4]` ||
		aws.ToString(d.AfterItemSelector) != `[{"n":"1"},{"n":"2"}]` || d.AfterItemsPath != nil || aws.ToInt32(d.MaxConcurrency) != 0 {
		t.Fatalf("status %s output %s afterItemSelector %s afterItemsPath %v maxConcurrency %v", out.Status, aws.ToString(out.Output),
			aws.ToString(d.AfterItemSelector), d.AfterItemsPath, d.MaxConcurrency)
	}
}

// TestAWSCLITestStateConfiguration passes --state-configuration and a
// mock through the real AWS CLI with its default settings (through the
// endpoint form CLIEndpoint gives for the "sync-" prefix).
func TestAWSCLITestStateConfiguration(t *testing.T) {
	e := newEnv(t)
	c := newCLI(t, CLIEndpoint(e.url), nil)
	out := c.ok("test-state", "--definition", retryTask, "--input", `{"data":"value"}`, "--inspection-level", "DEBUG",
		"--state-configuration", `{"retrierRetryCount":1}`,
		"--mock", `{"errorOutput":{"error":"Lambda.ServiceException","cause":"Service error"}}`)
	if out["status"] != "RETRIABLE" || jsonOf(t, out["inspectionData"].(map[string]any)["errorDetails"]) != `{"retryBackoffIntervalSeconds":4,"retryIndex":1}` {
		t.Errorf("retriable: %v", out)
	}
	out = c.ok("test-state", "--definition", mapState, "--input", `{"items":[1,2,3]}`, "--inspection-level", "DEBUG",
		"--state-configuration", `{"mapIterationFailureCount":2}`, "--mock", `{"result":"[]"}`)
	d, _ := out["inspectionData"].(map[string]any)
	if out["status"] != "CAUGHT_ERROR" || out["nextState"] != "Threshold" || d["afterItemsPath"] != `[1,2,3]` ||
		d["maxConcurrency"] != 2.0 || d["toleratedFailureCount"] != 1.0 || jsonOf(t, d["errorDetails"]) != `{"catchIndex":1}` {
		t.Errorf("map: %v", out)
	}
	if msg := c.fail("test-state", "--definition", mapState, "--input", `{"items":[1]}`); !strings.Contains(msg, "ValidationException") {
		t.Errorf("a Map without a mock: %s", msg)
	}
}

// jsonText decodes JSON text for comparison with jsonOf.
func jsonText(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %s: %v", s, err)
	}
	return v
}
