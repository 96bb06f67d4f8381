// Package cleanup is the step the state machine's Catch runs after any
// failure: it deletes the execution's work directory (plan, manifest,
// parts, merged object) and its pending approval record, then the state
// machine fails with the original error.
//
// It never touches a published export: it only deletes keys under the
// execution's work directory and its own pending approval key, and
// Terraform gives its role no access to exports/ either.
package cleanup

import (
	"context"
	"fmt"
	"strings"

	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// Input names the execution and the failure being cleaned up after.
type Input struct {
	Execution string `json:"execution"`
	Bucket    string `json:"bucket,omitempty"`
	// Failure is the caught error ({"Error","Cause"} from the Catch).
	Failure *Failure `json:"failure,omitempty"`
}

// Failure is a caught Step Functions error.
type Failure struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// Output reports what was removed.
type Output struct {
	Deleted int    `json:"deleted"`
	Error   string `json:"error,omitempty"`
}

// New returns the cleanup handler over env.
func New(env *stepkit.Env) func(context.Context, Input) (Output, error) {
	return func(ctx context.Context, in Input) (Output, error) {
		out, err := Run(ctx, env, in)
		return out, stepkit.Named(err)
	}
}

// Run removes the execution's work files and pending approval.
func Run(ctx context.Context, env *stepkit.Env, in Input) (Output, error) {
	if in.Execution == "" || strings.ContainsAny(in.Execution, "/*") {
		return Output{}, fmt.Errorf("cleanup: bad execution name %q", in.Execution)
	}
	bucket := env.BucketOr(in.Bucket)
	lay := env.Layout(in.Execution)
	objs, err := env.Store.List(ctx, bucket, lay.WorkDir())
	if err != nil {
		return Output{}, fmt.Errorf("cleanup: list: %w", err)
	}
	keys := []string{lay.PendingApprovalKey()}
	for _, o := range objs {
		if !strings.HasPrefix(o.Key, lay.WorkDir()) {
			return Output{}, fmt.Errorf("cleanup: refusing to delete s3://%s/%s outside %s", bucket, o.Key, lay.WorkDir())
		}
		keys = append(keys, o.Key)
	}
	if err := env.Store.Delete(ctx, bucket, keys...); err != nil {
		return Output{}, fmt.Errorf("cleanup: %w", err)
	}
	out := Output{Deleted: len(keys) - 1}
	if in.Failure != nil {
		out.Error = in.Failure.Error
	}
	env.Logger(ctx, "cleanup", in.Execution).Info("cleaned up", "deleted", out.Deleted, "failure", out.Error)
	return out, nil
}
