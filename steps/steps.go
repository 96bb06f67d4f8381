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
	"github.com/stepwise-dev/stepwise/steps/reportsteps"
	"github.com/stepwise-dev/stepwise/steps/requestapproval"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// SettingsJSON is steps.json: names, memory, timeouts and ARN placeholders.
//
//go:embed steps.json
var SettingsJSON []byte

// registry is every step, by handler name (the key in steps.json): the
// one table both [New] and [Handlers] serve. `runner new step` adds a line
// just above the marker comment that closes it; keep the marker.
var registry = map[string]entry{
	"plan":            step(plan.New),
	"exportpart":      step(exportpart.New),
	"merge":           step(merge.New),
	"requestapproval": step(requestapproval.New),
	"publish":         step(publish.New),
	"cleanup":         step(cleanup.New),
	"reportplan":      step(reportsteps.NewPlan),
	"reportpart":      step(reportsteps.NewPart),
	"reportreduce":    step(reportsteps.NewReduce),
	"approval":        step(approval.New),
	// runner new step: new steps go above this line.
}

// entry is one registered step: its handler built over a given
// environment, or over the process environment on first use.
type entry struct {
	build func(*stepkit.Env) any
	lazy  func() any
}

// step registers a step by its constructor, a func(*stepkit.Env) returning
// the typed aws-lambda-go handler func(context.Context, In) (Out, error).
func step[In, Out any](build func(*stepkit.Env) func(context.Context, In) (Out, error)) entry {
	return entry{
		build: func(env *stepkit.Env) any { return build(env) },
		lazy:  func() any { return lazy(build) },
	}
}

// New returns every step's handler, built over env.
func New(env *stepkit.Env) map[string]any {
	out := make(map[string]any, len(registry))
	for name, e := range registry {
		out[name] = e.build(env)
	}
	return out
}

// Handlers returns every step's handler over the process environment
// ([stepkit.FromOS]: STEPWISE_BUCKET, STEPWISE_PREFIX_*, the default AWS
// configuration). The environment, and with it the S3 client, is built
// once, on the first invocation of any handler; a failure to build it fails
// that invocation.
func Handlers() map[string]any {
	out := make(map[string]any, len(registry))
	for name, e := range registry {
		out[name] = e.lazy()
	}
	return out
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
