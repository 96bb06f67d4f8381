package reportsteps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/report"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// PartInput is one Map item: the job, the report plan and the part.
type PartInput struct {
	Job     export.Job      `json:"job"`
	PlanKey string          `json:"planKey"`
	Part    export.PartSpec `json:"part"`
}

// PartOutput is a part's small result; the partial itself is in S3.
type PartOutput struct {
	Part     int    `json:"part"`
	RowsRead int64  `json:"rowsRead"`
	RowsKept int64  `json:"rowsKept"`
	Groups   int    `json:"groups"`
	Key      string `json:"key"`
}

// NewPart returns the report part handler over env.
func NewPart(env *stepkit.Env) func(context.Context, PartInput) (PartOutput, error) {
	c := &planCache{}
	return func(ctx context.Context, in PartInput) (PartOutput, error) {
		out, lim, err := runPart(ctx, env, c, in)
		err = named(err, lim)
		if name := finalName(err); name != "" {
			// A Distributed Map reports a failed child only as
			// States.ExceedToleratedFailureThreshold; this record lets
			// the workflow's ExplainFailure state say what went wrong.
			f := Failure{Error: name, Cause: fmt.Sprintf("part %d: %v", in.Part.Part, err)}
			key := failureKey(env.Layout(in.Job.Execution), in.Part.Part)
			_, _ = stepkit.WriteJSON(ctx, env.Store, env.BucketOr(in.Job.Bucket), key, f)
		}
		return out, err
	}
}

// planCache keeps decoded report plans: a warm Lambda aggregates many
// parts of one execution. Safe for concurrent use.
type planCache struct {
	mu    sync.Mutex
	plans map[string]*Plan
}

func (c *planCache) get(ctx context.Context, env *stepkit.Env, bucket, key string) (*Plan, error) {
	c.mu.Lock()
	p := c.plans[bucket+"/"+key]
	c.mu.Unlock()
	if p != nil {
		return p, nil
	}
	p = &Plan{}
	if err := stepkit.ReadJSON(ctx, env.Store, bucket, key, p); err != nil {
		return nil, fmt.Errorf("report part: read plan: %w", err)
	}
	c.mu.Lock()
	if c.plans == nil || len(c.plans) > 16 {
		c.plans = map[string]*Plan{}
	}
	c.plans[bucket+"/"+key] = p
	c.mu.Unlock()
	return p, nil
}

// RunPart aggregates one part and writes its partial.
func RunPart(ctx context.Context, env *stepkit.Env, in PartInput) (PartOutput, error) {
	out, _, err := runPart(ctx, env, &planCache{}, in)
	return out, err
}

func runPart(ctx context.Context, env *stepkit.Env, c *planCache, in PartInput) (PartOutput, report.Limits, error) {
	bucket := env.BucketOr(in.Job.Bucket)
	p, err := c.get(ctx, env, bucket, in.PlanKey)
	if err != nil {
		return PartOutput{}, report.Limits{}, err
	}
	req := &p.Request
	part := in.Part
	body, info, err := env.Store.Get(ctx, part.Bucket, part.Key, part.Start, part.End)
	if err != nil {
		return PartOutput{}, req.limits(), fmt.Errorf("report part %d: %w", part.Part, err)
	}
	defer body.Close()
	if info.ETag != "" && part.ETag != "" && info.ETag != part.ETag {
		return PartOutput{}, req.limits(), &export.SourceChanged{Bucket: part.Bucket, Key: part.Key, PlannedETag: part.ETag, NowETag: info.ETag}
	}
	partial := report.NewPartial(req.Aggregates, req.MaxGroups)
	partial.MaxDistinct = req.MaxDistinct
	read, err := aggregate(ctx, env, body, p, part, partial)
	if err != nil {
		return PartOutput{}, req.limits(), err
	}
	key := partialKey(env.Layout(in.Job.Execution), part.Part)
	// Compact: a partial can hold many distinct values.
	doc, err := partial.MarshalJSON() // not json.Marshal, which would copy it to check it
	if err != nil {
		return PartOutput{}, req.limits(), err
	}
	if _, err := env.Store.Put(ctx, bucket, key, bytes.NewReader(doc), "application/json"); err != nil {
		return PartOutput{}, req.limits(), fmt.Errorf("report part %d: write partial: %w", part.Part, err)
	}
	var kept int64
	for _, g := range partial.Groups {
		kept += g.Count
	}
	return PartOutput{Part: part.Part, RowsRead: read, RowsKept: kept, Groups: len(partial.Groups), Key: key}, req.limits(), nil
}

