package console

import (
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stepwise-dev/stepwise/statemachine/graph"
)

// visit is one entry into a state: from its StateEntered event to its
// StateExited event, or to the failure that ended it.
type visit struct {
	Name          string
	Entered, Left time.Time // Left is zero while the visit is open
	EnteredID     int64
	Input, Output string
	Error, Cause  string
	exited        bool
	failed        bool // the last attempt failed (and nothing was retried since)
	retried       bool
	waitToken     bool // waiting for SendTaskSuccess/Failure
	caught        bool // a failure led on to another state (Catch)
	Items         *itemCounts
	MapRunArn     string
	Status        string
}

// itemCounts are an inline Map state's iterations by outcome.
type itemCounts struct {
	Total, Succeeded, Failed, Aborted, Running int
}

// stateSummary is what the graph and the per-state panel show of a state.
type stateSummary struct {
	Name   string
	Status string
	Detail string // the error name of a failed or caught state
	Visits int
	Last   *visit
	// Items are the item counts of a distributed Map's last Map Run,
	// when described.
	Items *types.MapRunItemCounts
}

// runView is an execution's history, read as states.
type runView struct {
	States  map[string]*stateSummary
	Visits  []*visit // in order of entry
	Owner   map[int64]*visit
	MapRuns []string
}

// derive reads the states out of a history. status is the execution's
// status; a state still open in a finished execution is shown failed.
func derive(events []types.HistoryEvent, status types.ExecutionStatus) *runView {
	rv := &runView{States: map[string]*stateSummary{}, Owner: map[int64]*visit{}}
	open := map[string][]*visit{} // open visits by state name, latest last
	var last *visit
	for i := range events {
		e := &events[i]
		if d := e.StateEnteredEventDetails; d != nil {
			v := &visit{Name: aws.ToString(d.Name), Entered: aws.ToTime(e.Timestamp), EnteredID: e.Id, Input: aws.ToString(d.Input)}
			if prev := rv.Owner[e.PreviousEventId]; prev != nil && prev.failed && !prev.exited {
				prev.caught = true // the failure led here: a Catch
			}
			rv.Owner[e.Id] = v
			rv.Visits = append(rv.Visits, v)
			open[v.Name] = append(open[v.Name], v)
			last = v
			continue
		}
		if d := e.StateExitedEventDetails; d != nil {
			name := aws.ToString(d.Name)
			v := rv.Owner[e.PreviousEventId]
			if v == nil || v.Name != name {
				v = nil
				if l := open[name]; len(l) > 0 {
					v = l[len(l)-1]
				}
			}
			if v != nil {
				// A failure still standing when the state exits was
				// caught: the Catch leads on to its Next.
				v.caught = v.caught || v.failed
				v.exited, v.failed, v.waitToken = true, false, false
				v.Left, v.Output = aws.ToTime(e.Timestamp), aws.ToString(d.Output)
				rv.Owner[e.Id] = v
				open[name] = remove(open[name], v)
			}
			continue
		}
		v := rv.Owner[e.PreviousEventId]
		if v == nil && !strings.HasPrefix(string(e.Type), "Execution") {
			v = last
		}
		if v == nil {
			continue
		}
		rv.Owner[e.Id] = v
		rv.apply(v, e)
	}
	for _, v := range rv.Visits {
		v.Status = visitStatus(v, status)
		s := rv.States[v.Name]
		if s == nil {
			s = &stateSummary{Name: v.Name}
			rv.States[v.Name] = s
		}
		s.Visits++
		s.Last = v
		if rank[v.Status] >= rank[s.Status] {
			s.Status = v.Status
			if v.Status == graph.StatusFailed || v.Status == graph.StatusCaught {
				s.Detail = v.Error
			}
		}
	}
	return rv
}

