package sfntest_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/sfntest"
	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
	"github.com/stepwise-dev/stepwise/steps/activity"
)

const videoSteps = `{"steps": {"publish": {"arn_placeholder": "PublishVideoFunctionArn", "memory_mb": 128, "timeout_seconds": 10}},
 "activities": {"encode-video": {"arn_placeholder": "EncodeActivityArn"}}}`

type clip struct {
	Video string `json:"video"`
}

type encoded struct {
	File    string `json:"file"`
	Minutes int    `json:"minutes"`
}

// CorruptVideo is the error the Encode state catches.
type CorruptVideo struct{}

func (CorruptVideo) Error() string { return "the video cannot be decoded" }

// encode takes 20 virtual minutes, longer than a Lambda may run; the
// worker heartbeats meanwhile, so HeartbeatSeconds (60) never fires.
func encode(clock afterer) activity.Handler {
	return activity.Typed(func(ctx context.Context, in clip) (encoded, error) {
		if strings.HasPrefix(in.Video, "corrupt") {
			return encoded{}, CorruptVideo{}
		}
		select {
		case <-clock.After(20 * time.Minute):
		case <-ctx.Done():
			return encoded{}, context.Cause(ctx)
		}
		return encoded{File: in.Video + ".mp4", Minutes: 20}, nil
	})
}

// TestActivityWorker: sfntest.Activity runs a real steps/activity worker
// on the execution's virtual clock; the activity's ARN comes from
// steps.json's activities; its result and its error names flow into the
// workflow as on AWS.
func TestActivityWorker(t *testing.T) {
	var w *sfntest.Workflow
	clock := &lateClock{clocks: make(chan afterer, 1)}
	w, err := sfntest.Load("testdata/video.asl.json",
		sfntest.Steps("steps.json", []byte(videoSteps)),
		sfntest.Activity("encode-video", encode(clock)),
		sfntest.Handler("publish", func(_ context.Context, e encoded) (string, error) { return "published " + e.File, nil }))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(w.Definition()), `"Resource": "`+sfntest.ActivityArn("encode-video")+`"`) {
		t.Fatalf("the placeholder is not the activity's ARN:\n%s", w.Definition())
	}
	ctx := context.Background()
	x, err := w.Start(ctx, `{"video":"keynote"}`)
	if err != nil {
		t.Fatal(err)
	}
	clock.set(x.Clock())
	r, err := x.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.ExpectSucceeded(t).ExpectOutput(t, `"published keynote.mp4"`).ExpectPath(t, "Encode", "Publish")
	var kinds []string
	var heartbeatsOK bool
	for _, e := range r.History {
		if strings.HasPrefix(string(e.Type), "Activity") {
			kinds = append(kinds, string(e.Type))
		}
		if e.Type == eventtype.ActivitySucceeded {
			heartbeatsOK = e.Timestamp.Sub(r.History[0].Timestamp) >= 20*time.Minute
		}
	}
	if strings.Join(kinds, " ") != "ActivityScheduled ActivityStarted ActivitySucceeded" || !heartbeatsOK {
		t.Errorf("activity events %v; succeeded 20 virtual minutes in: %v", kinds, heartbeatsOK)
	}

	x, err = w.Start(ctx, `{"video":"corrupt-1"}`) // fails before it waits
	if err != nil {
		t.Fatal(err)
	}
	r, err = x.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.ExpectFailed(t, "Rejected").ExpectPath(t, "Encode", "Rejected")
}

// lateClock hands the handler the clock of the execution the test
// started (a handler is made before its execution, and so its clock,
// exists): one set per handler call that waits.
type lateClock struct{ clocks chan afterer }

type afterer interface {
	After(time.Duration) <-chan time.Time
}

func (l *lateClock) set(c afterer)                          { l.clocks <- c }
func (l *lateClock) After(d time.Duration) <-chan time.Time { return (<-l.clocks).After(d) }

// TestActivityMistakes: an Activity for an activity the definition does
// not name, and a Mock of an activity Task, are refused at Load.
func TestActivityMistakes(t *testing.T) {
	noop := func(context.Context, json.RawMessage) (any, error) { return nil, nil }
	for _, c := range []struct {
		opt  sfntest.Option
		want string
	}{
		{sfntest.Activity("encode", noop), `sfntest.Activity("encode"): the definition names no activity arn:aws:states:us-east-1:123456789012:activity:encode (its activities: encode-video)`},
		{sfntest.Mock("Encode", sfntest.Return(map[string]any{})), `sfntest.Mock("Encode"): state "Encode" is an activity Task; a worker answers it, not a mock: give the activity a handler with sfntest.Activity`},
	} {
		_, err := sfntest.Load("testdata/video.asl.json", sfntest.Steps("steps.json", []byte(videoSteps)), c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Load: %v\nwant: %s", err, c.want)
		}
	}
}

// TestActivityInMockConfig: a MockConfigFile test case that maps an
// activity Task is refused, as Step Functions Local refuses it ("Activity
// state cannot be mocked").
func TestActivityInMockConfig(t *testing.T) {
	w, err := sfntest.Load("testdata/video.asl.json", sfntest.Steps("steps.json", []byte(videoSteps)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := sfntest.ParseMockConfig("mock.json", []byte(`{"StateMachines": {"video": {"TestCases": {"Encoded": {"Encode": "Done"}, "Published": {"Publish": "Done"}}}},
 "MockedResponses": {"Done": {"0": {"Return": {"StatusCode": 200, "Payload": "ok"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.TestCase(c, "", "Encoded")
	want := `mock.json: /StateMachines/video/TestCases/Encoded/Encode: state "Encode" is an activity Task, and an activity state cannot be mocked (as in Step Functions Local): remove it from the test case; in a Go test, sfntest.Activity runs the activity's handler`
	if err == nil || err.Error() != want {
		t.Errorf("TestCase: %v\nwant: %s", err, want)
	}
	if _, err := w.TestCase(c, "", "Published"); err != nil {
		t.Errorf("a case mocking the Lambda state only: %v", err)
	}
}
