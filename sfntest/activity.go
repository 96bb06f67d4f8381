package sfntest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepwise-dev/stepwise/statemachine"
	"github.com/stepwise-dev/stepwise/statemachine/arn"
	"github.com/stepwise-dev/stepwise/steps/activity"
)

// Activity gives the activity name a worker for every execution: a real
// [activity.Worker] running h, on the execution's virtual clock (its
// heartbeats and the state's HeartbeatSeconds are virtual time), polling
// the execution's engine directly. Without one, an activity Task waits
// until its TimeoutSeconds.
//
// name is the activity's name: for a placeholder ${EncodeActivityArn} it
// is "encode" (the placeholder without ActivityArn, lower-cased, as
// steps.json names activities) unless [Steps] maps it otherwise; for a
// literal activity ARN it is the name in it.
func Activity(name string, h activity.Handler) Option {
	return func(c *config) error {
		if h == nil {
			return fmt.Errorf("sfntest.Activity(%q): handler is nil", name)
		}
		c.activities[name] = h
		return nil
	}
}

// ActivityArn is the ARN the harness gives the activity name.
func ActivityArn(name string) string {
	return arn.States(Region, AccountID, "activity", name)
}

var activityArnRe = regexp.MustCompile(`arn:aws:states:[a-z0-9-]+:[0-9]{12}:activity:[A-Za-z0-9_.-]+`)

// namedActivities returns the names of the activities a rendered
// definition names, sorted.
func namedActivities(def []byte) []string {
	seen := map[string]bool{}
	for _, a := range activityArnRe.FindAllString(string(def), -1) {
		seen[a[strings.LastIndexByte(a, ':')+1:]] = true
	}
	return sortedKeys(seen)
}

// checkActivities: every Activity option names an activity of the
// definition, and no Mock answers an activity Task (a worker does).
func (w *Workflow) checkActivities() error {
	for _, name := range sortedKeys(w.cfg.activities) {
		if !contains(w.activities, name) {
			return fmt.Errorf("sfntest.Activity(%q): the definition names no activity %s (its activities: %s)", name, ActivityArn(name), listOrNone(w.activities))
		}
	}
	for _, st := range sortedKeys(w.cfg.mocks) {
		if s := w.asl.states[st]; s != nil && activityArnRe.MatchString(s.Resource) {
			return fmt.Errorf("sfntest.Mock(%q): state %q is an activity Task; a worker answers it, not a mock: give the activity a handler with sfntest.Activity", st, st)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	i := sort.SearchStrings(list, s)
	return i < len(list) && list[i] == s
}

func listOrNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

// startActivities creates the definition's activities on the execution's
// engine and starts a worker for each one the test gave a handler; the
// returned function stops the workers.
func (x *Execution) startActivities(ctx context.Context) (stop func(), err error) {
	for _, name := range x.w.activities {
		if _, err := x.engine.CreateActivity(ctx, name, nil); err != nil {
			return nil, fmt.Errorf("create activity %s: %w", name, err)
		}
	}
	wctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var clients []*engineClient
	for _, name := range sortedKeys(x.w.cfg.activities) {
		c := &engineClient{e: x.engine, clock: x.clock}
		c.hold() // until its first poll waits: the clock is not running yet
		clients = append(clients, c)
		w := &activity.Worker{Client: c, ActivityArn: ActivityArn(name), Name: "sfntest", Clock: x.clock}
		h := x.w.cfg.activities[name]
		wg.Go(func() {
			if err := w.Run(wctx, h); err != nil {
				x.problem("the worker of activity %s: %v", name, err)
			}
		})
	}
	return func() {
		cancel()
		wg.Wait()
		for _, c := range clients {
			c.release()
		}
	}, nil
}

// engineClient is the Step Functions API of an engine in-process, as
// [activity.Client]: the worker's calls and the API's errors, without
// HTTP. It holds the virtual clock while its worker is between polls (from
// its start, and from each report, until the next poll waits in the
// engine's queue): a task queued meanwhile would otherwise see virtual
// time jump to its TimeoutSeconds before the worker, busy in real time,
// came back for it. While a handler runs, the worker's own holds apply.
type engineClient struct {
	e     *statemachine.Engine
	clock *statemachine.VirtualClock

	mu  sync.Mutex
	rel func() // the hold, nil when not holding
}

func (c *engineClient) hold() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rel == nil {
		c.rel = c.clock.Hold()
	}
}

func (c *engineClient) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rel != nil {
		c.rel()
		c.rel = nil
	}
}

func (c *engineClient) GetActivityTask(ctx context.Context, in *sfn.GetActivityTaskInput, _ ...func(*sfn.Options)) (*sfn.GetActivityTaskOutput, error) {
	t, err := c.e.GetActivityTask(statemachine.OnPollWaiting(ctx, c.release), aws.ToString(in.ActivityArn), aws.ToString(in.WorkerName))
	if err != nil {
		c.release() // the worker backs off on the clock
		return nil, apiError(err)
	}
	out := &sfn.GetActivityTaskOutput{}
	if t.TaskToken == "" {
		c.hold() // it polls again at once
		return out, nil
	}
	out.TaskToken, out.Input = aws.String(t.TaskToken), aws.String(t.Input)
	return out, nil
}

func (c *engineClient) SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	c.hold() // until the next poll waits
	return &sfn.SendTaskSuccessOutput{}, apiError(c.e.SendTaskSuccess(ctx, aws.ToString(in.TaskToken), aws.ToString(in.Output)))
}

func (c *engineClient) SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, _ ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error) {
	c.hold() // until the next poll waits
	return &sfn.SendTaskFailureOutput{}, apiError(c.e.SendTaskFailure(ctx, aws.ToString(in.TaskToken), aws.ToString(in.Error), aws.ToString(in.Cause)))
}

func (c *engineClient) SendTaskHeartbeat(ctx context.Context, in *sfn.SendTaskHeartbeatInput, _ ...func(*sfn.Options)) (*sfn.SendTaskHeartbeatOutput, error) {
	return &sfn.SendTaskHeartbeatOutput{}, apiError(c.e.SendTaskHeartbeat(ctx, aws.ToString(in.TaskToken)))
}

// apiError gives the engine's errors the SDK's types, as the HTTP API's
// client would see them (the worker tells a closed task by them).
func apiError(err error) error {
	var api *statemachine.APIError
	if err == nil || !errors.As(err, &api) {
		return err
	}
	msg := aws.String(err.Error())
	switch api.Code {
	case "TaskTimedOut":
		return &types.TaskTimedOut{Message: msg}
	case "TaskDoesNotExist":
		return &types.TaskDoesNotExist{Message: msg}
	case "InvalidToken":
		return &types.InvalidToken{Message: msg}
	case "ActivityDoesNotExist":
		return &types.ActivityDoesNotExist{Message: msg}
	}
	return err
}
