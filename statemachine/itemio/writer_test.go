package itemio_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/itemio"
)

const mapRun = "arn:aws:states:us-east-1:123456789012:mapRun:export/Parts:ad9b5f27-090b-3ac6-9beb-243cd77144a7"

var t0 = time.Date(2025, 2, 21, 18, 43, 46, 282e6, time.UTC)

func results() []itemio.Result {
	child := "arn:aws:states:us-east-1:123456789012:execution:export/Parts:"
	sm := "arn:aws:states:us-east-1:123456789012:stateMachine:export/Parts"
	return []itemio.Result{
		{ExecutionArn: child + "1", Name: "1", StateMachineArn: sm, Status: "SUCCEEDED", Input: `{"n":1}`, Output: `[1,2]`, StartDate: t0, StopDate: t0.Add(34 * time.Millisecond)},
		{ExecutionArn: child + "2", Name: "2", StateMachineArn: sm, Status: "FAILED", Input: `{"n":2}`, Error: "Boom", Cause: "it broke", StartDate: t0, StopDate: t0.Add(time.Second)},
		{ExecutionArn: child + "3", Name: "3", StateMachineArn: sm, Status: "SUCCEEDED", Input: `{"n":3}`, Output: `{"ok":3}`, StartDate: t0, StopDate: t0.Add(time.Second)},
	}
}