// rank orders statuses for a state visited more than once: the graph
// shows the most telling.
var rank = map[string]int{
	"": 0, graph.StatusSucceeded: 1, graph.StatusRetried: 2, graph.StatusCaught: 3,
	graph.StatusRunning: 4, graph.StatusWaiting: 5, graph.StatusFailed: 6,
}

// apply records an event inside visit v.
func (rv *runView) apply(v *visit, e *types.HistoryEvent) {
	t := string(e.Type)
	switch {
	case strings.HasSuffix(t, "Scheduled") || t == "TaskStarted" && v.failed:
		if v.failed {
			v.retried = true
		}
		v.failed = false
		if d := e.TaskScheduledEventDetails; d != nil && strings.HasSuffix(aws.ToString(d.Resource), ".waitForTaskToken") {
			v.waitToken = true
		}
	case e.TaskSucceededEventDetails != nil || e.LambdaFunctionSucceededEventDetails != nil || e.ActivitySucceededEventDetails != nil:
		v.waitToken = false
	case e.MapStateStartedEventDetails != nil:
		v.Items = &itemCounts{Total: int(e.MapStateStartedEventDetails.Length)}
	case e.MapRunStartedEventDetails != nil:
		v.MapRunArn = aws.ToString(e.MapRunStartedEventDetails.MapRunArn)
		rv.MapRuns = append(rv.MapRuns, v.MapRunArn)
	case e.MapIterationStartedEventDetails != nil && v.Items != nil:
		v.Items.Running++
	case e.MapIterationSucceededEventDetails != nil && v.Items != nil:
		v.Items.Running--
		v.Items.Succeeded++
	case e.MapIterationFailedEventDetails != nil && v.Items != nil:
		v.Items.Running--
		v.Items.Failed++
	case e.MapIterationAbortedEventDetails != nil && v.Items != nil:
		v.Items.Running--
		v.Items.Aborted++
	case strings.HasSuffix(t, "Failed") || strings.HasSuffix(t, "TimedOut"):
		v.failed, v.waitToken = true, false
		v.Left = aws.ToTime(e.Timestamp)
		if errName, cause, ok := errorOf(e); ok {
			v.Error, v.Cause = errName, cause
		} else if v.Error == "" {
			v.Error = t
		}
	}
}

func visitStatus(v *visit, status types.ExecutionStatus) string {
	switch {
	case v.caught && !v.failed:
		return graph.StatusCaught
	case v.exited && v.retried:
		return graph.StatusRetried
	case v.exited:
		return graph.StatusSucceeded
	case v.failed && v.caught:
		return graph.StatusCaught
	case v.failed:
		return graph.StatusFailed
	case status != types.ExecutionStatusRunning:
		// Open when the execution stopped (aborted, timed out): it
		// did not finish.
		if v.Error == "" {
			v.Error = string(status)
		}
		return graph.StatusFailed
	case v.waitToken:
		return graph.StatusWaiting
	default:
		return graph.StatusRunning
	}
}

func remove(l []*visit, v *visit) []*visit {
	for i := len(l) - 1; i >= 0; i-- {
		if l[i] == v {
			return append(l[:i], l[i+1:]...)
		}
	}
	return l
}

