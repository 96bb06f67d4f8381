// Package exportpart is the step the Distributed Map runs once per part:
// a ranged GET of the part's bytes, parse, filter, project, encode, write
// the part object and its result document. Malformed rows, and rows with a
// value the output format cannot carry unchanged (see the data fidelity
// rules in [export]), are counted and written, with their row and line
// numbers, to a rejected-rows object.
//
// It does not decide the export's fate on rejected rows beyond its own
// part (merge checks the total) and never writes outside the execution's
// work directory.
package exportpart

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// Input is one Map item: the job and the part from the manifest.
type Input struct {
	Job  export.Job      `json:"job"`
	Part export.PartSpec `json:"part"`
}

// New returns the exportpart handler over env.
func New(env *stepkit.Env) func(context.Context, Input) (export.PartResult, error) {
	c := &planCache{}
	return func(ctx context.Context, in Input) (export.PartResult, error) {
		out, err := Run(ctx, env, c, in)
		var pd *export.PartDeadlineExceeded
		if err = stepkit.Named(err); errors.As(err, &pd) && pd.Part < 0 {
			pd.Part = in.Part.Part
		}
		return out, err
	}
}

// planCache keeps decoded plans: a warm Lambda exports many parts of the
// same execution. Safe for concurrent use.
type planCache struct {
	mu    sync.Mutex
	plans map[string]*export.Plan
}

func (c *planCache) get(ctx context.Context, env *stepkit.Env, bucket, key string) (*export.Plan, error) {
	if c != nil {
		c.mu.Lock()
		p := c.plans[bucket+"/"+key]
		c.mu.Unlock()
		if p != nil {
			return p, nil
		}
	}
	var p export.Plan
	if err := stepkit.ReadJSON(ctx, env.Store, bucket, key, &p); err != nil {
		return nil, fmt.Errorf("exportpart: read plan: %w", err)
	}
	if c != nil {
		c.mu.Lock()
		if c.plans == nil || len(c.plans) > 16 {
			c.plans = map[string]*export.Plan{}
		}
		c.plans[bucket+"/"+key] = &p
		c.mu.Unlock()
	}
	return &p, nil
}

var errStopped = errors.New("exportpart: stopped before the deadline")

