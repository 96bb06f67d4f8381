package sfnapi

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/statemachine/arn"
)

func updateDate(sm *statemachine.StateMachine) time.Time {
	if sm.UpdateDate.IsZero() {
		return sm.CreationDate
	}
	return sm.UpdateDate
}

type countsOut struct {
	Pending               int64 `json:"pending"`
	Running               int64 `json:"running"`
	Succeeded             int64 `json:"succeeded"`
	Failed                int64 `json:"failed"`
	TimedOut              int64 `json:"timedOut"`
	Aborted               int64 `json:"aborted"`
	Total                 int64 `json:"total"`
	ResultsWritten        int64 `json:"resultsWritten"`
	FailuresNotRedrivable int64 `json:"failuresNotRedrivable"`
	PendingRedrive        int64 `json:"pendingRedrive"`
}

func counts(c statemachine.MapRunCounts) countsOut {
	return countsOut{c.Pending, c.Running, c.Succeeded, c.Failed, c.TimedOut, c.Aborted, c.Total,
		c.ResultsWritten, c.FailuresNotRedrivable, c.PendingRedrive}
}

type mapRunDescription struct {
	MapRunArn                  string    `json:"mapRunArn"`
	ExecutionArn               string    `json:"executionArn"`
	Status                     string    `json:"status"`
	StartDate                  epoch     `json:"startDate"`
	StopDate                   *epoch    `json:"stopDate,omitempty"`
	MaxConcurrency             int       `json:"maxConcurrency"`
	ToleratedFailurePercentage float64   `json:"toleratedFailurePercentage"`
	ToleratedFailureCount      int64     `json:"toleratedFailureCount"`
	ItemCounts                 countsOut `json:"itemCounts"`
	ExecutionCounts            countsOut `json:"executionCounts"`
	RedriveCount               int       `json:"redriveCount"`
	RedriveDate                *epoch    `json:"redriveDate,omitempty"`
}

func mapRunOut(mr *statemachine.MapRun) mapRunDescription {
	return mapRunDescription{
		MapRunArn: mr.MapRunArn, ExecutionArn: mr.ExecutionArn, Status: mr.Status,
		StartDate: epoch(mr.StartDate), StopDate: epochPtr(mr.StopDate), MaxConcurrency: mr.MaxConcurrency,
		ToleratedFailurePercentage: mr.ToleratedFailurePercentage, ToleratedFailureCount: mr.ToleratedFailureCount,
		ItemCounts: counts(mr.ItemCounts), ExecutionCounts: counts(mr.ExecutionCounts),
		RedriveCount: mr.RedriveCount, RedriveDate: epochPtr(mr.RedriveDate),
	}
}

type updateMapRunIn struct {
	MapRunArn                  *string  `json:"mapRunArn"`
	MaxConcurrency             *int     `json:"maxConcurrency"`
	ToleratedFailurePercentage *float64 `json:"toleratedFailurePercentage"`
	ToleratedFailureCount      *int64   `json:"toleratedFailureCount"`
}