// errorOf returns the error and cause an event carries, if any.
func errorOf(e *types.HistoryEvent) (errName, cause string, ok bool) {
	pick := func(err, c *string) (string, string, bool) { return aws.ToString(err), aws.ToString(c), true }
	switch {
	case e.TaskFailedEventDetails != nil:
		return pick(e.TaskFailedEventDetails.Error, e.TaskFailedEventDetails.Cause)
	case e.TaskTimedOutEventDetails != nil:
		return pick(e.TaskTimedOutEventDetails.Error, e.TaskTimedOutEventDetails.Cause)
	case e.TaskStartFailedEventDetails != nil:
		return pick(e.TaskStartFailedEventDetails.Error, e.TaskStartFailedEventDetails.Cause)
	case e.TaskSubmitFailedEventDetails != nil:
		return pick(e.TaskSubmitFailedEventDetails.Error, e.TaskSubmitFailedEventDetails.Cause)
	case e.LambdaFunctionFailedEventDetails != nil:
		return pick(e.LambdaFunctionFailedEventDetails.Error, e.LambdaFunctionFailedEventDetails.Cause)
	case e.LambdaFunctionTimedOutEventDetails != nil:
		return pick(e.LambdaFunctionTimedOutEventDetails.Error, e.LambdaFunctionTimedOutEventDetails.Cause)
	case e.LambdaFunctionScheduleFailedEventDetails != nil:
		return pick(e.LambdaFunctionScheduleFailedEventDetails.Error, e.LambdaFunctionScheduleFailedEventDetails.Cause)
	case e.LambdaFunctionStartFailedEventDetails != nil:
		return pick(e.LambdaFunctionStartFailedEventDetails.Error, e.LambdaFunctionStartFailedEventDetails.Cause)
	case e.ActivityFailedEventDetails != nil:
		return pick(e.ActivityFailedEventDetails.Error, e.ActivityFailedEventDetails.Cause)
	case e.ActivityTimedOutEventDetails != nil:
		return pick(e.ActivityTimedOutEventDetails.Error, e.ActivityTimedOutEventDetails.Cause)
	case e.ActivityScheduleFailedEventDetails != nil:
		return pick(e.ActivityScheduleFailedEventDetails.Error, e.ActivityScheduleFailedEventDetails.Cause)
	case e.MapRunFailedEventDetails != nil:
		return pick(e.MapRunFailedEventDetails.Error, e.MapRunFailedEventDetails.Cause)
	case e.EvaluationFailedEventDetails != nil:
		return pick(e.EvaluationFailedEventDetails.Error, e.EvaluationFailedEventDetails.Cause)
	case e.ExecutionFailedEventDetails != nil:
		return pick(e.ExecutionFailedEventDetails.Error, e.ExecutionFailedEventDetails.Cause)
	case e.ExecutionTimedOutEventDetails != nil:
		return pick(e.ExecutionTimedOutEventDetails.Error, e.ExecutionTimedOutEventDetails.Cause)
	case e.ExecutionAbortedEventDetails != nil:
		return pick(e.ExecutionAbortedEventDetails.Error, e.ExecutionAbortedEventDetails.Cause)
	}
	return "", "", false
}

// eventSummary is the one-line description of an event in the table.
func eventSummary(e *types.HistoryEvent) string {
	if errName, cause, ok := errorOf(e); ok {
		if cause != "" {
			return errName + ": " + cause
		}
		return errName
	}
	switch {
	case e.StateEnteredEventDetails != nil:
		return aws.ToString(e.StateEnteredEventDetails.Name)
	case e.StateExitedEventDetails != nil:
		return aws.ToString(e.StateExitedEventDetails.Name)
	case e.TaskScheduledEventDetails != nil:
		return aws.ToString(e.TaskScheduledEventDetails.ResourceType) + ":" + aws.ToString(e.TaskScheduledEventDetails.Resource)
	case e.LambdaFunctionScheduledEventDetails != nil:
		return aws.ToString(e.LambdaFunctionScheduledEventDetails.Resource)
	case e.MapStateStartedEventDetails != nil:
		return "items: " + itoa(int(e.MapStateStartedEventDetails.Length))
	case e.MapRunStartedEventDetails != nil:
		return aws.ToString(e.MapRunStartedEventDetails.MapRunArn)
	case e.MapIterationStartedEventDetails != nil:
		return aws.ToString(e.MapIterationStartedEventDetails.Name) + " #" + itoa(int(e.MapIterationStartedEventDetails.Index))
	case e.ExecutionRedrivenEventDetails != nil:
		return "redrive " + itoa(int(aws.ToInt32(e.ExecutionRedrivenEventDetails.RedriveCount)))
	}
	return ""
}
