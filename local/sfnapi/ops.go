package sfnapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/statemachine/arn"
)

// op adapts a typed operation to the dispatch table: decode, validate, run.
func op[In any](fn func(context.Context, *In) (any, error)) func(context.Context, []byte) (any, error) {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if err := decode(body, in); err != nil {
			return nil, err
		}
		return fn(ctx, in)
	}
}

func (h *Handler) operations() map[string]func(context.Context, []byte) (any, error) {
	ops := map[string]func(context.Context, []byte) (any, error){
		"CreateStateMachine":               op(h.createStateMachine),
		"UpdateStateMachine":               op(h.updateStateMachine),
		"DescribeStateMachine":             op(h.describeStateMachine),
		"ListStateMachines":                op(h.listStateMachines),
		"DeleteStateMachine":               op(h.deleteStateMachine),
		"ValidateStateMachineDefinition":   op(h.validateDefinition),
		"StartExecution":                   op(h.startExecution),
		"StartSyncExecution":               op(h.startSyncExecution),
		"DescribeExecution":                op(h.describeExecution),
		"DescribeStateMachineForExecution": op(h.describeStateMachineForExecution),
		"ListExecutions":                   op(h.listExecutions),
		"GetExecutionHistory":              op(h.getExecutionHistory),
		"StopExecution":                    op(h.stopExecution),
		"RedriveExecution":                 op(h.redriveExecution),
		"SendTaskSuccess":                  op(h.sendTaskSuccess),
		"SendTaskFailure":                  op(h.sendTaskFailure),
		"SendTaskHeartbeat":                op(h.sendTaskHeartbeat),
		"DescribeMapRun":                   op(h.describeMapRun),
		"ListMapRuns":                      op(h.listMapRuns),
		"TestState":                        op(h.testState),
		"ListTagsForResource":              op(h.listTagsForResource),
		"TagResource":                      op(h.tagResource),
		"UntagResource":                    op(h.untagResource),
		"UpdateMapRun":                     op(h.updateMapRun),
		"PublishStateMachineVersion":       op(h.publishStateMachineVersion),
		"ListStateMachineVersions":         op(h.listStateMachineVersions),
		"DeleteStateMachineVersion":        op(h.deleteStateMachineVersion),
		"CreateStateMachineAlias":          op(h.createStateMachineAlias),
		"DescribeStateMachineAlias":        op(h.describeStateMachineAlias),
		"UpdateStateMachineAlias":          op(h.updateStateMachineAlias),
		"DeleteStateMachineAlias":          op(h.deleteStateMachineAlias),
		"ListStateMachineAliases":          op(h.listStateMachineAliases),
	}
	for name, fn := range h.activityOperations() {
		ops[name] = fn
	}
	return ops
}

type empty struct{}

// State machines.

type createStateMachineIn struct {
	Name               *string    `json:"name"`
	Definition         *string    `json:"definition"`
	RoleArn            *string    `json:"roleArn"`
	Type               *string    `json:"type"`
	Publish            bool       `json:"publish"`
	VersionDescription *string    `json:"versionDescription"`
	Tags               []tagIn    `json:"tags"`
	Logging            *loggingIn `json:"loggingConfiguration"`
	Tracing            *tracingIn `json:"tracingConfiguration"`
	// encryptionConfiguration is accepted and ignored.
}

func (h *Handler) createStateMachine(ctx context.Context, in *createStateMachineIn) (any, error) {
	var v validator
	v.required("name", in.Name != nil)
	v.required("definition", in.Definition != nil)
	v.required("roleArn", in.RoleArn != nil)
	v.length("name", in.Name, 1, 80)
	v.length("definition", in.Definition, 1, 1048576)
	v.length("roleArn", in.RoleArn, 1, 256)
	v.enum("type", in.Type, "STANDARD", "EXPRESS")
	v.length("versionDescription", in.VersionDescription, 0, 256)
	checkTagList(&v, in.Tags)
	in.Logging.check(&v)
	if err := v.err(); err != nil {
		return nil, err
	}
	if in.VersionDescription != nil && !in.Publish {
		return nil, &apiError{Code: "ValidationException", Message: "Version description can only be set when publish is true"}
	}
	sm, err := h.eng.CreateStateMachine(ctx, statemachine.CreateStateMachineInput{
		Name: *in.Name, Definition: *in.Definition, RoleArn: *in.RoleArn, Type: deref(in.Type, "STANDARD"),
		Publish: in.Publish, VersionDescription: deref(in.VersionDescription, ""),
		Tags: engineTags(in.Tags), Logging: in.Logging.engine(), Tracing: in.Tracing.engine(),
	})
	if err != nil {
		return nil, err
	}
	return struct {
		StateMachineArn        string `json:"stateMachineArn"`
		CreationDate           epoch  `json:"creationDate"`
		StateMachineVersionArn string `json:"stateMachineVersionArn,omitempty"`
	}{sm.Arn, epoch(sm.CreationDate), sm.VersionArn}, nil
}