// aggregate reads the part's rows into partial and returns how many it
// read. Any bad row fails the part: a report that silently skipped rows
// would be wrong without saying so.
func aggregate(ctx context.Context, env *stepkit.Env, r io.Reader, p *Plan, part export.PartSpec, partial *report.Partial) (int64, error) {
	req := &p.Request
	filter, err := export.CompileFilter(req.Where, p.Header, req.Types)
	if err != nil {
		return 0, err
	}
	if req.Source.Format != export.FormatJSONL {
		return aggregateCSV(ctx, env, r, p, part, filter, partial)
	}
	keyIdx, valIdx := indexes(p.Header, req)
	keys := make([]string, len(keyIdx))
	vals := make([]string, len(valIdx))
	rows := export.NewRowReader(r, &export.Request{Source: req.Source}, p.Header, part.FirstRow, part.FirstLine)
	bad := func(line int64, reason string) error {
		return &InvalidSourceRow{Bucket: part.Bucket, Key: part.Key, Line: line, Reason: reason}
	}
	var n int64
	for {
		if n&0xffff == 0 && env.Deadline(ctx) {
			return n, &export.PartDeadlineExceeded{Part: part.Part, Processed: n}
		}
		values, _, err := rows.Next()
		if err == io.EOF {
			return n, nil
		}
		var rowErr *export.RowError
		if errors.As(err, &rowErr) {
			return n, bad(rowErr.Line, rowErr.Reason)
		}
		if err != nil {
			return n, fmt.Errorf("report part %d: read s3://%s/%s: %w", part.Part, part.Bucket, part.Key, err)
		}
		n++
		keep, err := filter.Keep(values)
		if err != nil {
			return n, bad(rows.Line(), err.Error())
		}
		if !keep {
			continue
		}
		for i, c := range keyIdx {
			keys[i] = values[c]
		}
		for i, c := range valIdx {
			if c >= 0 {
				vals[i] = values[c]
			}
		}
		if err := partial.Add(keys, vals); err != nil {
			if errors.Is(err, report.ErrTooManyGroups) || errors.Is(err, report.ErrTooManyDistinct) {
				return n, fmt.Errorf("s3://%s/%s line %d: %w", part.Bucket, part.Key, rows.Line(), err)
			}
			return n, bad(rows.Line(), err.Error())
		}
	}
}

// aggregateCSV is aggregate for CSV sources, through the allocation-free
// reader of [report.AggregateRecords].
func aggregateCSV(ctx context.Context, env *stepkit.Env, r io.Reader, p *Plan, part export.PartSpec, filter *export.Filter, partial *report.Partial) (int64, error) {
	o := report.Options{Header: p.Header, GroupBy: p.Request.GroupBy, Stop: func() bool { return env.Deadline(ctx) }}
	if c := p.Request.Source.CSV; c != nil {
		o.Delimiter = c.Delimiter
	}
	if filter != nil {
		o.Keep = filter.Keep
	}
	n, err := report.AggregateRecords(r, o, partial)
	var rowErr *report.RowError
	switch {
	case errors.As(err, &rowErr):
		return n, &InvalidSourceRow{Bucket: part.Bucket, Key: part.Key, Line: part.FirstLine + rowErr.Line - 1, Reason: rowErr.Reason}
	case errors.Is(err, report.ErrStopped):
		return n, &export.PartDeadlineExceeded{Part: part.Part, Processed: n}
	case errors.Is(err, report.ErrTooManyGroups), errors.Is(err, report.ErrTooManyDistinct):
		return n, fmt.Errorf("s3://%s/%s: %w", part.Bucket, part.Key, err)
	case err != nil:
		return n, fmt.Errorf("report part %d: read s3://%s/%s: %w", part.Part, part.Bucket, part.Key, err)
	}
	return n, nil
}

// indexes returns the header positions of the group-by columns and of each
// aggregate's column (-1 for count of rows). The plan checked they exist.
func indexes(header []string, req *Request) (keyIdx, valIdx []int) {
	pos := func(c string) int {
		for i, h := range header {
			if h == c {
				return i
			}
		}
		return -1
	}
	for _, g := range req.GroupBy {
		keyIdx = append(keyIdx, pos(g))
	}
	for _, a := range req.Aggregates {
		if a.Column == "" {
			valIdx = append(valIdx, -1)
		} else {
			valIdx = append(valIdx, pos(a.Column))
		}
	}
	return keyIdx, valIdx
}
