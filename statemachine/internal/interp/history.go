package interp

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/eventtype"
)

// HistoryEvent is one event of an execution's history, as
// GetExecutionHistory returns it. Details is a pointer to one of the
// *EventDetails types of this package, or of package statemachine for the
// events only the control plane records (nil for events without details,
// such as ParallelStateStarted).
type HistoryEvent struct {
	ID              int64
	PreviousEventID int64
	Timestamp       time.Time
	Type            string
	Details         any
}

// MarshalJSON writes the AWS GetExecutionHistory shape:
// {"timestamp":<epoch seconds>,"type":..,"id":..,"previousEventId":..,"<lowerCamelType>EventDetails":{..}}.
func (ev HistoryEvent) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 256)
	b = append(b, `{"timestamp":`...)
	b = strconv.AppendFloat(b, float64(ev.Timestamp.UnixMilli())/1000, 'f', -1, 64)
	b = append(b, `,"type":`...)
	b = strconv.AppendQuote(b, ev.Type)
	b = append(b, `,"id":`...)
	b = strconv.AppendInt(b, ev.ID, 10)
	b = append(b, `,"previousEventId":`...)
	b = strconv.AppendInt(b, ev.PreviousEventID, 10)
	if ev.Details != nil {
		var buf jsonBuf
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(ev.Details); err != nil {
			return nil, err
		}
		d := bytes.TrimRight(buf.b, "\n")
		b = append(b, ',', '"')
		b = append(b, detailsKey(ev.Type)...)
		b = append(b, '"', ':')
		b = append(b, d...)
	}
	b = append(b, '}')
	return b, nil
}

// detailsKey returns the JSON member name AWS uses for an event type's
// details.
func detailsKey(typ string) string {
	switch {
	case strings.HasSuffix(typ, eventtype.StateEnteredSuffix):
		return "stateEnteredEventDetails"
	case strings.HasSuffix(typ, eventtype.StateExitedSuffix):
		return "stateExitedEventDetails"
	}
	return strings.ToLower(typ[:1]) + typ[1:] + "EventDetails"
}

// HistoryEventDetails says whether a payload in an event was truncated.
type HistoryEventDetails struct {
	Truncated bool `json:"truncated"`
}

// OutputEventDetails carry an output document (ExecutionSucceeded,
// LambdaFunctionSucceeded).
type OutputEventDetails struct {
	Output        JSONText            `json:"output"`
	OutputDetails HistoryEventDetails `json:"outputDetails"`
}

// FailureEventDetails carry an error and a cause (ExecutionFailed,
// ExecutionAborted, ExecutionTimedOut, LambdaFunctionFailed, MapRunFailed,
// ...).
type FailureEventDetails struct {
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
}

// StateEnteredEventDetails are the details of *StateEntered events.
type StateEnteredEventDetails struct {
	Name         string              `json:"name"`
	Input        JSONText            `json:"input"`
	InputDetails HistoryEventDetails `json:"inputDetails"`
}

// StateExitedEventDetails are the details of *StateExited events.
type StateExitedEventDetails struct {
	Name                     string               `json:"name"`
	Output                   JSONText             `json:"output"`
	OutputDetails            HistoryEventDetails  `json:"outputDetails"`
	AssignedVariables        map[string]string    `json:"assignedVariables,omitempty"`
	AssignedVariablesDetails *HistoryEventDetails `json:"assignedVariablesDetails,omitempty"`
}

// MapStateStartedEventDetails are the details of MapStateStarted.
type MapStateStartedEventDetails struct {
	Length int `json:"length"`
}

// MapIterationEventDetails are the details of MapIteration* events.
type MapIterationEventDetails struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
}

// MapRunStartedEventDetails are the details of MapRunStarted.
type MapRunStartedEventDetails struct {
	MapRunArn string `json:"mapRunArn"`
}

// TaskScheduledEventDetails are the details of TaskScheduled.
type TaskScheduledEventDetails struct {
	ResourceType       string   `json:"resourceType"`
	Resource           string   `json:"resource"`
	Region             string   `json:"region"`
	Parameters         JSONText `json:"parameters"`
	TimeoutInSeconds   *int64   `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSeconds *int64   `json:"heartbeatInSeconds,omitempty"`
}

// TaskEventDetails are the details of TaskStarted.
type TaskEventDetails struct {
	ResourceType string `json:"resourceType"`
	Resource     string `json:"resource"`
}

// TaskOutputEventDetails are the details of TaskSucceeded and TaskSubmitted.
type TaskOutputEventDetails struct {
	ResourceType  string              `json:"resourceType"`
	Resource      string              `json:"resource"`
	Output        JSONText            `json:"output"`
	OutputDetails HistoryEventDetails `json:"outputDetails"`
}

// TaskFailureEventDetails are the details of TaskFailed, TaskTimedOut,
// TaskStartFailed and TaskSubmitFailed.
type TaskFailureEventDetails struct {
	ResourceType string `json:"resourceType"`
	Resource     string `json:"resource"`
	Error        string `json:"error,omitempty"`
	Cause        string `json:"cause,omitempty"`
}

// LambdaFunctionScheduledEventDetails are the details of
// LambdaFunctionScheduled.
type LambdaFunctionScheduledEventDetails struct {
	Resource         string              `json:"resource"`
	Input            JSONText            `json:"input"`
	InputDetails     HistoryEventDetails `json:"inputDetails"`
	TimeoutInSeconds *int64              `json:"timeoutInSeconds,omitempty"`
}

// EvaluationFailedEventDetails are the details of EvaluationFailed.
type EvaluationFailedEventDetails struct {
	Error    string `json:"error,omitempty"`
	Cause    string `json:"cause,omitempty"`
	Location string `json:"location,omitempty"`
	State    string `json:"state"`
}
