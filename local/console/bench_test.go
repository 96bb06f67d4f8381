package console

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// bigHistory is an execution at Step Functions' 25,000-event limit: a
// loop of a Task and a Choice, 5,000 visits, some retried.
func bigHistory() (*fakeAPI, string) {
	b := &historyBuilder{t0: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b.add(types.HistoryEventTypeExecutionStarted, nil)
	for i := 0; len(b.events) < 25000-5; i++ {
		b.enter(types.HistoryEventTypeTaskStateEntered, "Work", fmt.Sprintf(`{"i":%d,"payload":"%0200d"}`, i, i))
		b.scheduled("arn:aws:states:::lambda:invoke")
		if i%10 == 0 {
			b.taskFailed("Lambda.ServiceException", "flaky")
			b.scheduled("arn:aws:states:::lambda:invoke")
		}
		b.add(types.HistoryEventTypeTaskSucceeded, func(e *types.HistoryEvent) {
			e.TaskSucceededEventDetails = &types.TaskSucceededEventDetails{Output: aws.String(`{}`)}
		})
		b.exit(types.HistoryEventTypeTaskStateExited, "Work", fmt.Sprintf(`{"i":%d}`, i))
		b.enter(types.HistoryEventTypeChoiceStateEntered, "More", `{}`)
		b.exit(types.HistoryEventTypeChoiceStateExited, "More", `{}`)
	}
	arn := "arn:aws:states:us-east-1:1:execution:loop:big"
	return &fakeAPI{
		definition: `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"x","Next":"More"},
			"More":{"Type":"Choice","Choices":[{"Variable":"$.i","NumericLessThan":5000,"Next":"Work"}],"Default":"Done"},"Done":{"Type":"Succeed"}}}`,
		events: b.events,
		exec: &sfn.DescribeExecutionOutput{Name: aws.String("big"), ExecutionArn: aws.String(arn), Status: types.ExecutionStatusRunning,
			StateMachineArn: aws.String("arn:sm"), StartDate: aws.Time(b.t0), Input: aws.String(`{}`)},
	}, arn
}

// BenchmarkExecutionPage25000Events measures the server time of the page
// of an execution with 25,000 history events (read in 25 pages from the
// API, derived, drawn), and of its live JSON; each must stay under 1 s.
func BenchmarkExecutionPage25000Events(b *testing.B) {
	api, arn := bigHistory()
	h := New(Options{SFN: api})
	for _, path := range []string{"/execution", "/api/execution"} {
		b.Run(path[1:], func(b *testing.B) {
			target := "http://127.0.0.1" + path + "?arn=" + url.QueryEscape(arn)
			start := time.Now()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
				if rec.Code != 200 {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
			if per := time.Since(start) / time.Duration(b.N); per > time.Second {
				b.Errorf("%s of 25,000 events took %v, want under 1 s", path, per)
			}
		})
	}
}
