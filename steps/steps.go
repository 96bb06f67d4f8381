// Package steps is the registry of the report-export Lambda steps: handler
// name (as in steps.json, the Lambda handler field and _HANDLER) → typed
// aws-lambda-go handler func. The local Lambda runtime and the bootstrap
// binary (cmd/steps) both serve steps from here.
//
// The steps themselves live in one package each (steps/plan, ...); this
// package only wires them to an environment.
package steps

import (
	"context"
	_ "embed"
	"sync"

	"github.com/stepwise-dev/stepwise/steps/approval"
	"github.com/stepwise-dev/stepwise/steps/cleanup"
	"github.com/stepwise-dev/stepwise/steps/exportpart"
	"github.com/stepwise-dev/stepwise/steps/merge"
	"github.com/stepwise-dev/stepwise/steps/plan"
	"github.com/stepwise-dev/stepwise/steps/publish"
	"github.com/stepwise-dev/stepwise/steps/requestapproval"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// SettingsJSON is steps.json: names, memory, timeouts and ARN placeholders.
//
//go:embed steps.json
var SettingsJSON []byte

// New returns every step's handler, built over env.
func New(env *stepkit.Env) map[string]any {
	return map[string]any{
		"plan":            plan.New(env),
		"exportpart":      exportpart.New(env),
		"merge":           merge.New(env),
		"requestapproval": requestapproval.New(env),
		"publish":         publish.New(env),
		"cleanup":         cleanup.New(env),
		"approval":        approval.New(env),
	}
}

// Handlers returns every step's handler over the process environment
// ([stepkit.FromOS]: STEPWISE_BUCKET, STEPWISE_PREFIX_*, the default AWS
// configuration). The environment, and with it the S3 client, is built
// once, on the first invocation of any handler; a failure to build it fails
// that invocation.
func Handlers() map[string]any {
	return map[string]any{
		"plan":            lazy(plan.New),
		"exportpart":      lazy(exportpart.New),
		"merge":           lazy(merge.New),
		"requestapproval": lazy(requestapproval.New),
		"publish":         lazy(publish.New),
		"cleanup":         lazy(cleanup.New),
		"approval":        lazy(approval.New),
	}
}

// lazy builds a handler (and its caches) over the default environment on
// first use. Safe for concurrent use.
func lazy[In, Out any](build func(*stepkit.Env) func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	var mu sync.Mutex
	var h func(context.Context, In) (Out, error)
	return func(ctx context.Context, in In) (Out, error) {
		mu.Lock()
		if h == nil {
			env, err := stepkit.Default(ctx)
			if err != nil {
				mu.Unlock()
				var zero Out
				return zero, err
			}
			h = build(env)
		}
		run := h
		mu.Unlock()
		return run(ctx, in)
	}
}