type updateStateMachineIn struct {
	StateMachineArn    *string    `json:"stateMachineArn"`
	Definition         *string    `json:"definition"`
	RoleArn            *string    `json:"roleArn"`
	Logging            *loggingIn `json:"loggingConfiguration"`
	Tracing            *tracingIn `json:"tracingConfiguration"`
	Publish            bool       `json:"publish"`
	VersionDescription *string    `json:"versionDescription"`
}

func (h *Handler) updateStateMachine(ctx context.Context, in *updateStateMachineIn) (any, error) {
	var v validator
	v.required("stateMachineArn", in.StateMachineArn != nil)
	v.length("stateMachineArn", in.StateMachineArn, 1, 256)
	v.length("definition", in.Definition, 1, 1048576)
	v.length("roleArn", in.RoleArn, 1, 256)
	v.length("versionDescription", in.VersionDescription, 0, 256)
	in.Logging.check(&v)
	if err := v.err(); err != nil {
		return nil, err
	}
	if in.VersionDescription != nil && !in.Publish {
		return nil, &apiError{Code: "ValidationException", Message: "Version description can only be set when publish is true"}
	}
	// Any one of the four is an update (the API reference's "at least one
	// of definition or roleArn" predates the other two).
	if in.Definition == nil && in.RoleArn == nil && in.Logging == nil && in.Tracing == nil {
		return nil, &apiError{Code: "MissingRequiredParameter", Message: "Either the definition, the roleArn, the loggingConfiguration or the tracingConfiguration must be specified"}
	}
	sm, err := h.eng.UpdateStateMachine(ctx, statemachine.UpdateStateMachineInput{
		StateMachineArn: *in.StateMachineArn, Definition: in.Definition, RoleArn: in.RoleArn,
		Logging: in.Logging.engine(), Tracing: in.Tracing.engine(),
		Publish: in.Publish, VersionDescription: deref(in.VersionDescription, ""),
	})
	if err != nil {
		return nil, err
	}
	return struct {
		UpdateDate             epoch  `json:"updateDate"`
		RevisionID             string `json:"revisionId,omitempty"`
		StateMachineVersionArn string `json:"stateMachineVersionArn,omitempty"`
	}{epoch(updateDate(sm)), sm.RevisionID, sm.VersionArn}, nil
}

type arnIn struct {
	StateMachineArn *string `json:"stateMachineArn"`
}

type stateMachineOut struct {
	StateMachineArn      string     `json:"stateMachineArn"`
	Name                 string     `json:"name"`
	Status               string     `json:"status,omitempty"`
	Definition           string     `json:"definition"`
	RoleArn              string     `json:"roleArn"`
	Type                 string     `json:"type"`
	CreationDate         epoch      `json:"creationDate"`
	LoggingConfiguration loggingOut `json:"loggingConfiguration"`
	TracingConfiguration tracingOut `json:"tracingConfiguration"`
	RevisionID           string     `json:"revisionId,omitempty"`
	Description          string     `json:"description,omitempty"`
}

func smOut(sm *statemachine.StateMachine) stateMachineOut {
	return stateMachineOut{
		StateMachineArn: sm.Arn, Name: sm.Name, Status: sm.Status, Definition: sm.Definition,
		RoleArn: sm.RoleArn, Type: sm.Type, CreationDate: epoch(sm.CreationDate),
		LoggingConfiguration: logging(sm.Logging),
		TracingConfiguration: tracingOut{sm.Tracing.Enabled},
		RevisionID:           sm.RevisionID,
		Description:          sm.Description,
	}
}

