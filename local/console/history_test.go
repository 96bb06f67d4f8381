package console

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// history builds events with ids in order, each following the previous.
type historyBuilder struct {
	events []types.HistoryEvent
	t0     time.Time
}

func (b *historyBuilder) add(typ types.HistoryEventType, set func(*types.HistoryEvent)) {
	id := int64(len(b.events) + 1)
	e := types.HistoryEvent{Id: id, PreviousEventId: id - 1, Type: typ, Timestamp: aws.Time(b.t0.Add(time.Duration(id) * time.Second))}
	if set != nil {
		set(&e)
	}
	b.events = append(b.events, e)
}

func (b *historyBuilder) enter(typ types.HistoryEventType, name, input string) {
	b.add(typ, func(e *types.HistoryEvent) {
		e.StateEnteredEventDetails = &types.StateEnteredEventDetails{Name: aws.String(name), Input: aws.String(input)}
	})
}

func (b *historyBuilder) exit(typ types.HistoryEventType, name, output string) {
	b.add(typ, func(e *types.HistoryEvent) {
		e.StateExitedEventDetails = &types.StateExitedEventDetails{Name: aws.String(name), Output: aws.String(output)}
	})
}

func (b *historyBuilder) taskFailed(errName, cause string) {
	b.add(types.HistoryEventTypeTaskFailed, func(e *types.HistoryEvent) {
		e.TaskFailedEventDetails = &types.TaskFailedEventDetails{Error: aws.String(errName), Cause: aws.String(cause)}
	})
}

func (b *historyBuilder) scheduled(resource string) {
	b.add(types.HistoryEventTypeTaskScheduled, func(e *types.HistoryEvent) {
		e.TaskScheduledEventDetails = &types.TaskScheduledEventDetails{Resource: aws.String(resource), ResourceType: aws.String("lambda")}
	})
}

