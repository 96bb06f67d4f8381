package trigger_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	locals3 "github.com/stepwise-dev/stepwise/local/s3"
	"github.com/stepwise-dev/stepwise/local/trigger"
)

var (
	patternFile     = filepath.Join("..", "..", "statemachine", "export.trigger.json")
	transformerFile = filepath.Join("..", "..", "statemachine", "export.trigger-input.json")
)

// executions is a start function with Step Functions' execution-name
// idempotency: a second start with a known name is refused.
type executions struct {
	mu     sync.Mutex
	inputs map[string]string
	calls  int
}

func (e *executions) start(_ context.Context, name, input string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls++
	if e.inputs == nil {
		e.inputs = map[string]string{}
	}
	if _, ok := e.inputs[name]; ok {
		return fmt.Errorf("start %s: %w", name, trigger.ErrDuplicate)
	}
	e.inputs[name] = input
	return nil
}

func event(key, sequencer string) []byte {
	return []byte(`{"version":"0","id":"17793124-05d4-b198-2fde-7ededc63b103","detail-type":"Object Created","source":"aws.s3",
"account":"111122223333","time":"2021-11-12T00:00:00Z","region":"ca-central-1","resources":["arn:aws:s3:::bkt"],
"detail":{"version":"0","bucket":{"name":"bkt"},"object":{"key":"` + key + `","size":5,
"etag":"b1946ac92492d2347c6235b4d2611184","sequencer":"` + sequencer + `"},
"request-id":"N4N7GDK58NMKJ12R","requester":"123456789012","source-ip-address":"1.2.3.4","reason":"PutObject"}}`)
}

func TestDeliver(t *testing.T) {
	var ex executions
	tr, err := trigger.Load(patternFile, transformerFile, ex.start)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, tc := range []struct {
		event []byte
		want  trigger.Outcome
	}{
		{event("requests/a.json", "0000000000000001"), trigger.Started},
		{event("requests/a.json", "0000000000000001"), trigger.Duplicate}, // redelivery
		{event("exports/a.json", "0000000000000002"), trigger.NoMatch},    // outside the prefix
		{event("requests/a.json", "0000000000000003"), trigger.Started},   // a new write of the key
		{event("requests/a.json", "0000000000000001"), trigger.Duplicate},
	} {
		got, err := tr.Deliver(ctx, tc.event)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if got != tc.want {
			t.Errorf("event %d: %v, want %v", i, got, tc.want)
		}
	}
	if len(ex.inputs) != 2 || ex.calls != 4 {
		t.Errorf("%d executions from %d starts, want 2 from 4", len(ex.inputs), ex.calls)
	}
	name, _ := trigger.ExecutionName(event("requests/a.json", "0000000000000001"))
	want := `{"trigger": "s3", "request": {"bucket": "bkt", "key": "requests/a.json", "etag": "b1946ac92492d2347c6235b4d2611184", "sequencer": "0000000000000001"}, "time": "2021-11-12T00:00:00Z"}`
	if got := ex.inputs[name]; got != want {
		t.Errorf("input\n got %s\nwant %s", got, want)
	}
}

// awsCoded is an error like aws-sdk-go-v2's *types.ExecutionAlreadyExists.
type awsCoded struct{ code string }

func (e awsCoded) Error() string     { return "api error " + e.code }
func (e awsCoded) ErrorCode() string { return e.code }

func TestDeliverStartErrors(t *testing.T) {
	for _, tc := range []struct {
		err     error
		want    trigger.Outcome
		wantErr bool
	}{
		{awsCoded{"ExecutionAlreadyExists"}, trigger.Duplicate, false},
		{fmt.Errorf("wrapped: %w", awsCoded{"ExecutionAlreadyExists"}), trigger.Duplicate, false},
		{awsCoded{"StateMachineDoesNotExist"}, trigger.NoMatch, true},
		{errors.New("boom"), trigger.NoMatch, true},
	} {
		tr, err := trigger.New(trigger.Options{Pattern: []byte(`{"source":["aws.s3"]}`), Start: func(context.Context, string, string) error { return tc.err }})
		if err != nil {
			t.Fatal(err)
		}
		got, err := tr.Deliver(context.Background(), event("k", "1"))
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("start error %v: got %v, %v", tc.err, got, err)
		}
	}
}