func TestWriteResults(t *testing.T) {
	store := newMemStore(nil)
	spec, err := itemio.ParseWriter(itemio.ResourcePutObject, map[string]any{"Bucket": "out", "Prefix": "jobs/"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := itemio.WriteResults(context.Background(), store, spec, mapRun, results())
	if err != nil {
		t.Fatal(err)
	}
	dir := "out/jobs/ad9b5f27-090b-3ac6-9beb-243cd77144a7/"
	got, _ := json.Marshal(out)
	want := `{"MapRunArn":"` + mapRun + `","ResultWriterDetails":{"Bucket":"out","Key":"jobs/ad9b5f27-090b-3ac6-9beb-243cd77144a7/manifest.json"}}`
	if string(got) != want {
		t.Errorf("state output\n got %s\nwant %s", got, want)
	}
	succeeded := store.get(dir + "SUCCEEDED_0.json")
	wantSucceeded := `[{"ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:export/Parts:1","Input":"{\"n\":1}","InputDetails":{"Included":true},` +
		`"Name":"1","Output":"[1,2]","OutputDetails":{"Included":true},"RedriveCount":0,"RedriveStatus":"NOT_REDRIVABLE",` +
		`"RedriveStatusReason":"Execution is SUCCEEDED and cannot be redriven","StartDate":"2025-02-21T18:43:46.282Z",` +
		`"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:export/Parts","Status":"SUCCEEDED","StopDate":"2025-02-21T18:43:46.316Z"},`
	if !strings.HasPrefix(succeeded, wantSucceeded) {
		t.Errorf("SUCCEEDED_0.json\n got %s\nwant prefix %s", succeeded, wantSucceeded)
	}
	failed := store.get(dir + "FAILED_0.json")
	if !strings.HasPrefix(failed, `[{"Cause":"it broke","Error":"Boom","ExecutionArn":`) || strings.Contains(failed, `"Output"`) {
		t.Errorf("FAILED_0.json: %s", failed)
	}
	if store.get(dir+"PENDING_0.json") != "" {
		t.Error("PENDING_0.json written without pending results")
	}
	var m struct {
		DestinationBucket string
		MapRunArn         string
		ResultFiles       map[string][]struct {
			Key  string
			Size int
		}
	}
	if err := json.Unmarshal([]byte(store.get(dir+"manifest.json")), &m); err != nil {
		t.Fatal(err)
	}
	if m.DestinationBucket != "out" || m.MapRunArn != mapRun || len(m.ResultFiles["PENDING"]) != 0 ||
		len(m.ResultFiles["SUCCEEDED"]) != 1 || m.ResultFiles["SUCCEEDED"][0].Key != "jobs/ad9b5f27-090b-3ac6-9beb-243cd77144a7/SUCCEEDED_0.json" ||
		m.ResultFiles["SUCCEEDED"][0].Size != len(succeeded) || m.ResultFiles["FAILED"][0].Size != len(failed) {
		t.Errorf("manifest: %+v", m)
	}
}

func TestWriterConfig(t *testing.T) {
	for _, tc := range []struct {
		name     string
		resource string
		args     any
		config   string
		file     string // written file to check, "" for the state output
		want     string
	}{
		{"compact json", itemio.ResourcePutObject, map[string]any{"Bucket": "out"}, `{"Transformation":"COMPACT","OutputType":"JSON"}`,
			"out/ad9b5f27-090b-3ac6-9beb-243cd77144a7/SUCCEEDED_0.json", `[[1,2],{"ok":3}]`},
		{"flatten jsonl", itemio.ResourcePutObject, map[string]any{"Bucket": "out"}, `{"Transformation":"FLATTEN","OutputType":"JSONL"}`,
			"out/ad9b5f27-090b-3ac6-9beb-243cd77144a7/SUCCEEDED_0.jsonl", "1\n2\n{\"ok\":3}\n"},
		{"only WriterConfig flatten", "", nil, `{"Transformation":"FLATTEN","OutputType":"JSON"}`, "", ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cfg any
			json.Unmarshal([]byte(tc.config), &cfg)
			spec, err := itemio.ParseWriter(tc.resource, tc.args, cfg)
			if err != nil {
				t.Fatal(err)
			}
			store := newMemStore(nil)
			out, err := itemio.WriteResults(context.Background(), store, spec, mapRun, results())
			if err != nil {
				t.Fatal(err)
			}
			if tc.file != "" {
				if got := store.get(tc.file); got != tc.want {
					t.Errorf("%s\n got %q\nwant %q", tc.file, got, tc.want)
				}
				return
			}
			list, ok := out.([]any)
			if !ok || len(list) != 4 || list[0] != 1.0 || list[1] != 2.0 {
				t.Fatalf("state output %v", out)
			}
			failed, _ := list[2].(map[string]any)
			if failed["Error"] != "Boom" || failed["Status"] != "FAILED" {
				t.Errorf("failed child under FLATTEN: %v, want its full record", list[2])
			}
		})
	}
}

func TestWriteResultsErrors(t *testing.T) {
	store := newMemStore(nil)
	store.failPut = "ad9b5f27-090b-3ac6-9beb-243cd77144a7/manifest.json"
	_, err := itemio.WriteResults(context.Background(), store, itemio.WriterSpec{Bucket: "out"}, mapRun, results())
	var ie *itemio.Error
	if !errors.As(err, &ie) || ie.Name != "States.ResultWriterFailed" ||
		ie.Cause != "cannot write s3://out/ad9b5f27-090b-3ac6-9beb-243cd77144a7/manifest.json: AccessDenied" {
		t.Errorf("failed put: %v", err)
	}
	bad := results()
	bad[0].Output = "{"
	_, err = itemio.WriteResults(context.Background(), store, itemio.WriterSpec{Transformation: "COMPACT"}, mapRun, bad)
	if !errors.As(err, &ie) || !strings.Contains(ie.Cause, "execution:export/Parts:1 is not valid JSON") {
		t.Errorf("bad output: %v", err)
	}
	for _, tc := range []struct {
		resource string
		args     any
		config   any
		want     string
	}{
		{"", nil, nil, "ResultWriter needs Resource and Parameters/Arguments, or WriterConfig"},
		{"arn:aws:states:::s3:getObject", map[string]any{}, nil, `ResultWriter.Resource "arn:aws:states:::s3:getObject" is not supported (want arn:aws:states:::s3:putObject)`},
		{itemio.ResourcePutObject, map[string]any{"Prefix": "p"}, nil, "ResultWriter parameters: field Bucket is required"},
		{itemio.ResourcePutObject, map[string]any{"Bucket": "b"}, map[string]any{"Transformation": "SQUASH"}, `ResultWriter.WriterConfig.Transformation "SQUASH" is not supported (want NONE, COMPACT or FLATTEN)`},
		{itemio.ResourcePutObject, map[string]any{"Bucket": "b"}, map[string]any{"OutputType": "CSV"}, `ResultWriter.WriterConfig.OutputType "CSV" is not supported (want JSON or JSONL)`},
	} {
		_, err := itemio.ParseWriter(tc.resource, tc.args, tc.config)
		if !errors.As(err, &ie) || ie.Name != "States.ResultWriterFailed" || ie.Cause != tc.want {
			t.Errorf("ParseWriter(%q, %v, %v): %v, want %s", tc.resource, tc.args, tc.config, err, tc.want)
		}
	}
}
