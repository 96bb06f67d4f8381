package reportsteps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

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
	// Data says where each source's records start, by source index.
	Data []SourceData `json:"data"`
	// OutputPrefix is <prefix><execution>/ in Job.Bucket.
	OutputPrefix string `json:"outputPrefix"`
}

// SourceData is where a source object's records start: after its byte
// order mark and header record, which hold HeaderLines line ends.
type SourceData struct {
	Start       int64 `json:"start"`
	HeaderLines int64 `json:"headerLines"`
}

// PartSpec is one Map item: the byte range [Start, End) of one source
// object, cut by size alone. The part aggregates the records that start
// in it (see the package documentation).
type PartSpec struct {
	Part      int    `json:"part"`
	Source    int    `json:"source"`
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	ETag      string `json:"etag"`
	Start     int64  `json:"start"`
	End       int64  `json:"end"`
	DataStart int64  `json:"dataStart"`
	Size      int64  `json:"size"`
}

// cut is the part's place in its source for [report.NewRangeReader].
func (p PartSpec) cut(jsonl bool) report.Cut {
	return report.Cut{Start: p.Start, End: p.End, DataStart: p.DataStart, JSONL: jsonl}
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
	return fmt.Sprintf("%spartials/%05d.bin", lay.WorkDir(), n)
}

// failureKey is where part n records an error no retry can cure.
func failureKey(lay export.Layout, n int) string {
	return fmt.Sprintf("%sfailures/%05d.json", lay.WorkDir(), n)
}

// RunPlan validates the request, reads the header of every source object
// (a ranged GET of its first bytes), cuts each object into parts by size
// alone and writes the report plan and the part manifest. It never reads
// the rows: each part finds its own record boundaries.
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
	// The export's request checks the source, the filter and the types
	// the two jobs share.
	ex, err := export.ParseRequest(ereq)
	if err != nil {
		return PlanOutput{}, inFile(named(err, report.Limits{}), origin)
	}
	sources, err := listSources(ctx, env, ex)
	if err != nil {
		return PlanOutput{}, inFile(named(err, report.Limits{}), origin)
	}
	lay := env.Layout(in.Execution)
	job := export.Job{Execution: in.Execution, ExecutionID: in.ExecutionID, Bucket: env.Bucket}
	rp := Plan{Job: job, Request: *req, Sources: sources, OutputPrefix: req.Output.Prefix + in.Execution + "/"}
	for i, src := range sources {
		header, d, err := readHeader(ctx, env, ex, src)
		if err != nil {
			return PlanOutput{}, inFile(named(err, report.Limits{}), origin)
		}
		if i == 0 {
			rp.Header = header
		} else if !slices.Equal(header, rp.Header) {
			return PlanOutput{}, inFile(invalid("/source/prefix", "s3://%s/%s has header %q, unlike s3://%s/%s (%q); every object under the prefix must have the same columns", src.Bucket, src.Key, header, sources[0].Bucket, sources[0].Key, rp.Header), origin)
		}
		rp.Data = append(rp.Data, d)
	}
	if _, err := ex.CheckColumns(rp.Header); err != nil {
		return PlanOutput{}, inFile(named(err, report.Limits{}), origin)
	}
	if err := req.checkColumns(rp.Header); err != nil {
		return PlanOutput{}, inFile(err, origin)
	}
	parts, srcBytes, err := cutParts(sources, rp.Data, req.PartSize)
	if err != nil {
		return PlanOutput{}, inFile(err, origin)
	}
	if _, err := stepkit.WriteJSON(ctx, env.Store, env.Bucket, planKey(lay), rp); err != nil {
		return PlanOutput{}, fmt.Errorf("report plan: write plan: %w", err)
	}
	if _, err := stepkit.WriteJSON(ctx, env.Store, env.Bucket, lay.ManifestKey(), parts); err != nil {
		return PlanOutput{}, fmt.Errorf("report plan: write part manifest: %w", err)
	}
	return PlanOutput{
		Job: job, PlanKey: planKey(lay),
		Manifest:   plan.S3Ref{Bucket: env.Bucket, Key: lay.ManifestKey()},
		MapResults: plan.S3Ref{Bucket: env.Bucket, Key: lay.MapResultPrefix()},
		Parts:      len(parts), SourceBytes: srcBytes, MaxConcurrency: req.MaxConcurrency,
		Output: "s3://" + env.Bucket + "/" + rp.OutputPrefix,
	}, nil
}

