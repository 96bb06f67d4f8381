package reportsteps

import (
	"context"
	"fmt"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/report"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// ReduceInput names the plan and how many partials the Map wrote.
type ReduceInput struct {
	Job     export.Job `json:"job"`
	PlanKey string     `json:"planKey"`
	Parts   int        `json:"parts"`
	// Failure, when set, asks for an explanation instead of a report: the
	// Map failed (on AWS with only States.ExceedToleratedFailureThreshold),
	// and the reduce returns the failure the first failed part recorded,
	// or Failure unchanged when none did.
	Failure *Failure `json:"failure,omitempty"`
	// GeneratedAt is the state's entered time, recorded in the manifest (so
	// a retried reduce writes the same bytes).
	GeneratedAt string `json:"generatedAt,omitempty"`
}

// ReduceOutput says where the report is.
type ReduceOutput struct {
	Bucket   string `json:"bucket"`
	CSV      string `json:"csv"`
	HTML     string `json:"html"`
	JSON     string `json:"json"`
	Manifest string `json:"manifest"`
	Groups   int    `json:"groups"`
	Rows     int64  `json:"rows"`
	// Error and Cause are the explained failure (Failure mode only).
	Error string `json:"Error,omitempty"`
	Cause string `json:"Cause,omitempty"`
}

// Manifest is published as manifest.json beside the report files.
type Manifest struct {
	Name        string                `json:"name,omitempty"`
	Execution   string                `json:"execution"`
	GeneratedAt string                `json:"generatedAt,omitempty"`
	Request     Request               `json:"request"`
	Sources     []export.SourceObject `json:"sources"`
	RowsRead    int64                 `json:"rowsRead"`
	Rows        int64                 `json:"rows"`
	Groups      int                   `json:"groups"`
	Files       map[string]string     `json:"files"`
}

// NewReduce returns the report reduce handler over env.
func NewReduce(env *stepkit.Env) func(context.Context, ReduceInput) (ReduceOutput, error) {
	c := &planCache{}
	return func(ctx context.Context, in ReduceInput) (ReduceOutput, error) {
		out, lim, err := runReduce(ctx, env, c, in)
		return out, named(err, lim)
	}
}

// RunReduce merges the partials and publishes the report.
func RunReduce(ctx context.Context, env *stepkit.Env, in ReduceInput) (ReduceOutput, error) {
	out, _, err := runReduce(ctx, env, &planCache{}, in)
	return out, err
}

func runReduce(ctx context.Context, env *stepkit.Env, c *planCache, in ReduceInput) (ReduceOutput, report.Limits, error) {
	bucket := env.BucketOr(in.Job.Bucket)
	p, err := c.get(ctx, env, bucket, in.PlanKey)
	if err != nil {
		return ReduceOutput{}, report.Limits{}, err
	}
	req := &p.Request
	if in.Failure != nil {
		f, err := explain(ctx, env, bucket, env.Layout(in.Job.Execution), *in.Failure)
		return ReduceOutput{Error: f.Error, Cause: f.Cause}, req.limits(), err
	}
	if in.Parts < 1 {
		return ReduceOutput{}, req.limits(), fmt.Errorf("report reduce: %d parts; the plan always makes at least one", in.Parts)
	}
	lay := env.Layout(in.Job.Execution)
	keys := make([]string, in.Parts)
	for i := range keys {
		keys[i] = partialKey(lay, i)
	}
	title := req.Name
	if title == "" {
		title = "Report " + in.Job.Execution
	}
	o, err := report.Reduce(ctx, env.Store, bucket, keys, req.GroupBy, req.Aggregates, req.limits(), p.OutputPrefix, title)
	if err != nil {
		return ReduceOutput{}, req.limits(), fmt.Errorf("report reduce: %w", err)
	}
	out := ReduceOutput{Bucket: bucket, CSV: o.CSV, HTML: o.HTML, JSON: o.JSON, Manifest: p.OutputPrefix + "manifest.json", Groups: o.Groups, Rows: o.Rows}
	man := Manifest{
		Name: req.Name, Execution: in.Job.Execution, GeneratedAt: in.GeneratedAt, Request: *req, Sources: p.Sources,
		RowsRead: p.Records, Rows: o.Rows, Groups: o.Groups,
		Files: map[string]string{"csv": o.CSV, "html": o.HTML, "json": o.JSON},
	}
	if _, err := stepkit.WriteJSON(ctx, env.Store, bucket, out.Manifest, man); err != nil {
		return ReduceOutput{}, req.limits(), fmt.Errorf("report reduce: write manifest: %w", err)
	}
	return out, req.limits(), nil
}

// explain returns the failure of the lowest-numbered part that recorded
// one, else f.
func explain(ctx context.Context, env *stepkit.Env, bucket string, lay export.Layout, f Failure) (Failure, error) {
	objs, err := env.Store.List(ctx, bucket, lay.WorkDir()+"failures/")
	if err != nil {
		return f, fmt.Errorf("report reduce: list failures: %w", err)
	}
	if len(objs) == 0 {
		return f, nil
	}
	first := objs[0].Key
	for _, o := range objs {
		first = min(first, o.Key)
	}
	var rec Failure
	if err := stepkit.ReadJSON(ctx, env.Store, bucket, first, &rec); err != nil || rec.Error == "" {
		return f, nil
	}
	return rec, nil
}
