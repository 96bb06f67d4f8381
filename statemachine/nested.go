// Nested executions: the states:startExecution integration and the
// aws-sdk:sfn actions, run against this engine.

package statemachine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/internal/interp"
	"github.com/stepwise-dev/stepwise/statemachine/states"
)

// nestedSfn starts a child execution for a states:startExecution(.sync)
// task or an aws-sdk:sfn startExecution action and, for .sync, waits for
// it.
func (e *Engine) nestedSfn(ctx context.Context, c interp.SfnCall) (any, error) {
	pm, action := c.Params, c.Action
	smArn, _ := pm["StateMachineArn"].(string)
	in := StartExecutionInput{StateMachineArn: smArn}
	if name, ok := pm["Name"].(string); ok {
		in.Name = name
	}
	if v, ok := pm["Input"]; ok && v != nil {
		in.InputSet = true
		if s, isStr := v.(string); isStr {
			in.Input = s
		} else {
			in.Input = marshal(v)
		}
	}
	x, err := e.start(ctx, in, false)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			if c.SDK {
				return nil, e.sdkSfnError(ae)
			}
			return nil, &TaskError{Name: serviceErrorName("StepFunctions", ae.Code),
				Cause: fmt.Sprintf("%s (Service: AWSStepFunctions; Status Code: 400; Error Code: %s; Request ID: %s; Proxy: null)", ae.Message, ae.Code, e.opts.NewUUID())}
		}
		return nil, &TaskError{Name: states.TaskFailed, Cause: err.Error()}
	}
	d := x.describe()
	body := `{"executionArn":"` + d.ExecutionArn + `","startDate":` + strconv.FormatFloat(float64(d.StartDate.UnixMilli())/1000, 'f', -1, 64) + `}`
	reqID := e.opts.NewUUID()
	date := strings.Replace(e.clock.Now().UTC().Format(time.RFC1123), "UTC", "GMT", 1)
	started := map[string]any{
		"ExecutionArn": d.ExecutionArn,
		"StartDate":    d.StartDate.UTC().Format(isoMillis),
		"SdkHttpMetadata": map[string]any{
			"AllHttpHeaders": map[string]any{"x-amzn-RequestId": []any{reqID}, "connection": []any{"keep-alive"}, "Content-Length": []any{strconv.Itoa(len(body))},
				"Date": []any{date}, "Content-Type": []any{"application/x-amz-json-1.0"}},
			"HttpHeaders": map[string]any{"x-amzn-RequestId": reqID, "connection": "keep-alive", "Content-Length": strconv.Itoa(len(body)),
				"Date": date, "Content-Type": "application/x-amz-json-1.0"},
			"HttpStatusCode": float64(200),
		},
		"SdkResponseMetadata": map[string]any{"RequestId": reqID},
	}
	if c.SDK {
		return map[string]any{"ExecutionArn": d.ExecutionArn, "StartDate": d.StartDate.UTC().Format(isoMillis)}, nil
	}
	if c.Pattern != RunJob {
		return started, nil
	}
	c.Submit(started)
	select {
	case <-x.done:
	case <-ctx.Done():
		_ = x.stop("", "")
		return nil, ctx.Err()
	}
	d = x.describe()
	out := map[string]any{
		"ExecutionArn":    d.ExecutionArn,
		"Input":           *d.Input,
		"InputDetails":    map[string]any{"Included": true},
		"Name":            d.Name,
		"StartDate":       d.StartDate.UTC().Format(isoMillis),
		"StateMachineArn": d.StateMachineArn,
		"Status":          d.Status,
		"StopDate":        d.StopDate.UTC().Format(isoMillis),
	}
	if d.Output != nil {
		out["Output"] = *d.Output
		out["OutputDetails"] = map[string]any{"Included": true}
		if strings.HasSuffix(action, ":2") {
			var v any
			_ = json.Unmarshal([]byte(*d.Output), &v)
			out["Output"] = v
			var iv any
			_ = json.Unmarshal([]byte(*d.Input), &iv)
			out["Input"] = iv
		}
	}
	if d.Status != StatusSucceeded {
		if d.Error != nil {
			out["Error"] = *d.Error
		}
		if d.Cause != nil {
			out["Cause"] = *d.Cause
		}
		name := states.TaskFailed
		switch d.Status {
		case StatusTimedOut:
			name = states.Timeout
		}
		return nil, &TaskError{Name: name, Cause: marshal(out)}
	}
	return out, nil
}

func (e *Engine) sdkSfn(ctx context.Context, action string, pm map[string]any) (any, error) {
	tok, _ := pm["TaskToken"].(string)
	var err error
	switch action {
	case "sendTaskSuccess":
		out, _ := pm["Output"].(string)
		err = e.SendTaskSuccess(ctx, tok, out)
	case "sendTaskFailure":
		en, _ := pm["Error"].(string)
		c, _ := pm["Cause"].(string)
		err = e.SendTaskFailure(ctx, tok, en, c)
	case "sendTaskHeartbeat":
		err = e.SendTaskHeartbeat(ctx, tok)
	case "describeExecution":
		arn, _ := pm["ExecutionArn"].(string)
		d, derr := e.DescribeExecution(ctx, arn)
		if derr != nil {
			err = derr
			break
		}
		return describeJSON(d), nil
	case "stopExecution":
		arn, _ := pm["ExecutionArn"].(string)
		en, _ := pm["Error"].(string)
		c, _ := pm["Cause"].(string)
		d, serr := e.StopExecution(ctx, arn, en, c)
		if serr != nil {
			err = serr
			break
		}
		return map[string]any{"StopDate": d.StopDate.UTC().Format(isoMillis)}, nil
	default:
		return nil, &TaskError{Name: states.Runtime, Cause: "unsupported aws-sdk:sfn action " + action}
	}
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			return nil, e.sdkSfnError(ae)
		}
		return nil, &TaskError{Name: states.TaskFailed, Cause: err.Error()}
	}
	return map[string]any{}, nil
}

func describeJSON(d *Execution) map[string]any {
	out := map[string]any{"ExecutionArn": d.ExecutionArn, "StateMachineArn": d.StateMachineArn, "Name": d.Name, "Status": d.Status,
		"StartDate": d.StartDate.UTC().Format(isoMillis)}
	if d.Input != nil {
		out["Input"] = *d.Input
		out["InputDetails"] = map[string]any{"Included": true}
	}
	if d.Output != nil {
		out["Output"] = *d.Output
		out["OutputDetails"] = map[string]any{"Included": true}
	}
	describeMore(d, out)
	return out
}
