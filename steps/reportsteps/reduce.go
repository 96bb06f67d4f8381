package reportsteps

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
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
	title := req.Name
	if title == "" {
		title = "Report " + in.Job.Execution
	}
	all := report.NewPartial(req.Aggregates, req.MaxGroups)
	all.MaxDistinct = req.MaxDistinct
	rowsRead, err := mergeParts(ctx, env, bucket, lay, p, in.Parts, all)
	if err != nil {
		return ReduceOutput{}, req.limits(), err
	}
	o, err := report.Publish(ctx, env.Store, bucket, all, req.GroupBy, p.OutputPrefix, title)
	if err != nil {
		return ReduceOutput{}, req.limits(), fmt.Errorf("report reduce: %w", err)
	}
	out := ReduceOutput{Bucket: bucket, CSV: o.CSV, HTML: o.HTML, JSON: o.JSON, Manifest: p.OutputPrefix + "manifest.json", Groups: o.Groups, Rows: o.Rows}
	man := Manifest{
		Name: req.Name, Execution: in.Job.Execution, GeneratedAt: in.GeneratedAt, Request: *req, Sources: p.Sources,
		RowsRead: rowsRead, Rows: o.Rows, Groups: o.Groups,
		Files: map[string]string{"csv": o.CSV, "html": o.HTML, "json": o.JSON},
	}
	if _, err := stepkit.WriteJSON(ctx, env.Store, bucket, out.Manifest, man); err != nil {
		return ReduceOutput{}, req.limits(), fmt.Errorf("report reduce: write manifest: %w", err)
	}
	return out, req.limits(), nil
}

// mergeParts merges the partials in part order into all and returns the
// rows read. It chains the parts of each source: the true quote parity at
// a part's Start is that of the quotes in every part of the source before
// it, and the line ends before it are the header's and theirs. A part
// that assumed another parity (rare: see [report.ChooseParity]) is read
// again here with the true one; a part's error counts only under the
// true parity, and the first one in source order fails the report.
func mergeParts(ctx context.Context, env *stepkit.Env, bucket string, lay export.Layout, p *Plan, parts int, all *report.Partial) (int64, error) {
	specs, err := readManifest(ctx, env, bucket, lay, parts)
	if err != nil {
		return 0, err
	}
	var rows, lineBase int64
	parity, source := 0, -1
	for i, spec := range specs {
		if spec.Source != source {
			source, parity, lineBase = spec.Source, 0, p.Data[spec.Source].HeaderLines
		}
		key := partialKey(lay, i)
		meta, err := mergePartial(ctx, env, bucket, key, p, spec, parity, all)
		if err != nil {
			return 0, err
		}
		if meta.Error != nil {
			return 0, meta.Error.sourceError(spec, lineBase, p.Request.limits())
		}
		rows += meta.RowsRead
		parity ^= meta.Quotes
		lineBase += meta.Lines
	}
	return rows, nil
}

// readManifest reads the part manifest the plan wrote.
func readManifest(ctx context.Context, env *stepkit.Env, bucket string, lay export.Layout, parts int) ([]PartSpec, error) {
	var specs []PartSpec
	if err := stepkit.ReadJSON(ctx, env.Store, bucket, lay.ManifestKey(), &specs); err != nil {
		return nil, fmt.Errorf("report reduce: read part manifest: %w", err)
	}
	if len(specs) != parts {
		return nil, fmt.Errorf("report reduce: the manifest lists %d parts, the plan %d", len(specs), parts)
	}
	return specs, nil
}

// mergePartial merges part spec's partial into all when the part assumed
// the true parity, else aggregates the part again with it; it returns the
// part's meta (Error set when the part's rows hold an error).
func mergePartial(ctx context.Context, env *stepkit.Env, bucket, key string, p *Plan, spec PartSpec, parity int, all *report.Partial) (PartMeta, error) {
	rc, _, err := env.Store.Get(ctx, bucket, key, 0, -1)
	if err != nil {
		return PartMeta{}, fmt.Errorf("report reduce: partial s3://%s/%s: %w", bucket, key, err)
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 256<<10)
	raw, err := report.ReadPartialMeta(br)
	var meta PartMeta
	if err == nil {
		err = json.Unmarshal(raw, &meta)
	}
	if err != nil {
		return PartMeta{}, fmt.Errorf("report reduce: partial s3://%s/%s: %w", bucket, key, err)
	}
	first := spec.Start == spec.DataStart
	if first || meta.NoLineEnd || meta.Parity == parity {
		if meta.Error != nil {
			return meta, nil
		}
		if err := all.MergeBinary(br); err != nil {
			return PartMeta{}, mergeErr(err, bucket, key)
		}
		return meta, nil
	}
	// The part guessed wrong: read it again with the true parity.
	again := report.NewPartial(p.Request.Aggregates, p.Request.MaxGroups)
	again.MaxDistinct = p.Request.MaxDistinct
	m, err := aggregatePart(ctx, env, p, spec, parity, again)
	if err != nil || m.Error != nil {
		return m, err
	}
	if err := all.Merge(again); err != nil {
		return PartMeta{}, mergeErr(err, bucket, key)
	}
	return m, nil
}

// mergeErr names the partial a merge failed on; a limit stays a limit.
func mergeErr(err error, bucket, key string) error {
	if errors.Is(err, report.ErrTooManyGroups) || errors.Is(err, report.ErrTooManyDistinct) {
		return err
	}
	return fmt.Errorf("report reduce: merging s3://%s/%s: %w", bucket, key, err)
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