// updateMapRun changes the concurrency and tolerance of a running Map Run,
// which obeys them at once (see [statemachine.Engine.UpdateMapRun]).
func (h *Handler) updateMapRun(ctx context.Context, in *updateMapRunIn) (any, error) {
	var v validator
	v.required("mapRunArn", in.MapRunArn != nil)
	v.length("mapRunArn", in.MapRunArn, 1, 2000)
	v.between("maxConcurrency", in.MaxConcurrency, 0, math.MaxInt32)
	if n := in.ToleratedFailureCount; n != nil && *n < 0 {
		v.msgs = append(v.msgs, fmt.Sprintf("Value '%d' at 'toleratedFailureCount' failed to satisfy constraint: Member must have value greater than or equal to 0", *n))
	}
	if p := in.ToleratedFailurePercentage; p != nil && *p < 0 {
		v.msgs = append(v.msgs, fmt.Sprintf("Value '%v' at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value greater than or equal to 0", *p))
	} else if p != nil && *p > 100 {
		v.msgs = append(v.msgs, fmt.Sprintf("Value '%v' at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value less than or equal to 100", *p))
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkArn(in.MapRunArn, arn.MapRun); err != nil {
		return nil, err
	}
	_, err := h.eng.UpdateMapRun(ctx, statemachine.UpdateMapRunInput{MapRunArn: *in.MapRunArn, MaxConcurrency: in.MaxConcurrency,
		ToleratedFailurePercentage: in.ToleratedFailurePercentage, ToleratedFailureCount: in.ToleratedFailureCount})
	if err != nil {
		return nil, err
	}
	return empty{}, nil
}

type mapRunItem struct {
	ExecutionArn    string `json:"executionArn"`
	MapRunArn       string `json:"mapRunArn"`
	StateMachineArn string `json:"stateMachineArn"`
	StartDate       epoch  `json:"startDate"`
	StopDate        *epoch `json:"stopDate,omitempty"`
}

// mapRunListItem: the stateMachineArn of a map run is that of its child
// executions, <machine>/<label>, derived from the map run ARN as AWS does.
func mapRunListItem(mr *statemachine.MapRun) mapRunItem {
	return mapRunItem{ExecutionArn: mr.ExecutionArn, MapRunArn: mr.MapRunArn, StateMachineArn: mapRunStateMachine(mr.MapRunArn),
		StartDate: epoch(mr.StartDate), StopDate: epochPtr(mr.StopDate)}
}

// mapRunStateMachine turns arn:...:mapRun:<sm>/<label>:<uuid> into
// arn:...:stateMachine:<sm>/<label>.
func mapRunStateMachine(mapRunArn string) string {
	const marker = ":mapRun:"
	i := strings.Index(mapRunArn, marker)
	if i < 0 {
		return ""
	}
	rest := mapRunArn[i+len(marker):]
	if j := strings.LastIndex(rest, ":"); j >= 0 {
		rest = rest[:j]
	}
	return mapRunArn[:i] + ":stateMachine:" + rest
}

// TestState.

type testStateIn struct {
	Definition      *string `json:"definition"`
	RoleArn         *string `json:"roleArn"`
	Input           *string `json:"input"`
	InspectionLevel *string `json:"inspectionLevel"`
	RevealSecrets   bool    `json:"revealSecrets"`
	Variables       *string `json:"variables"`
	StateName       *string `json:"stateName"`
	Mock            *struct {
		Result      *string `json:"result"`
		ErrorOutput *struct {
			Error *string `json:"error"`
			Cause *string `json:"cause"`
		} `json:"errorOutput"`
		FieldValidationMode *string `json:"fieldValidationMode"`
	} `json:"mock"`
	StateConfiguration *struct {
		RetrierRetryCount        *int    `json:"retrierRetryCount"`
		ErrorCausedByState       *string `json:"errorCausedByState"`
		MapIterationFailureCount *int    `json:"mapIterationFailureCount"`
		MapItemReaderData        *string `json:"mapItemReaderData"`
	} `json:"stateConfiguration"`
}

func (h *Handler) testState(ctx context.Context, in *testStateIn) (any, error) {
	var v validator
	v.required("definition", in.Definition != nil)
	v.length("definition", in.Definition, 1, 1048576)
	v.length("roleArn", in.RoleArn, 1, 256)
	v.length("input", in.Input, 0, 262144)
	v.length("variables", in.Variables, 0, 262144)
	v.length("stateName", in.StateName, 1, 80)
	v.enum("inspectionLevel", in.InspectionLevel, "INFO", "DEBUG", "TRACE")
	if in.Mock != nil {
		v.length("mock.result", in.Mock.Result, 0, 262144)
		v.enum("mock.fieldValidationMode", in.Mock.FieldValidationMode, "STRICT", "PRESENT", "NONE")
	}
	if c := in.StateConfiguration; c != nil {
		v.between("stateConfiguration.retrierRetryCount", c.RetrierRetryCount, 0, math.MaxInt32)
		v.between("stateConfiguration.mapIterationFailureCount", c.MapIterationFailureCount, 0, math.MaxInt32)
		v.length("stateConfiguration.errorCausedByState", c.ErrorCausedByState, 1, 80)
		v.length("stateConfiguration.mapItemReaderData", c.MapItemReaderData, 0, 262144)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkArn(in.RoleArn, arn.Role); err != nil {
		return nil, err
	}
	ti := statemachine.TestStateInput{
		Definition: *in.Definition, RoleArn: deref(in.RoleArn, ""), Input: deref(in.Input, "{}"),
		InspectionLevel: deref(in.InspectionLevel, "INFO"), RevealSecrets: in.RevealSecrets,
		Variables: deref(in.Variables, ""), StateName: deref(in.StateName, ""),
	}
	if m := in.Mock; m != nil {
		ti.Mock = &statemachine.TestStateMock{Result: deref(m.Result, "")}
		if m.ErrorOutput != nil {
			ti.Mock.ErrorOutput = &statemachine.TestStateMockError{Error: deref(m.ErrorOutput.Error, ""), Cause: deref(m.ErrorOutput.Cause, "")}
		}
	}
	if c := in.StateConfiguration; c != nil {
		ti.StateConfiguration = statemachine.TestStateConfiguration{RetrierRetryCount: c.RetrierRetryCount,
			ErrorCausedByState: deref(c.ErrorCausedByState, ""), MapIterationFailureCount: c.MapIterationFailureCount,
			MapItemReaderData: c.MapItemReaderData}
	}
	out, err := h.eng.TestState(ctx, ti)
	if err != nil {
		return nil, err
	}
	res := struct {
		Output         *string         `json:"output,omitempty"`
		Error          *string         `json:"error,omitempty"`
		Cause          *string         `json:"cause,omitempty"`
		NextState      *string         `json:"nextState,omitempty"`
		Status         string          `json:"status"`
		InspectionData *inspectionData `json:"inspectionData,omitempty"`
	}{Status: out.Status}
	if d := out.InspectionData; d != nil {
		res.InspectionData = &inspectionData{Input: d.Input, AfterInputPath: d.AfterInputPath, AfterParameters: d.AfterParameters,
			AfterArguments: d.AfterArguments, Result: d.Result, AfterResultSelector: d.AfterResultSelector,
			AfterResultPath: d.AfterResultPath, Variables: d.Variables}
		res.InspectionData.mapAndErrors(d)
		if r := d.Request; r != nil {
			res.InspectionData.Request = &inspectionRequest{r.Protocol, r.Method, r.URL, r.Headers, r.Body}
		}
		if r := d.Response; r != nil {
			res.InspectionData.Response = &inspectionResponse{r.Protocol, r.StatusCode, r.StatusMessage, r.Headers, r.Body}
		}
	}
	for _, f := range []struct {
		dst **string
		v   string
	}{{&res.Output, out.Output}, {&res.Error, out.Error}, {&res.Cause, out.Cause}, {&res.NextState, out.NextState}} {
		if f.v != "" {
			s := f.v
			*f.dst = &s
		}
	}
	return res, nil
}

// inspectionData is TestState's InspectionData: each member a JSON text,
// left out when the state did not reach that step.
type inspectionData struct {
	Input               string `json:"input,omitempty"`
	AfterInputPath      string `json:"afterInputPath,omitempty"`
	AfterParameters     string `json:"afterParameters,omitempty"`
	AfterArguments      string `json:"afterArguments,omitempty"`
	Result              string `json:"result,omitempty"`
	AfterResultSelector string `json:"afterResultSelector,omitempty"`
	AfterResultPath     string `json:"afterResultPath,omitempty"`
	Variables           string `json:"variables,omitempty"`

	AfterItemsPath             string          `json:"afterItemsPath,omitempty"`
	AfterItemSelector          string          `json:"afterItemSelector,omitempty"`
	AfterItemBatcher           string          `json:"afterItemBatcher,omitempty"`
	MaxConcurrency             *int64          `json:"maxConcurrency,omitempty"`
	ToleratedFailureCount      *int64          `json:"toleratedFailureCount,omitempty"`
	ToleratedFailurePercentage *float64        `json:"toleratedFailurePercentage,omitempty"`
	ErrorDetails               *inspectionErrs `json:"errorDetails,omitempty"`
	// An HTTP Task's exchange, at inspection level TRACE.
	Request  *inspectionRequest  `json:"request,omitempty"`
	Response *inspectionResponse `json:"response,omitempty"`
}

// inspectionErrs is InspectionErrorDetails.
type inspectionErrs struct {
	CatchIndex                  *int `json:"catchIndex,omitempty"`
	RetryIndex                  *int `json:"retryIndex,omitempty"`
	RetryBackoffIntervalSeconds *int `json:"retryBackoffIntervalSeconds,omitempty"`
}

// mapAndErrors copies a Map's inspection members and the errorDetails.
func (o *inspectionData) mapAndErrors(d *statemachine.InspectionData) {
	o.AfterItemsPath, o.AfterItemSelector, o.AfterItemBatcher = d.AfterItemsPath, d.AfterItemSelector, d.AfterItemBatcher
	o.MaxConcurrency, o.ToleratedFailureCount, o.ToleratedFailurePercentage = d.MaxConcurrency, d.ToleratedFailureCount, d.ToleratedFailurePercentage
	if e := d.ErrorDetails; e != nil {
		o.ErrorDetails = &inspectionErrs{e.CatchIndex, e.RetryIndex, e.RetryBackoffIntervalSeconds}
	}
}

// inspectionRequest is the API's InspectionDataRequest.
type inspectionRequest struct {
	Protocol string `json:"protocol"`
	Method   string `json:"method"`
	URL      string `json:"url"`
	Headers  string `json:"headers"`
	Body     string `json:"body"`
}

// inspectionResponse is the API's InspectionDataResponse.
type inspectionResponse struct {
	Protocol      string `json:"protocol"`
	StatusCode    string `json:"statusCode"`
	StatusMessage string `json:"statusMessage"`
	Headers       string `json:"headers"`
	Body          string `json:"body"`
}