// cutParts cuts every source's records into ranges of partSize bytes; a
// source without records still gets one (empty) part so the chain of
// parts covers every source.
func cutParts(sources []export.SourceObject, data []SourceData, partSize int64) ([]PartSpec, int64, error) {
	var parts []PartSpec
	var total int64
	for i, src := range sources {
		total += src.Size
		d := data[i].Start
		// n parts of equal size, none above partSize: no small last part
		// that would run alone at the end of the Map.
		n := max(1, (src.Size-d+partSize-1)/partSize)
		if int64(len(parts))+n > MaxParts {
			return nil, 0, invalid("/part_size", "%d bytes cuts the source into more than %d parts; raise part_size", partSize, MaxParts)
		}
		size := max(1, (src.Size-d+n-1)/n)
		for s := int64(0); s < n; s++ {
			start := min(d+s*size, src.Size)
			parts = append(parts, PartSpec{Part: len(parts), Source: i, Bucket: src.Bucket, Key: src.Key, ETag: src.ETag,
				Start: start, End: min(start+size, src.Size), DataStart: d, Size: src.Size})
		}
	}
	return parts, total, nil
}

// listSources pins the source objects with their sizes and ETags.
func listSources(ctx context.Context, env *stepkit.Env, req *export.Request) ([]export.SourceObject, error) {
	s := req.Source
	if s.Key != "" {
		info, err := env.Store.Head(ctx, s.Bucket, s.Key)
		if export.IsNotFound(err) {
			return nil, invalid("/source/key", "s3://%s/%s does not exist", s.Bucket, s.Key)
		}
		if err != nil {
			return nil, err
		}
		return []export.SourceObject{{Bucket: s.Bucket, Key: s.Key, ETag: info.ETag, Size: info.Size}}, nil
	}
	infos, err := env.Store.List(ctx, s.Bucket, s.Prefix)
	if err != nil {
		return nil, err
	}
	var out []export.SourceObject
	for _, o := range infos {
		if !strings.HasSuffix(o.Key, "/") { // not a folder marker
			out = append(out, export.SourceObject{Bucket: s.Bucket, Key: o.Key, ETag: o.ETag, Size: o.Size})
		}
	}
	if len(out) == 0 {
		return nil, invalid("/source/prefix", "no objects under s3://%s/%s", s.Bucket, s.Prefix)
	}
	return out, nil
}

// readHeader reads a source's header record from its first bytes and says
// where its records start.
func readHeader(ctx context.Context, env *stepkit.Env, req *export.Request, src export.SourceObject) ([]string, SourceData, error) {
	jsonl := req.Source.Format == export.FormatJSONL
	header := !jsonl && *req.Source.CSV.Header
	n := min(src.Size, 64<<10)
	for {
		head, err := getRange(ctx, env, src, 0, n)
		if err != nil {
			return nil, SourceData{}, err
		}
		start, lines, ok := report.HeaderEnd(head, header, n == src.Size)
		if ok {
			if jsonl {
				return jsonlHeader(req), SourceData{Start: start}, nil
			}
			if !header {
				return req.Source.CSV.Columns, SourceData{Start: start}, nil
			}
			cols, err := export.ReadHeader(bytes.NewReader(head[:start]), req.Source.CSV.Delimiter)
			if err != nil {
				return nil, SourceData{}, invalid("/source/csv/header", "s3://%s/%s: %v", src.Bucket, src.Key, err)
			}
			return cols, SourceData{Start: start, HeaderLines: lines}, nil
		}
		if n >= maxHeaderBytes || n == src.Size {
			return nil, SourceData{}, invalid("/source/csv/header", "s3://%s/%s: header row: no record end within the first %d bytes", src.Bucket, src.Key, n)
		}
		n = min(src.Size, 4*n)
	}
}

// maxHeaderBytes bounds the header record, as the export's reader does.
const maxHeaderBytes = 4 << 20

// getRange reads bytes [start, end) of a pinned source object.
func getRange(ctx context.Context, env *stepkit.Env, src export.SourceObject, start, end int64) ([]byte, error) {
	if start >= end {
		return nil, nil
	}
	rc, info, err := env.Store.Get(ctx, src.Bucket, src.Key, start, end)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if info.ETag != "" && src.ETag != "" && info.ETag != src.ETag {
		return nil, &export.SourceChanged{Bucket: src.Bucket, Key: src.Key, PlannedETag: src.ETag, NowETag: info.ETag}
	}
	return io.ReadAll(rc)
}

// jsonlHeader is the column list of a JSON Lines source: the requested
// columns, then typed columns the filter may use.
func jsonlHeader(req *export.Request) []string {
	var h []string
	for _, c := range req.Columns {
		if !slices.Contains(h, c.Name) {
			h = append(h, c.Name)
		}
	}
	var extra []string
	for k := range req.Types {
		if !slices.Contains(h, k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	return append(h, extra...)
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
