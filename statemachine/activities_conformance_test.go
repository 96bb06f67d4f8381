package statemachine_test

import (
	"context"

	"github.com/stepwise-dev/stepwise/statemachine/internal/conformance"
)

// The engine driver runs the activity workers that hand-written cases
// declare (conformance.ActivityDriver).
var _ conformance.ActivityDriver = (*engineDriver)(nil)

func (d *engineDriver) CreateActivity(ctx context.Context, name string) (string, error) {
	a, err := d.e.CreateActivity(ctx, name, nil)
	if err != nil {
		return "", apiErr(err)
	}
	return a.ActivityArn, nil
}

func (d *engineDriver) GetActivityTask(ctx context.Context, arn, workerName string) (string, string, error) {
	t, err := d.e.GetActivityTask(ctx, arn, workerName)
	return t.TaskToken, t.Input, apiErr(err)
}

func (d *engineDriver) SendTaskSuccess(ctx context.Context, token, output string) error {
	return apiErr(d.e.SendTaskSuccess(ctx, token, output))
}

func (d *engineDriver) SendTaskFailure(ctx context.Context, token, errorName, cause string) error {
	return apiErr(d.e.SendTaskFailure(ctx, token, errorName, cause))
}

func (d *engineDriver) SendTaskHeartbeat(ctx context.Context, token string) error {
	return apiErr(d.e.SendTaskHeartbeat(ctx, token))
}
