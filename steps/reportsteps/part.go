package reportsteps

import (
	"bytes"
	"context"
	"encoding/json"
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
	Job     export.Job `json:"job"`
	PlanKey string     `json:"planKey"`
	Part    PartSpec   `json:"part"`
}

// PartOutput is a part's small result; the partial itself is in S3.
type PartOutput struct {
	Part     int    `json:"part"`
	RowsRead int64  `json:"rowsRead"`
	RowsKept int64  `json:"rowsKept"`
	Groups   int    `json:"groups"`
	Key      string `json:"key"`
}

// PartMeta heads a part's partial: the quote parity the part assumed at
// its start, the counts the reduce chains, and the error the part met
// under that assumption, which only the reduce can judge.
type PartMeta struct {
	Part   int `json:"part"`
	Parity int `json:"parity"`
	report.RangeStats
	RowsRead int64      `json:"rowsRead"`
	Error    *PartError `json:"error,omitempty"`
}

// PartError is a data error a part met: a row it could not use or a
// limit. Line is the row's line counted from the part's Start (1 for the
// line Start is on); the reduce makes it a source line.
type PartError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
	Line    int64  `json:"line,omitempty"`
}

// Error implements error (the part's own message, before the reduce
// judged it).
func (e *PartError) Error() string { return e.Name + ": " + e.Message }

// sourceError returns the named error e stands for, lineBase being the
// number of line ends before the part's Start.
func (e *PartError) sourceError(part PartSpec, lineBase int64, lim report.Limits) error {
	switch e.Name {
	case "TooManyGroups":
		return &TooManyGroups{Limit: lim.Groups, Message: e.Message}
	case "TooManyDistinctValues":
		return &TooManyDistinctValues{Limit: lim.Distinct, Message: e.Message}
	}
	return &InvalidSourceRow{Bucket: part.Bucket, Key: part.Key, Line: lineBase + e.Line, Reason: e.Message}
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
	partial := report.NewPartial(req.Aggregates, req.MaxGroups)
	partial.MaxDistinct = req.MaxDistinct
	meta, err := aggregatePart(ctx, env, p, part, -1, partial)
	if err != nil {
		return PartOutput{}, req.limits(), err
	}
	if meta.Error != nil && part.Start == part.DataStart {
		// The first part of a source knows its parity and its lines: its
		// error is the source's first, reported now.
		return PartOutput{}, req.limits(), meta.Error.sourceError(part, p.Data[part.Source].HeaderLines, req.limits())
	}
	key := partialKey(env.Layout(in.Job.Execution), part.Part)
	mj, err := json.Marshal(meta)
	if err != nil {
		return PartOutput{}, req.limits(), err
	}
	var doc bytes.Buffer
	if err := partial.WriteBinary(&doc, mj); err != nil {
		return PartOutput{}, req.limits(), err
	}
	// A part whose invocation was given up (the Map Run failed and the
	// local engine cancelled it) writes nothing: the workflow's cleanup may
	// already have run. On Lambda nothing cancels an invocation, and the
	// work prefix's lifecycle rule removes what such a part leaves.
	if err := ctx.Err(); err != nil {
		return PartOutput{}, req.limits(), fmt.Errorf("report part %d: %w", part.Part, err)
	}
	// A seekable body: the uploader sends it without copying it into a
	// part buffer.
	if _, err := env.Store.Put(ctx, bucket, key, bytes.NewReader(doc.Bytes()), "application/octet-stream"); err != nil {
		return PartOutput{}, req.limits(), fmt.Errorf("report part %d: write partial: %w", part.Part, err)
	}
	var kept int64
	for _, g := range partial.Groups {
		kept += g.Count
	}
	return PartOutput{Part: part.Part, RowsRead: meta.RowsRead, RowsKept: kept, Groups: len(partial.Groups), Key: key}, req.limits(), nil
}

// aggregatePart reads the records part owns into partial, assuming the
// quote parity parity at its start (-1: guess it from the first bytes,
// see [report.ChooseParity]). A row the report cannot use or a limit
// is not an error here but the meta's Error: whether it counts depends on
// the parity, which the reduce checks. Errors are S3's, SourceChanged and
// PartDeadlineExceeded.
func aggregatePart(ctx context.Context, env *stepkit.Env, p *Plan, part PartSpec, parity int, partial *report.Partial) (PartMeta, error) {
	req := &p.Request
	jsonl := req.Source.Format == export.FormatJSONL
	from := part.Start
	if part.Start > part.DataStart {
		from-- // a record starts at Start when the byte before ends a line
	}
	src := &sourceStream{ctx: ctx, env: env, part: part, pos: from}
	defer src.Close()
	cut := part.cut(jsonl)
	var in io.Reader = src
	if parity < 0 {
		window := make([]byte, report.ProbeWindow)
		n, err := io.ReadFull(src, window)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return PartMeta{}, err
		}
		parity = report.ChooseParity(window[:n], cut, len(p.Header), delimiter(req))
		in = io.MultiReader(bytes.NewReader(window[:n]), src)
	}
	rr := report.NewRangeReader(in, from, cut, parity)
	meta := PartMeta{Part: part.Part, Parity: parity}
	n, err := aggregate(ctx, env, rr, p, part, partial)
	meta.RowsRead = n
	var pe *PartError
	if errors.As(err, &pe) {
		meta.Error = pe
		// The counts cover the whole cut whatever happened to the rows.
		if _, err := io.Copy(io.Discard, rr); err != nil {
			return PartMeta{}, readErr(part, err)
		}
	} else if err != nil {
		return PartMeta{}, err
	}
	meta.RangeStats = rr.Stats()
	if meta.Error != nil && meta.Error.Line > 0 {
		meta.Error.Line += meta.LinesBefore
	}
	return meta, nil
}