func (h *Handler) describeStateMachine(ctx context.Context, in *arnIn) (any, error) {
	if err := requireArn("stateMachineArn", in.StateMachineArn); err != nil {
		return nil, err
	}
	sm, err := h.eng.DescribeStateMachine(ctx, *in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	return smOut(sm), nil
}

func (h *Handler) deleteStateMachine(ctx context.Context, in *arnIn) (any, error) {
	if err := requireArn("stateMachineArn", in.StateMachineArn); err != nil {
		return nil, err
	}
	return empty{}, h.eng.DeleteStateMachine(ctx, *in.StateMachineArn)
}

// listIn is the input of ListStateMachines. The other list operations
// declare maxResults and nextToken themselves rather than embed listIn:
// encoding/json names an embedded struct's Go type in its errors
// ("listIn.maxResults"), which would reach the client.
type listIn struct {
	MaxResults *int    `json:"maxResults"`
	NextToken  *string `json:"nextToken"`
}

// checkPage checks the paging members every list operation has.
func checkPage(v *validator, maxResults *int, nextToken *string) {
	v.between("maxResults", maxResults, 0, 1000)
	v.length("nextToken", nextToken, 1, 1024)
}

type stateMachineListItem struct {
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Type            string `json:"type"`
	CreationDate    epoch  `json:"creationDate"`
}

func (h *Handler) listStateMachines(ctx context.Context, in *listIn) (any, error) {
	var v validator
	checkPage(&v, in.MaxResults, in.NextToken)
	if err := v.err(); err != nil {
		return nil, err
	}
	sms, err := h.eng.ListStateMachines(ctx)
	if err != nil {
		return nil, err
	}
	lo, hi, next, err := page(len(sms), func(i int) string { return sms[i].Arn }, in.MaxResults, in.NextToken, "ListStateMachines")
	if err != nil {
		return nil, err
	}
	items := []stateMachineListItem{}
	for _, sm := range sms[lo:hi] {
		items = append(items, stateMachineListItem{sm.Arn, sm.Name, sm.Type, epoch(sm.CreationDate)})
	}
	return struct {
		StateMachines []stateMachineListItem `json:"stateMachines"`
		NextToken     *string                `json:"nextToken,omitempty"`
	}{items, next}, nil
}

type validateIn struct {
	Definition *string `json:"definition"`
	Type       *string `json:"type"`
	Severity   *string `json:"severity"`
	MaxResults *int    `json:"maxResults"`
}

type diagnosticOut struct {
	Severity string  `json:"severity"`
	Code     string  `json:"code"`
	Message  string  `json:"message"`
	Location *string `json:"location,omitempty"`
}

func (h *Handler) validateDefinition(ctx context.Context, in *validateIn) (any, error) {
	var v validator
	v.required("definition", in.Definition != nil)
	v.length("definition", in.Definition, 1, 1048576)
	v.enum("type", in.Type, "STANDARD", "EXPRESS")
	v.enum("severity", in.Severity, "ERROR", "WARNING")
	v.between("maxResults", in.MaxResults, 0, 100)
	if err := v.err(); err != nil {
		return nil, err
	}
	diags := h.eng.ValidateDefinition(*in.Definition, deref(in.Type, "STANDARD"))
	result := "OK"
	out := []diagnosticOut{}
	max := 100
	if in.MaxResults != nil && *in.MaxResults > 0 {
		max = *in.MaxResults
	}
	truncated := false
	for _, d := range diags {
		if d.Severity == "ERROR" {
			result = "FAIL"
		}
		// severity ERROR (the default) leaves out warnings.
		if d.Severity == "WARNING" && deref(in.Severity, "ERROR") == "ERROR" {
			continue
		}
		if len(out) == max {
			truncated = true
			continue
		}
		do := diagnosticOut{Severity: d.Severity, Code: d.Code, Message: d.Message}
		if d.Location != "" {
			loc := d.Location
			do.Location = &loc
		}
		out = append(out, do)
	}
	return struct {
		Result      string          `json:"result"`
		Diagnostics []diagnosticOut `json:"diagnostics"`
		Truncated   bool            `json:"truncated"`
	}{result, out, truncated}, nil
}

// Executions.

type startIn struct {
	StateMachineArn *string `json:"stateMachineArn"`
	Name            *string `json:"name"`
	Input           *string `json:"input"`
	TraceHeader     *string `json:"traceHeader"`
}

func (in *startIn) engineInput() (statemachine.StartExecutionInput, error) {
	var v validator
	v.required("stateMachineArn", in.StateMachineArn != nil)
	v.length("stateMachineArn", in.StateMachineArn, 1, 256)
	v.length("name", in.Name, 1, 80)
	v.length("input", in.Input, 0, 262144)
	v.length("traceHeader", in.TraceHeader, 0, 256)
	if err := v.err(); err != nil {
		return statemachine.StartExecutionInput{}, err
	}
	return statemachine.StartExecutionInput{
		StateMachineArn: *in.StateMachineArn, Name: deref(in.Name, ""),
		Input: deref(in.Input, ""), InputSet: in.Input != nil, TraceHeader: deref(in.TraceHeader, ""),
	}, nil
}

func (h *Handler) startExecution(ctx context.Context, in *startIn) (any, error) {
	si, err := in.engineInput()
	if err != nil {
		return nil, err
	}
	started, err := h.beforeStart(ctx, &si)
	if err != nil {
		return nil, err
	}
	ex, err := h.eng.StartExecution(ctx, si)
	if err != nil {
		return nil, err
	}
	started(ex.ExecutionArn)
	return struct {
		ExecutionArn string `json:"executionArn"`
		StartDate    epoch  `json:"startDate"`
	}{ex.ExecutionArn, epoch(ex.StartDate)}, nil
}

func (h *Handler) startSyncExecution(ctx context.Context, in *startIn) (any, error) {
	si, err := in.engineInput()
	if err != nil {
		return nil, err
	}
	started, err := h.beforeStart(ctx, &si)
	if err != nil {
		return nil, err
	}
	ex, err := h.eng.StartSyncExecution(ctx, si)
	if err != nil {
		return nil, err
	}
	started(ex.ExecutionArn)
	out := struct {
		ExecutionArn    string       `json:"executionArn"`
		StateMachineArn string       `json:"stateMachineArn"`
		Name            string       `json:"name"`
		StartDate       epoch        `json:"startDate"`
		StopDate        *epoch       `json:"stopDate"`
		Status          string       `json:"status"`
		Error           *string      `json:"error,omitempty"`
		Cause           *string      `json:"cause,omitempty"`
		Input           *string      `json:"input,omitempty"`
		InputDetails    dataDetails  `json:"inputDetails"`
		Output          *string      `json:"output,omitempty"`
		OutputDetails   *dataDetails `json:"outputDetails,omitempty"`
		TraceHeader     string       `json:"traceHeader,omitempty"`
		BillingDetails  struct {
			BilledMemoryUsedInMB         int64 `json:"billedMemoryUsedInMB"`
			BilledDurationInMilliseconds int64 `json:"billedDurationInMilliseconds"`
		} `json:"billingDetails"`
	}{
		ExecutionArn: ex.ExecutionArn, StateMachineArn: ex.StateMachineArn, Name: ex.Name,
		StartDate: epoch(ex.StartDate), StopDate: epochPtr(ex.StopDate), Status: ex.Status,
		Error: ex.Error, Cause: ex.Cause, Input: ex.Input, InputDetails: dataDetails{true},
		Output: ex.Output, TraceHeader: ex.TraceHeader,
	}
	if ex.Output != nil {
		out.OutputDetails = &dataDetails{true}
	}
	if ex.StopDate != nil {
		d := ex.StopDate.Sub(ex.StartDate)
		out.BillingDetails.BilledDurationInMilliseconds = max(100, (d.Milliseconds()+99)/100*100)
		out.BillingDetails.BilledMemoryUsedInMB = 64
	}
	return out, nil
}

type describeExecutionIn struct {
	ExecutionArn *string `json:"executionArn"`
	IncludedData *string `json:"includedData"`
}

type executionOut struct {
	ExecutionArn        string       `json:"executionArn"`
	StateMachineArn     string       `json:"stateMachineArn"`
	Name                string       `json:"name"`
	Status              string       `json:"status"`
	StartDate           epoch        `json:"startDate"`
	StopDate            *epoch       `json:"stopDate,omitempty"`
	Input               *string      `json:"input,omitempty"`
	InputDetails        *dataDetails `json:"inputDetails,omitempty"`
	Output              *string      `json:"output,omitempty"`
	OutputDetails       *dataDetails `json:"outputDetails,omitempty"`
	Error               *string      `json:"error,omitempty"`
	Cause               *string      `json:"cause,omitempty"`
	TraceHeader         string       `json:"traceHeader,omitempty"`
	MapRunArn           string       `json:"mapRunArn,omitempty"`
	RedriveCount        int          `json:"redriveCount"`
	RedriveDate         *epoch       `json:"redriveDate,omitempty"`
	RedriveStatus       string       `json:"redriveStatus,omitempty"`
	RedriveStatusReason string       `json:"redriveStatusReason,omitempty"`
	// The version and alias StartExecution went through, if any.
	StateMachineVersionArn string `json:"stateMachineVersionArn,omitempty"`
	StateMachineAliasArn   string `json:"stateMachineAliasArn,omitempty"`
}

func (h *Handler) describeExecution(ctx context.Context, in *describeExecutionIn) (any, error) {
	if err := requireArn("executionArn", in.ExecutionArn); err != nil {
		return nil, err
	}
	if err := notExpress(*in.ExecutionArn); err != nil {
		return nil, err
	}
	var v validator
	v.enum("includedData", in.IncludedData, "ALL_DATA", "METADATA_ONLY")
	if err := v.err(); err != nil {
		return nil, err
	}
	ex, err := h.eng.DescribeExecution(ctx, *in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := executionOut{
		ExecutionArn: ex.ExecutionArn, StateMachineArn: ex.StateMachineArn, Name: ex.Name, Status: ex.Status,
		StartDate: epoch(ex.StartDate), StopDate: epochPtr(ex.StopDate),
		Error: ex.Error, Cause: ex.Cause, TraceHeader: ex.TraceHeader, MapRunArn: ex.MapRunArn,
		RedriveCount: ex.RedriveCount, RedriveDate: epochPtr(ex.RedriveDate), RedriveStatus: ex.RedriveStatus,
		RedriveStatusReason:    ex.RedriveStatusReason,
		StateMachineVersionArn: ex.StateMachineVersionArn, StateMachineAliasArn: ex.StateMachineAliasArn,
	}
	if deref(in.IncludedData, "ALL_DATA") == "ALL_DATA" {
		out.Input, out.InputDetails = ex.Input, &dataDetails{true}
		if ex.Output != nil {
			out.Output, out.OutputDetails = ex.Output, &dataDetails{true}
		}
	}
	return out, nil
}

func (h *Handler) describeStateMachineForExecution(ctx context.Context, in *describeExecutionIn) (any, error) {
	if err := requireArn("executionArn", in.ExecutionArn); err != nil {
		return nil, err
	}
	if err := notExpress(*in.ExecutionArn); err != nil {
		return nil, err
	}
	ex, err := h.eng.DescribeExecution(ctx, *in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	smArn := ex.StateMachineArn
	if ex.StateMachineVersionArn != "" {
		smArn = ex.StateMachineVersionArn // the version's definition is what ran
	}
	sm, err := h.eng.DescribeStateMachine(ctx, smArn)
	if err != nil {
		return nil, err
	}
	return struct {
		StateMachineArn      string     `json:"stateMachineArn"`
		Name                 string     `json:"name"`
		Definition           string     `json:"definition"`
		RoleArn              string     `json:"roleArn"`
		UpdateDate           epoch      `json:"updateDate"`
		MapRunArn            string     `json:"mapRunArn,omitempty"`
		LoggingConfiguration loggingOut `json:"loggingConfiguration"`
		TracingConfiguration tracingOut `json:"tracingConfiguration"`
	}{sm.Arn, sm.Name, sm.Definition, sm.RoleArn, epoch(updateDate(sm)), ex.MapRunArn,
		logging(sm.Logging), tracingOut{sm.Tracing.Enabled}}, nil
}

type listExecutionsIn struct {
	MaxResults      *int    `json:"maxResults"`
	NextToken       *string `json:"nextToken"`
	StateMachineArn *string `json:"stateMachineArn"`
	StatusFilter    *string `json:"statusFilter"`
	MapRunArn       *string `json:"mapRunArn"`
	RedriveFilter   *string `json:"redriveFilter"`
}

type executionListItem struct {
	ExecutionArn    string `json:"executionArn"`
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Status          string `json:"status"`
	StartDate       epoch  `json:"startDate"`
	StopDate        *epoch `json:"stopDate,omitempty"`
	MapRunArn       string `json:"mapRunArn,omitempty"`
	RedriveCount    int    `json:"redriveCount"`
	RedriveDate     *epoch `json:"redriveDate,omitempty"`
	// The version and alias StartExecution went through, if any.
	StateMachineVersionArn string `json:"stateMachineVersionArn,omitempty"`
	StateMachineAliasArn   string `json:"stateMachineAliasArn,omitempty"`
}

func (h *Handler) listExecutions(ctx context.Context, in *listExecutionsIn) (any, error) {
	var v validator
	checkPage(&v, in.MaxResults, in.NextToken)
	v.length("stateMachineArn", in.StateMachineArn, 1, 256)
	v.length("mapRunArn", in.MapRunArn, 1, 2000)
	v.enum("statusFilter", in.StatusFilter, "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")
	v.enum("redriveFilter", in.RedriveFilter, "REDRIVEN", "NOT_REDRIVEN")
	if err := v.err(); err != nil {
		return nil, err
	}
	if (in.StateMachineArn == nil) == (in.MapRunArn == nil) {
		return nil, &apiError{Code: "ValidationException", Message: "Must provide a StateMachine ARN or MapRun ARN"}
	}
	exs, err := h.eng.ListExecutions(ctx, statemachine.ListExecutionsInput{
		StateMachineArn: deref(in.StateMachineArn, ""), StatusFilter: deref(in.StatusFilter, ""), MapRunArn: deref(in.MapRunArn, ""),
	})
	if err != nil {
		return nil, err
	}
	if in.RedriveFilter != nil {
		kept := exs[:0:0]
		for _, ex := range exs {
			if (ex.RedriveCount > 0) == (*in.RedriveFilter == "REDRIVEN") {
				kept = append(kept, ex)
			}
		}
		exs = kept
	}
	scope := "ListExecutions/" + deref(in.StateMachineArn, "") + "/" + deref(in.MapRunArn, "") + "/" + deref(in.StatusFilter, "") + "/" + deref(in.RedriveFilter, "")
	lo, hi, next, err := page(len(exs), func(i int) string { return exs[i].ExecutionArn }, in.MaxResults, in.NextToken, scope)
	if err != nil {
		return nil, err
	}
	items := []executionListItem{}
	for _, ex := range exs[lo:hi] {
		items = append(items, executionListItem{
			ExecutionArn: ex.ExecutionArn, StateMachineArn: ex.StateMachineArn, Name: ex.Name, Status: ex.Status,
			StartDate: epoch(ex.StartDate), StopDate: epochPtr(ex.StopDate), MapRunArn: ex.MapRunArn,
			RedriveCount: ex.RedriveCount, RedriveDate: epochPtr(ex.RedriveDate),
			StateMachineVersionArn: ex.StateMachineVersionArn, StateMachineAliasArn: ex.StateMachineAliasArn,
		})
	}
	return struct {
		Executions []executionListItem `json:"executions"`
		NextToken  *string             `json:"nextToken,omitempty"`
	}{items, next}, nil
}

type historyIn struct {
	MaxResults           *int    `json:"maxResults"`
	NextToken            *string `json:"nextToken"`
	ExecutionArn         *string `json:"executionArn"`
	ReverseOrder         bool    `json:"reverseOrder"`
	IncludeExecutionData *bool   `json:"includeExecutionData"`
}

func (h *Handler) getExecutionHistory(ctx context.Context, in *historyIn) (any, error) {
	var v validator
	checkPage(&v, in.MaxResults, in.NextToken)
	v.required("executionArn", in.ExecutionArn != nil)
	v.length("executionArn", in.ExecutionArn, 1, 256)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := notExpress(*in.ExecutionArn); err != nil {
		return nil, err
	}
	events, err := h.eng.GetExecutionHistory(ctx, *in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	scope := "GetExecutionHistory/" + *in.ExecutionArn
	if in.ReverseOrder {
		scope += "/reverse"
	}
	at := func(i int) statemachine.HistoryEvent {
		if in.ReverseOrder {
			return events[len(events)-1-i]
		}
		return events[i]
	}
	lo, hi, next, err := page(len(events), func(i int) string { return strconv.FormatInt(at(i).ID, 10) }, in.MaxResults, in.NextToken, scope)
	if err != nil {
		return nil, err
	}
	withData := in.IncludeExecutionData == nil || *in.IncludeExecutionData
	out := make([]json.RawMessage, 0, hi-lo)
	for i := lo; i < hi; i++ {
		b, err := at(i).MarshalJSON()
		if err != nil {
			return nil, err
		}
		if !withData {
			b = stripExecutionData(b)
		}
		out = append(out, b)
	}
	return struct {
		Events    []json.RawMessage `json:"events"`
		NextToken *string           `json:"nextToken,omitempty"`
	}{out, next}, nil
}

// stripExecutionData removes input and output from an event's details, as
// GetExecutionHistory does with includeExecutionData false.
func stripExecutionData(event []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(event, &m) != nil {
		return event
	}
	for k, raw := range m {
		if len(k) < len("EventDetails") || k[len(k)-len("EventDetails"):] != "EventDetails" {
			continue
		}
		var d map[string]json.RawMessage
		if json.Unmarshal(raw, &d) != nil {
			continue
		}
		for _, f := range []string{"input", "output", "inputDetails", "outputDetails"} {
			delete(d, f)
		}
		m[k], _ = marshal(d)
	}
	b, _ := marshal(m)
	return b
}

type stopIn struct {
	ExecutionArn *string `json:"executionArn"`
	Error        *string `json:"error"`
	Cause        *string `json:"cause"`
}

func (h *Handler) stopExecution(ctx context.Context, in *stopIn) (any, error) {
	var v validator
	v.required("executionArn", in.ExecutionArn != nil)
	v.length("executionArn", in.ExecutionArn, 1, 256)
	v.length("error", in.Error, 0, 256)
	v.length("cause", in.Cause, 0, 32768)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := notExpress(*in.ExecutionArn); err != nil {
		return nil, err
	}
	ex, err := h.eng.StopExecution(ctx, *in.ExecutionArn, deref(in.Error, ""), deref(in.Cause, ""))
	if err != nil {
		return nil, err
	}
	stop := ex.StopDate
	if stop == nil {
		now := time.Now()
		stop = &now
	}
	return struct {
		StopDate epoch `json:"stopDate"`
	}{epoch(*stop)}, nil
}

type redriveIn struct {
	ExecutionArn *string `json:"executionArn"`
	ClientToken  *string `json:"clientToken"`
}

func (h *Handler) redriveExecution(ctx context.Context, in *redriveIn) (any, error) {
	var v validator
	v.required("executionArn", in.ExecutionArn != nil)
	v.length("executionArn", in.ExecutionArn, 1, 256)
	v.length("clientToken", in.ClientToken, 1, 64)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := notExpress(*in.ExecutionArn); err != nil {
		return nil, err
	}
	ex, err := h.eng.RedriveExecution(ctx, *in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	rd := ex.RedriveDate
	if rd == nil {
		now := time.Now()
		rd = &now
	}
	return struct {
		RedriveDate epoch `json:"redriveDate"`
	}{epoch(*rd)}, nil
}

// Task tokens.

type taskIn struct {
	TaskToken *string `json:"taskToken"`
	Output    *string `json:"output"`
	Error     *string `json:"error"`
	Cause     *string `json:"cause"`
}

func (in *taskIn) check(v *validator) {
	v.required("taskToken", in.TaskToken != nil)
	v.length("taskToken", in.TaskToken, 1, 2048)
}

func (h *Handler) sendTaskSuccess(ctx context.Context, in *taskIn) (any, error) {
	var v validator
	in.check(&v)
	v.required("output", in.Output != nil)
	v.length("output", in.Output, 0, 262144)
	if err := v.err(); err != nil {
		return nil, err
	}
	return empty{}, h.eng.SendTaskSuccess(ctx, *in.TaskToken, *in.Output)
}

func (h *Handler) sendTaskFailure(ctx context.Context, in *taskIn) (any, error) {
	var v validator
	in.check(&v)
	v.length("error", in.Error, 0, 256)
	v.length("cause", in.Cause, 0, 32768)
	if err := v.err(); err != nil {
		return nil, err
	}
	return empty{}, h.eng.SendTaskFailure(ctx, *in.TaskToken, deref(in.Error, ""), deref(in.Cause, ""))
}

func (h *Handler) sendTaskHeartbeat(ctx context.Context, in *taskIn) (any, error) {
	var v validator
	in.check(&v)
	if err := v.err(); err != nil {
		return nil, err
	}
	return empty{}, h.eng.SendTaskHeartbeat(ctx, *in.TaskToken)
}

// Map runs.

type mapRunIn struct {
	MaxResults   *int    `json:"maxResults"`
	NextToken    *string `json:"nextToken"`
	MapRunArn    *string `json:"mapRunArn"`
	ExecutionArn *string `json:"executionArn"`
}

func (h *Handler) describeMapRun(ctx context.Context, in *mapRunIn) (any, error) {
	var v validator
	v.required("mapRunArn", in.MapRunArn != nil)
	v.length("mapRunArn", in.MapRunArn, 1, 2000)
	if err := v.err(); err != nil {
		return nil, err
	}
	mr, err := h.eng.DescribeMapRun(ctx, *in.MapRunArn)
	if err != nil {
		return nil, err
	}
	return mapRunOut(mr), nil
}

func (h *Handler) listMapRuns(ctx context.Context, in *mapRunIn) (any, error) {
	var v validator
	checkPage(&v, in.MaxResults, in.NextToken)
	v.required("executionArn", in.ExecutionArn != nil)
	v.length("executionArn", in.ExecutionArn, 1, 256)
	if err := v.err(); err != nil {
		return nil, err
	}
	runs, err := h.eng.ListMapRuns(ctx, *in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	lo, hi, next, err := page(len(runs), func(i int) string { return runs[i].MapRunArn }, in.MaxResults, in.NextToken, "ListMapRuns/"+*in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	items := []mapRunItem{}
	for _, mr := range runs[lo:hi] {
		items = append(items, mapRunListItem(mr))
	}
	return struct {
		MapRuns   []mapRunItem `json:"mapRuns"`
		NextToken *string      `json:"nextToken,omitempty"`
	}{items, next}, nil
}

// Tags.

type tagsIn struct {
	ResourceArn *string  `json:"resourceArn"`
	Tags        []tagIn  `json:"tags"`
	TagKeys     []string `json:"tagKeys"`
}

// tagIn is a Tag on the wire; pointers tell a missing member from "".
type tagIn struct {
	Key   *string `json:"key"`
	Value *string `json:"value"`
}

type tagOut struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// checkTagList checks the model constraints of a tag list, naming members
// as AWS does (tags.1.member.key).
func checkTagList(v *validator, tags []tagIn) {
	for i, t := range tags {
		at := fmt.Sprintf("tags.%d.member.", i+1)
		v.length(at+"key", t.Key, 1, 128)
		v.length(at+"value", t.Value, 0, 256)
	}
}

func engineTags(tags []tagIn) []statemachine.Tag {
	out := make([]statemachine.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, statemachine.Tag{Key: deref(t.Key, ""), Value: deref(t.Value, "")})
	}
	return out
}

// checkTaggable checks resourceArn: present, of the model's length, and a
// state machine or activity ARN.
func checkTaggable(v *validator, in *tagsIn) error {
	v.required("resourceArn", in.ResourceArn != nil)
	v.length("resourceArn", in.ResourceArn, 1, 256)
	if err := v.err(); err != nil {
		return err
	}
	return checkArn(in.ResourceArn, arn.Taggable)
}

func (h *Handler) tagResource(ctx context.Context, in *tagsIn) (any, error) {
	var v validator
	v.required("tags", in.Tags != nil)
	checkTagList(&v, in.Tags)
	if err := checkTaggable(&v, in); err != nil {
		return nil, err
	}
	return empty{}, h.eng.TagResource(ctx, *in.ResourceArn, engineTags(in.Tags))
}

func (h *Handler) untagResource(ctx context.Context, in *tagsIn) (any, error) {
	var v validator
	v.required("tagKeys", in.TagKeys != nil)
	for i := range in.TagKeys {
		v.length(fmt.Sprintf("tagKeys.%d.member", i+1), &in.TagKeys[i], 1, 128)
	}
	if err := checkTaggable(&v, in); err != nil {
		return nil, err
	}
	return empty{}, h.eng.UntagResource(ctx, *in.ResourceArn, in.TagKeys)
}

func (h *Handler) listTagsForResource(ctx context.Context, in *tagsIn) (any, error) {
	var v validator
	if err := checkTaggable(&v, in); err != nil {
		return nil, err
	}
	tags, err := h.eng.ListTagsForResource(ctx, *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	out := make([]tagOut, 0, len(tags))
	for _, t := range tags {
		out = append(out, tagOut{t.Key, t.Value})
	}
	return struct {
		Tags []tagOut `json:"tags"`
	}{out}, nil
}

// Logging and tracing configuration.

type logDestination struct {
	CloudWatchLogsLogGroup *struct {
		LogGroupArn *string `json:"logGroupArn"`
	} `json:"cloudWatchLogsLogGroup"`
}

type loggingIn struct {
	Level                *string          `json:"level"`
	IncludeExecutionData bool             `json:"includeExecutionData"`
	Destinations         []logDestination `json:"destinations"`
}

func (l *loggingIn) check(v *validator) {
	if l == nil {
		return
	}
	v.enum("loggingConfiguration.level", l.Level, "ALL", "ERROR", "FATAL", "OFF")
	for i, d := range l.Destinations {
		if d.CloudWatchLogsLogGroup != nil {
			v.length(fmt.Sprintf("loggingConfiguration.destinations.%d.member.cloudWatchLogsLogGroup.logGroupArn", i+1), d.CloudWatchLogsLogGroup.LogGroupArn, 1, 256)
		}
	}
}

func (l *loggingIn) engine() *statemachine.LoggingConfiguration {
	if l == nil {
		return nil
	}
	out := &statemachine.LoggingConfiguration{Level: deref(l.Level, "OFF"), IncludeExecutionData: l.IncludeExecutionData}
	if l.Destinations != nil {
		out.Destinations = []string{}
		for _, d := range l.Destinations {
			a := ""
			if d.CloudWatchLogsLogGroup != nil {
				a = deref(d.CloudWatchLogsLogGroup.LogGroupArn, "")
			}
			out.Destinations = append(out.Destinations, a)
		}
	}
	return out
}

type loggingOut struct {
	Level                string            `json:"level"`
	IncludeExecutionData bool              `json:"includeExecutionData"`
	Destinations         *[]logDestination `json:"destinations,omitempty"`
}

func logging(l statemachine.LoggingConfiguration) loggingOut {
	out := loggingOut{Level: l.Level, IncludeExecutionData: l.IncludeExecutionData}
	if out.Level == "" {
		out.Level = "OFF"
	}
	if l.Destinations != nil {
		ds := []logDestination{}
		for _, a := range l.Destinations {
			d := logDestination{}
			d.CloudWatchLogsLogGroup = &struct {
				LogGroupArn *string `json:"logGroupArn"`
			}{&a}
			ds = append(ds, d)
		}
		out.Destinations = &ds
	}
	return out
}

type tracingIn struct {
	Enabled bool `json:"enabled"`
}

func (t *tracingIn) engine() *statemachine.TracingConfiguration {
	if t == nil {
		return nil
	}
	return &statemachine.TracingConfiguration{Enabled: t.Enabled}
}

type tracingOut struct {
	Enabled bool `json:"enabled"`
}

// notExpress refuses an Express execution's ARN, as DescribeExecution,
// GetExecutionHistory and StopExecution do on AWS (message recorded
// there); DescribeStateMachineForExecution and RedriveExecution are
// documented as not supporting Express either. The engine keeps Express
// executions describable for Go callers; the API does not.
func notExpress(executionArn string) error {
	if parts := strings.SplitN(executionArn, ":", 7); len(parts) == 7 && parts[5] == "express" {
		return &apiError{Code: "InvalidArn", Message: "Invalid Arn: 'Resource type not valid in this context: express'"}
	}
	return nil
}

func requireArn(field string, s *string) error {
	var v validator
	v.required(field, s != nil)
	v.length(field, s, 1, 256)
	return v.err()
}

func deref(s *string, def string) string {
	if s == nil {
		return def
	}
	return *s
}