func TestExecutionName(t *testing.T) {
	a, err := trigger.ExecutionName(event("requests/a.json", "01"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a) > 80 || strings.Trim(a, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		t.Errorf("name %q is not a valid execution name", a)
	}
	for _, other := range [][]byte{event("requests/b.json", "01"), event("requests/a.json", "02"), event("requests/a.jso", "n01")} {
		if b, _ := trigger.ExecutionName(other); b == a {
			t.Errorf("different writes share the name %s", a)
		}
	}
	if _, err := trigger.ExecutionName([]byte(`{"detail":{}}`)); err == nil || !strings.Contains(err.Error(), "not an S3 object event") {
		t.Errorf("non-S3 event: %v", err)
	}
}

func TestInputTransformer(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`{"input_paths":{"k":"$.detail.object.key","n":"$.detail.object.size"},"input_template":"{\"k\": <k>, \"n\": <n>, \"s\": \"key <k> of <n> bytes\"}"}`,
			`{"k": "requests/a.json", "n": 5, "s": "key requests/a.json of 5 bytes"}`},
		{`{"input_paths":{"x":"$.detail.nope"},"input_template":"{\"x\": <x>, \"y\": \"[<x>]\", \"z\": \"<unknown>\"}"}`,
			`{"x": null, "y": "[]", "z": "<unknown>"}`},
		{`{"input_paths":{"d":"$.detail.bucket"},"input_template":"{\"d\": <d>, \"e\": \"<d>\"}"}`,
			`{"d": {"name":"bkt"}, "e": "{\"name\":\"bkt\"}"}`},
		{`{"input_template":"{\"whole\": <aws.events.event.json>}"}`, ""},
	} {
		tt, err := trigger.ParseInputTransformer([]byte(tc.doc))
		if err != nil {
			t.Fatal(err)
		}
		got, err := tt.Apply(event("requests/a.json", "01"))
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == "" {
			var v struct{ Whole map[string]any }
			if err := json.Unmarshal([]byte(got), &v); err != nil || v.Whole["source"] != "aws.s3" {
				t.Errorf("whole event: %s (%v)", got, err)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.doc, got, tc.want)
		}
	}
	for _, tc := range []struct{ doc, want string }{
		{`{"input_paths":{"k":"detail.key"},"input_template":"{}"}`, `/input_paths/k: path "detail.key" must be "$" or start with "$."`},
		{`{"input_paths":{"k":"$.a[0]"},"input_template":"{}"}`, `/input_paths/k: path "$.a[0]": only dotted member names are supported`},
		{`{"input_paths":{}}`, `/input_template is missing or empty`},
	} {
		_, err := trigger.ParseInputTransformer([]byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %s", tc.doc, err, tc.want)
		}
	}
}

// TestObjectStartsOneExecution runs the real local S3: putting an object
// under requests/ starts exactly one execution, also when the event is
// delivered twice.
func TestObjectStartsOneExecution(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := locals3.Start(ctx, locals3.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := srv.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ex executions
	tr, err := trigger.Load(patternFile, transformerFile, ex.start)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"other/x.json", "requests/export 1.json"} {
		if _, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key), Body: strings.NewReader(`{"report":"r"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	var outcomes []trigger.Outcome
	var last []byte
	for range 2 {
		ev := <-srv.Events()
		last, _ = json.Marshal(ev)
		out, err := tr.Deliver(ctx, last)
		if err != nil {
			t.Fatal(err)
		}
		outcomes = append(outcomes, out)
	}
	out, err := tr.Deliver(ctx, last) // EventBridge delivers at least once
	if err != nil {
		t.Fatal(err)
	}
	outcomes = append(outcomes, out)
	if fmt.Sprint(outcomes) != "[NoMatch Started Duplicate]" {
		t.Errorf("outcomes %v, want [NoMatch Started Duplicate]", outcomes)
	}
	if len(ex.inputs) != 1 {
		t.Fatalf("%d executions, want 1", len(ex.inputs))
	}
	for _, input := range ex.inputs {
		var in struct {
			Request struct{ Bucket, Key string }
		}
		if err := json.Unmarshal([]byte(input), &in); err != nil {
			t.Fatal(err)
		}
		if in.Request.Bucket != "bkt" || in.Request.Key != "requests/export+1.json" {
			t.Errorf("input %s", input)
		}
	}
}

func TestServe(t *testing.T) {
	var ex executions
	tr, err := trigger.Load(patternFile, transformerFile, ex.start)
	if err != nil {
		t.Fatal(err)
	}
	ev := locals3.Event{Version: "0", DetailType: "Object Created", Source: "aws.s3", Resources: []string{"arn:aws:s3:::bkt"},
		Detail: locals3.EventDetail{Bucket: locals3.EventBucket{Name: "bkt"}, Object: locals3.EventObject{Key: "requests/a", Sequencer: "01"}}}
	other := ev
	other.Detail.Object.Key = "other/a"
	ch := make(chan locals3.Event, 3)
	ch <- ev
	ch <- other
	ch <- ev
	close(ch)
	tr.Serve(context.Background(), ch) // returns when ch is closed
	if len(ex.inputs) != 1 || ex.calls != 2 {
		t.Errorf("%d executions from %d starts, want 1 from 2", len(ex.inputs), ex.calls)
	}
}

// TestServeAcknowledgesSettledEvents: Serve acknowledges an event once its
// outcome is settled (started, duplicate, no match, not an S3 event) and
// keeps one whose start failed, so a durable source delivers it again.
func TestServeAcknowledgesSettledEvents(t *testing.T) {
	var ex executions
	failing := "requests/fail"
	start := func(ctx context.Context, name, input string) error {
		if strings.Contains(input, failing) {
			return errors.New("engine stopping")
		}
		return ex.start(ctx, name, input)
	}
	var acked []string
	tr, err := trigger.New(trigger.Options{Pattern: []byte(`{"detail":{"object":{"key":[{"prefix":"requests/"}]}}}`), Start: start,
		Ack: func(ev locals3.Event) error { acked = append(acked, ev.Detail.Object.Key); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	ev := func(key string) locals3.Event {
		return locals3.Event{Source: "aws.s3", Detail: locals3.EventDetail{Bucket: locals3.EventBucket{Name: "bkt"}, Object: locals3.EventObject{Key: key, Sequencer: "01"}}}
	}
	noBucket := ev("requests/nobucket")
	noBucket.Detail.Bucket.Name = ""
	ch := make(chan locals3.Event, 5)
	for _, e := range []locals3.Event{ev("requests/a"), ev("other/b"), ev(failing), ev("requests/a"), noBucket} {
		ch <- e
	}
	close(ch)
	tr.Serve(context.Background(), ch)
	if got, want := strings.Join(acked, " "), "requests/a other/b requests/a requests/nobucket"; got != want {
		t.Errorf("acknowledged %q, want %q (never the failed start)", got, want)
	}
}
