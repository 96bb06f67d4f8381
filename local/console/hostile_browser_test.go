package console_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/chromedp/chromedp"

	"github.com/stepwise-dev/stepwise/local/console"
)

// markupAPI answers like a Step Functions endpoint that lets names carry
// markup (AWS and the local stack refuse such names; a console must not
// rely on that): one state machine, one execution, one failed state.
type markupAPI struct {
	console.API // calls not listed here panic
	arn         string
	t0          time.Time
}

func (m *markupAPI) definition() string {
	return `{"StartAt":` + quote(hostileText) + `,"States":{` + quote(hostileText) + `:{"Type":"Task","Resource":"x","End":true}}}`
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func (m *markupAPI) ListStateMachines(context.Context, *sfn.ListStateMachinesInput, ...func(*sfn.Options)) (*sfn.ListStateMachinesOutput, error) {
	return &sfn.ListStateMachinesOutput{StateMachines: []types.StateMachineListItem{{Name: aws.String(hostileText), StateMachineArn: aws.String("arn:sm"), CreationDate: aws.Time(m.t0)}}}, nil
}

func (m *markupAPI) ListStateMachineVersions(context.Context, *sfn.ListStateMachineVersionsInput, ...func(*sfn.Options)) (*sfn.ListStateMachineVersionsOutput, error) {
	return &sfn.ListStateMachineVersionsOutput{}, nil
}

func (m *markupAPI) ListStateMachineAliases(context.Context, *sfn.ListStateMachineAliasesInput, ...func(*sfn.Options)) (*sfn.ListStateMachineAliasesOutput, error) {
	return &sfn.ListStateMachineAliasesOutput{}, nil
}

func (m *markupAPI) DescribeStateMachine(context.Context, *sfn.DescribeStateMachineInput, ...func(*sfn.Options)) (*sfn.DescribeStateMachineOutput, error) {
	return &sfn.DescribeStateMachineOutput{Name: aws.String(hostileText), StateMachineArn: aws.String("arn:sm"), Definition: aws.String(m.definition())}, nil
}

func (m *markupAPI) DescribeStateMachineForExecution(context.Context, *sfn.DescribeStateMachineForExecutionInput, ...func(*sfn.Options)) (*sfn.DescribeStateMachineForExecutionOutput, error) {
	return &sfn.DescribeStateMachineForExecutionOutput{Definition: aws.String(m.definition())}, nil
}

func (m *markupAPI) ListExecutions(context.Context, *sfn.ListExecutionsInput, ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error) {
	return &sfn.ListExecutionsOutput{Executions: []types.ExecutionListItem{{Name: aws.String(hostileText), ExecutionArn: aws.String(m.arn),
		Status: types.ExecutionStatusFailed, StartDate: aws.Time(m.t0), StateMachineArn: aws.String("arn:sm")}}}, nil
}

func (m *markupAPI) DescribeExecution(context.Context, *sfn.DescribeExecutionInput, ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	return &sfn.DescribeExecutionOutput{Name: aws.String(hostileText), ExecutionArn: aws.String(m.arn), StateMachineArn: aws.String("arn:sm"),
		Status: types.ExecutionStatusFailed, StartDate: aws.Time(m.t0), StopDate: aws.Time(m.t0.Add(time.Second)),
		Input: aws.String(`{"x":` + quote(hostileText) + `}`), Error: aws.String(hostileText), Cause: aws.String(hostileText)}, nil
}

func (m *markupAPI) GetExecutionHistory(context.Context, *sfn.GetExecutionHistoryInput, ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error) {
	at := func(s int) *time.Time { return aws.Time(m.t0.Add(time.Duration(s) * time.Millisecond)) }
	return &sfn.GetExecutionHistoryOutput{Events: []types.HistoryEvent{
		{Id: 1, Type: types.HistoryEventTypeExecutionStarted, Timestamp: at(0)},
		{Id: 2, PreviousEventId: 1, Type: types.HistoryEventTypeTaskStateEntered, Timestamp: at(10),
			StateEnteredEventDetails: &types.StateEnteredEventDetails{Name: aws.String(hostileText), Input: aws.String(`{"x":` + quote(hostileText) + `}`)}},
		{Id: 3, PreviousEventId: 2, Type: types.HistoryEventTypeTaskFailed, Timestamp: at(500),
			TaskFailedEventDetails: &types.TaskFailedEventDetails{Error: aws.String(hostileText), Cause: aws.String(hostileText)}},
		{Id: 4, PreviousEventId: 3, Type: types.HistoryEventTypeExecutionFailed, Timestamp: at(510),
			ExecutionFailedEventDetails: &types.ExecutionFailedEventDetails{Error: aws.String(hostileText), Cause: aws.String(hostileText)}},
	}}, nil
}

// TestBrowserHostileExecutionName: names with markup — of a state machine,
// an execution and a state — and the input, error and cause render as
// text in Chromium on every page: no script runs.
func TestBrowserHostileExecutionName(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium; skipped with -short")
	}
	b := newBrowser(t)
	api := &markupAPI{arn: "arn:aws:states:us-east-1:1:execution:m:" + hostileText, t0: time.Now().Add(-time.Minute)}
	srv := httptest.NewServer(console.New(console.Options{SFN: api}))
	defer srv.Close()
	for _, page := range []string{"/", "/workflow?arn=arn:sm", "/execution?arn=" + url.QueryEscape(api.arn)} {
		b.do("open "+page, chromedp.Navigate(srv.URL+page), chromedp.WaitReady(chromedp.CSS(`main`)))
		b.eval(`for (const el of document.querySelectorAll("*")) el.dispatchEvent(new MouseEvent("mouseover", {bubbles: true})); 0`)
		state := b.eval(`JSON.stringify({pwned: window.pwned === undefined ? null : window.pwned, handlers: document.querySelectorAll("[onmouseover],[onerror]").length, scripts: document.scripts.length, text: document.body.textContent.includes("<script>window.pwned=1</script>")})`)
		if state != `{"pwned":null,"handlers":0,"scripts":1,"text":true}` {
			t.Errorf("%s: %v (want no script run, no handler attributes, one script, the payload shown as text)", page, state)
		}
	}
	b.shot("hostile-names")
}