// TestDeriveStates pins how a history reads as state outcomes: retried,
// caught, waiting for a token, inline Map item counts, not reached, and a
// Fail state that failed the execution.
func TestDeriveStates(t *testing.T) {
	b := &historyBuilder{t0: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b.add(types.HistoryEventTypeExecutionStarted, nil)
	b.enter(types.HistoryEventTypeTaskStateEntered, "Retried", `{}`)
	b.scheduled("invoke")
	b.add(types.HistoryEventTypeTaskStarted, nil)
	b.taskFailed("Lambda.ServiceException", "flaky")
	b.scheduled("invoke")
	b.add(types.HistoryEventTypeTaskStarted, nil)
	b.add(types.HistoryEventTypeTaskSucceeded, func(e *types.HistoryEvent) {
		e.TaskSucceededEventDetails = &types.TaskSucceededEventDetails{Output: aws.String(`{}`)}
	})
	b.exit(types.HistoryEventTypeTaskStateExited, "Retried", `{"ok":true}`)
	b.enter(types.HistoryEventTypeTaskStateEntered, "Caught", `{}`)
	b.scheduled("invoke")
	b.taskFailed("BadThing", "it broke")
	b.exit(types.HistoryEventTypeTaskStateExited, "Caught", `{}`)
	b.enter(types.HistoryEventTypeMapStateEntered, "Items", `[1,2,3]`)
	b.add(types.HistoryEventTypeMapStateStarted, func(e *types.HistoryEvent) {
		e.MapStateStartedEventDetails = &types.MapStateStartedEventDetails{Length: 3}
	})
	for i, outcome := range []types.HistoryEventType{types.HistoryEventTypeMapIterationSucceeded, types.HistoryEventTypeMapIterationSucceeded, types.HistoryEventTypeMapIterationFailed} {
		b.add(types.HistoryEventTypeMapIterationStarted, func(e *types.HistoryEvent) {
			e.MapIterationStartedEventDetails = &types.MapIterationEventDetails{Name: aws.String("Items"), Index: int32(i)}
		})
		b.add(outcome, func(e *types.HistoryEvent) {
			d := &types.MapIterationEventDetails{Name: aws.String("Items"), Index: int32(i)}
			if outcome == types.HistoryEventTypeMapIterationSucceeded {
				e.MapIterationSucceededEventDetails = d
			} else {
				e.MapIterationFailedEventDetails = d
			}
		})
	}
	b.exit(types.HistoryEventTypeMapStateExited, "Items", `[]`)
	b.enter(types.HistoryEventTypeTaskStateEntered, "Approve", `{}`)
	b.scheduled("arn:aws:states:::lambda:invoke.waitForTaskToken")
	b.add(types.HistoryEventTypeTaskStarted, nil)
	b.add(types.HistoryEventTypeTaskSubmitted, func(e *types.HistoryEvent) { e.TaskSubmittedEventDetails = &types.TaskSubmittedEventDetails{} })

	rv := derive(b.events, types.ExecutionStatusRunning)
	want := map[string]string{"Retried": "retried", "Caught": "caught", "Items": "succeeded", "Approve": "waiting"}
	for name, status := range want {
		if s := rv.States[name]; s == nil || s.Status != status {
			t.Errorf("%s: %+v, want %s", name, s, status)
		}
	}
	if s := rv.States["Caught"]; s.Detail != "BadThing" || s.Last.Cause != "it broke" {
		t.Errorf("Caught: detail %q cause %q", s.Detail, s.Last.Cause)
	}
	if it := rv.States["Items"].Last.Items; it == nil || *it != (itemCounts{Total: 3, Succeeded: 2, Failed: 1}) {
		t.Errorf("Items counts %+v", it)
	}
	if rv.States["Retried"].Last.Output != `{"ok":true}` {
		t.Errorf("Retried output %q", rv.States["Retried"].Last.Output)
	}

	// The approval task fails with no Catch; a Fail state is not involved.
	b.taskFailed("States.Timeout", "nobody decided")
	b.add(types.HistoryEventTypeExecutionFailed, func(e *types.HistoryEvent) {
		e.ExecutionFailedEventDetails = &types.ExecutionFailedEventDetails{Error: aws.String("States.Timeout")}
	})
	rv = derive(b.events, types.ExecutionStatusFailed)
	if s := rv.States["Approve"]; s.Status != "failed" || s.Detail != "States.Timeout" {
		t.Errorf("Approve after a timeout: %+v", s)
	}
}

// TestHostileExecutionPage: an execution whose name, input, state names,
// error cause and output carry markup renders it as text on every page.
func TestHostileExecutionPage(t *testing.T) {
	b := &historyBuilder{t0: time.Now().Add(-time.Minute)}
	b.add(types.HistoryEventTypeExecutionStarted, nil)
	b.enter(types.HistoryEventTypeTaskStateEntered, hostile, fmt.Sprintf(`{"x":%q}`, hostile))
	b.scheduled("invoke")
	b.taskFailed(hostile, hostile)
	b.add(types.HistoryEventTypeExecutionFailed, func(e *types.HistoryEvent) {
		e.ExecutionFailedEventDetails = &types.ExecutionFailedEventDetails{Error: aws.String(hostile), Cause: aws.String(hostile)}
	})
	arn := "arn:aws:states:us-east-1:1:execution:m:" + hostile
	api := &fakeAPI{
		definition: fmt.Sprintf(`{"StartAt":%q,"States":{%[1]q:{"Type":"Task","Resource":"x","End":true}}}`, hostile),
		events:     b.events,
		executions: []types.ExecutionListItem{{Name: aws.String(hostile), ExecutionArn: aws.String(arn), Status: types.ExecutionStatusFailed, StartDate: aws.Time(b.t0)}},
		exec: &sfn.DescribeExecutionOutput{Name: aws.String(hostile), ExecutionArn: aws.String(arn), Status: types.ExecutionStatusFailed,
			StateMachineArn: aws.String("arn:sm"), StartDate: aws.Time(b.t0), StopDate: aws.Time(b.t0.Add(time.Second)),
			Error: aws.String(hostile), Cause: aws.String(hostile), Input: aws.String(fmt.Sprintf(`{"x":%q}`, hostile)), Output: aws.String(hostile)},
	}
	h := New(Options{SFN: api})
	for _, page := range []string{"/execution?arn=" + url.QueryEscape(arn), "/workflow?arn=arn:sm", "/api/execution?arn=" + url.QueryEscape(arn)} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1"+page, nil))
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", page, rec.Code, rec.Body)
		}
		if strings.HasPrefix(page, "/api/") {
			// JSON, read by script as data (textContent), never as HTML.
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" || strings.Contains(rec.Body.String(), "<script") {
				t.Errorf("%s: %s %s", page, ct, rec.Body)
			}
			continue
		}
		assertEscaped(t, page, rec.Body.String())
	}
}

// TestLargePayloadsFold: a state input over the fold size is shown inside
// a closed <details>, pretty-printed; a small one is shown as it is.
func TestLargePayloadsFold(t *testing.T) {
	big := fmt.Sprintf(`{"rows":%q}`, strings.Repeat("x", 3*foldAt))
	b := &historyBuilder{t0: time.Now().Add(-time.Minute)}
	b.add(types.HistoryEventTypeExecutionStarted, nil)
	b.enter(types.HistoryEventTypePassStateEntered, "Big", big)
	b.exit(types.HistoryEventTypePassStateExited, "Big", `{"small":1}`)
	arn := "arn:aws:states:us-east-1:1:execution:m:e"
	api := &fakeAPI{definition: `{"StartAt":"Big","States":{"Big":{"Type":"Pass","End":true}}}`, events: b.events,
		exec: &sfn.DescribeExecutionOutput{Name: aws.String("e"), ExecutionArn: aws.String(arn), Status: types.ExecutionStatusRunning, StartDate: aws.Time(b.t0), StateMachineArn: aws.String("arn:sm")}}
	rec := httptest.NewRecorder()
	New(Options{SFN: api}).ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1/execution?arn="+url.QueryEscape(arn), nil))
	body := rec.Body.String()
	if !strings.Contains(body, fmt.Sprintf(`<details class="fold"><summary>%d bytes — show</summary><pre class="json">{
  &#34;rows&#34;`, len(big))) {
		t.Errorf("big input not folded and pretty-printed:\n%s", body)
	}
	if !strings.Contains(body, "<pre class=\"json\">{\n  &#34;small&#34;: 1\n}</pre>") {
		t.Errorf("small output not shown pretty-printed")
	}
}