func delimiter(req *Request) string {
	if c := req.Source.CSV; c != nil && c.Delimiter != "" {
		return c.Delimiter
	}
	return ","
}

func readErr(part PartSpec, err error) error {
	var sc *export.SourceChanged
	if errors.As(err, &sc) {
		return sc
	}
	return fmt.Errorf("report part %d: read s3://%s/%s: %w", part.Part, part.Bucket, part.Key, err)
}

// sourceStream reads a source object from pos on by ranged GETs: the
// first to a little past the part's End (most records that cross it end
// there), the next ones growing, as far as the last record needs.
type sourceStream struct {
	ctx  context.Context
	env  *stepkit.Env
	part PartSpec
	pos  int64
	body io.ReadCloser
	gets int
}

// overshoot is how far past its End a part's first GET reads.
const overshoot = 64 << 10

func (s *sourceStream) Read(p []byte) (int, error) {
	for {
		if s.body == nil {
			if s.pos >= s.part.Size {
				return 0, io.EOF
			}
			end := s.part.End + overshoot
			if s.gets > 0 {
				end = s.pos + min(16<<20, int64(1<<20)<<(2*min(s.gets-1, 2)))
			}
			end = min(max(end, s.pos+1), s.part.Size)
			body, info, err := s.env.Store.Get(s.ctx, s.part.Bucket, s.part.Key, s.pos, end)
			if err != nil {
				return 0, err
			}
			s.gets++
			if info.ETag != "" && s.part.ETag != "" && info.ETag != s.part.ETag {
				body.Close()
				return 0, &export.SourceChanged{Bucket: s.part.Bucket, Key: s.part.Key, PlannedETag: s.part.ETag, NowETag: info.ETag}
			}
			s.body = body
		}
		n, err := s.body.Read(p)
		s.pos += int64(n)
		if err == io.EOF {
			s.body.Close()
			s.body = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

// Close closes the GET in progress.
func (s *sourceStream) Close() error {
	if s.body != nil {
		return s.body.Close()
	}
	return nil
}

// aggregate reads the part's rows into partial and returns how many it
// read. A row it cannot use or a limit stops it with a [*PartError].
func aggregate(ctx context.Context, env *stepkit.Env, r io.Reader, p *Plan, part PartSpec, partial *report.Partial) (int64, error) {
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
	rows := export.NewRowReader(r, &export.Request{Source: req.Source}, p.Header, 1, 1)
	bad := func(line int64, reason string) error {
		return &PartError{Name: "InvalidSourceRow", Message: reason, Line: line}
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
			return n, readErr(part, err)
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
			if e := limitError(err); e != nil {
				return n, e
			}
			return n, bad(rows.Line(), err.Error())
		}
	}
}

// limitError is err as a [*PartError] when it is a limit, else nil.
func limitError(err error) *PartError {
	switch {
	case errors.Is(err, report.ErrTooManyGroups):
		return &PartError{Name: "TooManyGroups", Message: err.Error()}
	case errors.Is(err, report.ErrTooManyDistinct):
		return &PartError{Name: "TooManyDistinctValues", Message: err.Error()}
	}
	return nil
}

// aggregateCSV is aggregate for CSV sources, through the allocation-free
// reader of [report.AggregateRecords].
func aggregateCSV(ctx context.Context, env *stepkit.Env, r io.Reader, p *Plan, part PartSpec, filter *export.Filter, partial *report.Partial) (int64, error) {
	o := report.Options{Header: p.Header, GroupBy: p.Request.GroupBy, Delimiter: delimiter(&p.Request), Stop: func() bool { return env.Deadline(ctx) }}
	if filter != nil {
		o.Keep = filter.Keep
	}
	n, err := report.AggregateRecords(r, o, partial)
	var rowErr *report.RowError
	switch {
	case errors.As(err, &rowErr):
		return n, &PartError{Name: "InvalidSourceRow", Message: rowErr.Reason, Line: rowErr.Line}
	case errors.Is(err, report.ErrStopped):
		return n, &export.PartDeadlineExceeded{Part: part.Part, Processed: n}
	case err != nil:
		if e := limitError(err); e != nil {
			return n, e
		}
		return n, readErr(part, err)
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
