package reportsteps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/plan"
	"github.com/stepwise-dev/stepwise/steps/report"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// PlanInput is the plan step's event, shaped like the export's: the
// execution's name, ARN and start time, and the execution input
// {"request": <report request>} or {"request": {"bucket": ..., "key": ...}}
// naming a request object.
type PlanInput = plan.Input

// PlanOutput is what the state machine keeps: references and counts.
type PlanOutput struct {
	Job            export.Job `json:"job"`
	PlanKey        string     `json:"planKey"`
	Manifest       plan.S3Ref `json:"manifest"`
	MapResults     plan.S3Ref `json:"mapResults"`
	Parts          int        `json:"parts"`
	Records        int64      `json:"records"`
	SourceBytes    int64      `json:"sourceBytes"`
	MaxConcurrency int        `json:"maxConcurrency"`
	// Output is s3://<bucket>/<prefix><execution>/, where reduce publishes.
	Output string `json:"output"`
}

// Plan is the document the plan step writes to work/<execution>/report.json
// and the part and reduce steps read.
type Plan struct {
	Job     export.Job            `json:"job"`
	Request Request               `json:"request"`
	Header  []string              `json:"header"`
	Sources []export.SourceObject `json:"sources"`
	Records int64                 `json:"records"`
	// OutputPrefix is <prefix><execution>/ in Job.Bucket.
	OutputPrefix string `json:"outputPrefix"`
}

// NewPlan returns the report plan handler over env.
func NewPlan(env *stepkit.Env) func(context.Context, PlanInput) (PlanOutput, error) {
	return func(ctx context.Context, in PlanInput) (PlanOutput, error) {
		out, err := RunPlan(ctx, env, in)
		return out, named(err, report.Limits{})
	}
}

// planKey is where the report plan lives.
func planKey(lay export.Layout) string { return lay.WorkDir() + "report.json" }

// partialKey is where part n's partial aggregates live.
func partialKey(lay export.Layout, n int) string {
	return fmt.Sprintf("%spartials/%05d.json", lay.WorkDir(), n)
}

// failureKey is where part n records an error no retry can cure.
func failureKey(lay export.Layout, n int) string {
	return fmt.Sprintf("%sfailures/%05d.json", lay.WorkDir(), n)
}

// RunPlan validates the request, splits the source with the export's plan
// step (same parts, same checks of source, filter and types) and writes the
// report plan.
func RunPlan(ctx context.Context, env *stepkit.Env, in PlanInput) (PlanOutput, error) {
	if in.Execution == "" {
		return PlanOutput{}, invalid("", "plan input has no execution name")
	}
	data, origin, err := loadRequest(ctx, env, in.Input.Request)
	if err != nil {
		return PlanOutput{}, err
	}
	req, err := ParseRequest(data, env.Bucket)
	if err != nil {
		return PlanOutput{}, inFile(err, origin)
	}
	ereq, err := req.exportRequest()
	if err != nil {
		return PlanOutput{}, err
	}
	pin := in
	pin.Input.Request = ereq
	po, err := plan.Run(ctx, env, pin)
	if err != nil {
		return PlanOutput{}, inFile(named(err, report.Limits{}), origin)
	}
	var ep export.Plan
	if err := stepkit.ReadJSON(ctx, env.Store, env.Bucket, po.PlanKey, &ep); err != nil {
		return PlanOutput{}, fmt.Errorf("report plan: %w", err)
	}
	if err := req.checkColumns(ep.Header); err != nil {
		return PlanOutput{}, inFile(err, origin)
	}
	lay := env.Layout(in.Execution)
	rp := Plan{Job: po.Job, Request: *req, Header: ep.Header, Sources: ep.Sources, Records: ep.Records,
		OutputPrefix: req.Output.Prefix + in.Execution + "/"}
	if _, err := stepkit.WriteJSON(ctx, env.Store, env.Bucket, planKey(lay), rp); err != nil {
		return PlanOutput{}, fmt.Errorf("report plan: write plan: %w", err)
	}
	return PlanOutput{
		Job: po.Job, PlanKey: planKey(lay), Manifest: po.Manifest, MapResults: po.MapResults,
		Parts: po.Parts, Records: po.Records, SourceBytes: po.SourceBytes, MaxConcurrency: req.MaxConcurrency,
		Output: "s3://" + env.Bucket + "/" + rp.OutputPrefix,
	}, nil
}

// inFile adds the request object's address to a request error.
func inFile(err error, origin string) error {
	if ie, ok := err.(*InvalidReportRequest); ok && origin != "" {
		ie.Message += " (in " + origin + ")"
	}
	return err
}

// loadRequest returns the inline request or the bytes of the request
// object it names, with that object's address.
func loadRequest(ctx context.Context, env *stepkit.Env, raw json.RawMessage) ([]byte, string, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil, "", invalid("", `the execution input has no "request" (give {"request": {...}} or {"request": {"key": "<request object>"}})`)
	}
	var ref struct {
		Bucket     string          `json:"bucket"`
		Key        string          `json:"key"`
		Source     json.RawMessage `json:"source"`
		Aggregates json.RawMessage `json:"aggregates"`
	}
	if json.Unmarshal(t, &ref) != nil || ref.Key == "" || ref.Source != nil || ref.Aggregates != nil {
		return t, "", nil
	}
	bucket := env.BucketOr(ref.Bucket)
	origin := "s3://" + bucket + "/" + ref.Key
	rc, _, err := env.Store.Get(ctx, bucket, ref.Key, 0, -1)
	if export.IsNotFound(err) {
		return nil, origin, invalid("/request/key", "request object %s does not exist", origin)
	}
	if err != nil {
		return nil, origin, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, export.MaxRequestBytes+1))
	if err != nil {
		return nil, origin, fmt.Errorf("report plan: read %s: %w", origin, err)
	}
	return data, origin, nil
}