// Run exports one part. cache may be nil.
func Run(ctx context.Context, env *stepkit.Env, cache *planCache, in Input) (export.PartResult, error) {
	start := time.Now()
	job, part := in.Job, in.Part
	bucket := env.BucketOr(job.Bucket)
	lay := env.Layout(job.Execution)
	log := env.Logger(ctx, "exportpart", job.Execution).With("part", part.Part)
	p, err := cache.get(ctx, env, bucket, lay.PlanKey())
	if err != nil {
		return export.PartResult{}, err
	}
	req := &p.Request
	filter, err := export.CompileFilter(req.Where, p.Header, req.Types)
	if err != nil {
		return export.PartResult{}, err
	}
	idx, outTypes, typed := projection(p)

	body, err := openPart(ctx, env, part)
	if err != nil {
		return export.PartResult{}, err
	}
	defer body.Close()

	// The encoder writes into a pipe that the store uploads from, so the
	// part is never held in memory whole.
	partKey := lay.PartKey(part.Part, req.OutputExt())
	pw, putDone := upload(ctx, env, bucket, partKey, contentType(req))
	sum := sha256.New()
	counter := &countWriter{w: io.MultiWriter(pw, sum)}
	fail := func(err error) (export.PartResult, error) {
		pw.CloseWithError(err)
		<-putDone
		return export.PartResult{}, err
	}
	header := part.Part == 0 && req.Output.Format == export.FormatCSV && (req.Output.Header == nil || *req.Output.Header)
	w, err := export.NewRowWriter(counter, req, p.Columns, outTypes, header)
	if err != nil {
		return fail(err)
	}
	rows := export.NewRowReader(body, req, p.Header, part.FirstRow, part.FirstLine)
	rej := &rejects{}
	// reject records a rejected row; past the request's limit it fails the
	// part.
	reject := func(e *export.RowError) error {
		rej.add(e)
		if rej.n > req.MaxRejectedRows {
			return tooMany(ctx, env, bucket, lay, part.Part, rej, req.MaxRejectedRows)
		}
		return nil
	}
	res := export.PartResult{Part: part.Part, Key: partKey}
	out := make([]string, len(idx))
	for {
		if res.RowsRead&1023 == 0 && env.Deadline(ctx) {
			log.Warn("stopping before the deadline", "rowsRead", res.RowsRead)
			_, _ = fail(errStopped)
			return export.PartResult{}, &export.PartDeadlineExceeded{Part: part.Part, Processed: res.RowsRead}
		}
		values, rowNum, err := rows.Next()
		if err == io.EOF {
			break
		}
		var rowErr *export.RowError
		if errors.As(err, &rowErr) {
			res.RowsRead++
			if err := reject(rowErr); err != nil {
				return fail(err)
			}
			continue
		}
		if err != nil {
			return fail(fmt.Errorf("exportpart: part %d: read s3://%s/%s: %w", part.Part, part.Bucket, part.Key, err))
		}
		res.RowsRead++
		keep, ferr := keepRow(filter, p, typed, values)
		if ferr != nil {
			if err := reject(&export.RowError{Row: rowNum, Line: rows.Line(), Reason: ferr.Error(), Fields: values}); err != nil {
				return fail(err)
			}
			continue
		}
		if !keep {
			continue
		}
		for i, j := range idx {
			out[i] = values[j]
		}
		if err := w.Write(out); err != nil {
			// A value the output format cannot carry unchanged (bytes that
			// are not UTF-8 in JSON or Parquet): reject the row, never
			// write it altered. Nothing of the row has been written.
			var bad *export.InvalidUTF8
			if errors.As(err, &bad) {
				if err := reject(&export.RowError{Row: rowNum, Line: rows.Line(), Reason: err.Error(), Fields: values}); err != nil {
					return fail(err)
				}
				continue
			}
			return fail(fmt.Errorf("exportpart: part %d: row %d: %w", part.Part, rowNum, err))
		}
		res.RowsWritten++
	}
	if err := w.Close(); err != nil {
		return fail(err)
	}
	pw.Close()
	if err := <-putDone; err != nil {
		return export.PartResult{}, fmt.Errorf("exportpart: part %d: write s3://%s/%s: %w", part.Part, bucket, partKey, err)
	}
	res.Bytes = counter.n
	res.SHA256 = hex.EncodeToString(sum.Sum(nil))
	res.Rejected = rej.n
	return finish(ctx, env, bucket, lay, part, res, rej, time.Since(start), log)
}

// finish stores what a part leaves besides its output: its rejected rows
// (or removes a previous attempt's), its result document, the log line and
// the metrics.
func finish(ctx context.Context, env *stepkit.Env, bucket string, lay export.Layout, part export.PartSpec, res export.PartResult, rej *rejects, d time.Duration, log *slog.Logger) (export.PartResult, error) {
	if rej.n > 0 {
		res.RejectedKey = lay.RejectedKey(part.Part)
		if _, err := env.Store.Put(ctx, bucket, res.RejectedKey, bytes.NewReader(rej.bytes()), "text/csv"); err != nil {
			return export.PartResult{}, fmt.Errorf("exportpart: part %d: write rejected rows: %w", part.Part, err)
		}
	} else {
		// A retry after a run that rejected rows must not leave them behind.
		_ = env.Store.Delete(ctx, bucket, lay.RejectedKey(part.Part))
	}
	res.DurationMS = d.Milliseconds()
	if _, err := stepkit.WriteJSON(ctx, env.Store, bucket, lay.PartResultKey(part.Part), resultDoc(res)); err != nil {
		return export.PartResult{}, fmt.Errorf("exportpart: part %d: write result: %w", part.Part, err)
	}
	log.Info("exported part", "rowsRead", res.RowsRead, "rowsWritten", res.RowsWritten, "rejected", res.Rejected, "bytes", res.Bytes, "durationMs", d.Milliseconds())
	env.EmitMetrics(map[string]string{"Step": "exportpart"},
		stepkit.Metric{Name: "RowsRead", Unit: "Count", Value: float64(res.RowsRead)},
		stepkit.Metric{Name: "RowsWritten", Unit: "Count", Value: float64(res.RowsWritten)},
		stepkit.Metric{Name: "RowsRejected", Unit: "Count", Value: float64(res.Rejected)},
		stepkit.Metric{Name: "SourceBytes", Unit: "Bytes", Value: float64(part.End - part.Start)},
		stepkit.Metric{Name: "OutputBytes", Unit: "Bytes", Value: float64(res.Bytes)},
		stepkit.Metric{Name: "Duration", Unit: "Milliseconds", Value: float64(d.Milliseconds())})
	return res, nil
}

// upload streams what is written to pw into s3://bucket/key; done
// reports the upload's outcome once pw is closed.
func upload(ctx context.Context, env *stepkit.Env, bucket, key, contentType string) (pw *io.PipeWriter, done <-chan error) {
	pr, pw := io.Pipe()
	ch := make(chan error, 1)
	go func() {
		_, err := env.Store.Put(ctx, bucket, key, pr, contentType)
		pr.CloseWithError(err)
		ch <- err
	}()
	return pw, ch
}

// openPart opens the part's byte range of the source, failing with
// [export.SourceChanged] when the source is no longer the planned version.
func openPart(ctx context.Context, env *stepkit.Env, part export.PartSpec) (io.ReadCloser, error) {
	body, info, err := env.Store.Get(ctx, part.Bucket, part.Key, part.Start, part.End)
	if err != nil {
		return nil, fmt.Errorf("exportpart: part %d: %w", part.Part, err)
	}
	if info.ETag != "" && part.ETag != "" && info.ETag != part.ETag {
		body.Close()
		return nil, &export.SourceChanged{Bucket: part.Bucket, Key: part.Key, PlannedETag: part.ETag, NowETag: info.ETag}
	}
	return body, nil
}

// projection returns, for the plan's output columns, their indices in the
// source header and their types, and the header indices of the typed
// columns: a row whose typed field does not parse is rejected.
func projection(p *export.Plan) (idx []int, outTypes []string, typed []int) {
	idx = make([]int, len(p.Columns))
	outTypes = make([]string, len(p.Columns))
	for i, c := range p.Columns {
		idx[i] = indexOf(p.Header, c.Name)
		outTypes[i] = p.Request.Types[c.Name]
	}
	for i, h := range p.Header {
		if t := p.Request.Types[h]; t != "" && t != export.TypeString {
			typed = append(typed, i)
		}
	}
	return idx, outTypes, typed
}

// keepRow applies the request's filter to a row; an error (the filter's,
// or a typed field that does not parse) rejects the row.
func keepRow(filter *export.Filter, p *export.Plan, typed []int, values []string) (bool, error) {
	keep, err := filter.Keep(values)
	if err != nil {
		return false, err
	}
	for _, i := range typed {
		if _, err := export.ParseValue(values[i], p.Request.Types[p.Header[i]]); err != nil {
			return false, fmt.Errorf("column %q: %w", p.Header[i], err)
		}
	}
	return keep, nil
}

// resultDoc is the stored result: the same as the returned one except the
// duration, so that a retried part writes identical bytes.
func resultDoc(r export.PartResult) export.PartResult {
	r.DurationMS = 0
	return r
}

func tooMany(ctx context.Context, env *stepkit.Env, bucket string, lay export.Layout, part int, rej *rejects, limit int64) error {
	key := lay.RejectedKey(part)
	_, _ = env.Store.Put(ctx, bucket, key, bytes.NewReader(rej.bytes()), "text/csv")
	return &export.TooManyRejectedRows{Rejected: rej.n, Limit: limit, RejectedKey: key, First: rej.first}
}

// rejects collects malformed rows as CSV: row, line, error, then the
// fields that could be read, byte for byte.
type rejects struct {
	n     int64
	first string
	buf   []byte
}

func (r *rejects) add(e *export.RowError) {
	if r.n == 0 {
		r.buf = export.AppendCSVRecord(r.buf, []string{"row", "line", "error", "fields"})
		r.first = e.Error()
	}
	r.n++
	line := ""
	if e.Line > 0 {
		line = strconv.FormatInt(e.Line, 10)
	}
	r.buf = export.AppendCSVRecord(r.buf, append([]string{strconv.FormatInt(e.Row, 10), line, e.Reason}, e.Fields...))
}

func (r *rejects) bytes() []byte { return r.buf }

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func contentType(req *export.Request) string {
	switch {
	case req.Output.Gzip:
		return "application/gzip"
	case req.Output.Format == export.FormatJSONL:
		return "application/x-ndjson"
	case req.Output.Format == export.FormatParquet:
		return "application/vnd.apache.parquet"
	}
	return "text/csv"
}
