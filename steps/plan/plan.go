// Package plan is the first export step: it loads and validates the export
// request, checks its columns against the source header, splits every
// source object into record-aligned byte ranges (one sequential pass, see
// [csvsplit]) and writes the plan and the part manifest to S3. It returns
// only small references, whatever the data size.
//
// It does not read rows or write output; that is exportpart.
package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/steps/csvsplit"
	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// Input is the plan step's event. The state machine passes the execution
// input as Input plus the execution's name, ARN and start time.
type Input struct {
	Execution   string `json:"execution"`
	ExecutionID string `json:"executionId,omitempty"`
	StartTime   string `json:"startTime,omitempty"`
	// Input is the execution input: {"request": <export request>} or, from
	// the S3 trigger or the runner, {"request": {"bucket": ..., "key": ...}}
	// naming a request object.
	//
	// StartedBy, optional, says who or what started the export (the
	// runner passes user@host); approvers see it. Without it, an export
	// whose request is an S3 object (the S3 trigger) is "started by" that
	// object.
	Input struct {
		Request   json.RawMessage `json:"request"`
		StartedBy string          `json:"startedBy,omitempty"`
	} `json:"input"`
}

// Output is what the state machine keeps: references, counts and the
// settings the Map and approval states need.
type Output struct {
	Job                    export.Job `json:"job"`
	PlanKey                string     `json:"planKey"`
	Manifest               S3Ref      `json:"manifest"`
	MapResults             S3Ref      `json:"mapResults"`
	Parts                  int        `json:"parts"`
	Records                int64      `json:"records"`
	SourceBytes            int64      `json:"sourceBytes"`
	MaxConcurrency         int        `json:"maxConcurrency"`
	ApprovalRequired       bool       `json:"approvalRequired"`
	ApprovalTimeoutSeconds int        `json:"approvalTimeoutSeconds"`
	// ApprovalReminderSeconds is the first wait for a decision, half the
	// timeout: then the reminder is sent and the approval waits the
	// ApprovalRemainingSeconds left (ASL has no division).
	ApprovalReminderSeconds  int    `json:"approvalReminderSeconds"`
	ApprovalRemainingSeconds int    `json:"approvalRemainingSeconds"`
	Output                   string `json:"output"`
}

// ReadAheadChunk and ReadAheadConcurrency size the plan step's read of a
// source: this many ranged GETs of this many bytes in flight or buffered
// (16 MiB).
const (
	ReadAheadChunk       = 4 << 20
	ReadAheadConcurrency = 4
)

// S3Ref names an object (or, for MapResults, a prefix).
type S3Ref struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

// New returns the plan handler over env.
func New(env *stepkit.Env) func(context.Context, Input) (Output, error) {
	return func(ctx context.Context, in Input) (Output, error) {
		out, err := Run(ctx, env, in)
		return out, stepkit.Named(err)
	}
}

// Run plans one export.
func Run(ctx context.Context, env *stepkit.Env, in Input) (Output, error) {
	start := time.Now()
	if in.Execution == "" {
		return Output{}, &export.InvalidExportRequest{Field: "", Message: "plan input has no execution name"}
	}
	log := env.Logger(ctx, "plan", in.Execution)
	req, origin, err := loadRequest(ctx, env, in.Input.Request)
	if err != nil {
		log.Error("invalid request", "error", err)
		return Output{}, err
	}
	lay := env.Layout(in.Execution)
	job := export.Job{Execution: in.Execution, ExecutionID: in.ExecutionID, Bucket: env.Bucket}

	sources, err := listSources(ctx, env, req)
	if err != nil {
		return Output{}, err
	}
	// Where the export goes is checked before the sources are read: an
	// output that replaces its own source or lands where the workflow
	// starts exports or deletes work files must not cost a whole run.
	outBucket, outKey := env.BucketOr(req.Output.Bucket), req.Output.Key
	if outKey == "" {
		outKey = lay.ExportKey(req.Name, req.OutputExt())
	}
	if err := req.CheckOutputPlacement(outBucket, outKey, env.Bucket, env.Prefixes, sources); err != nil {
		var ie *export.InvalidExportRequest
		if errors.As(err, &ie) && origin != "" {
			ie.Message += " (in " + origin + ")"
		}
		log.Error("invalid request", "error", err)
		return Output{}, err
	}
	p := &export.Plan{Job: job, Request: *req, Sources: sources, StartedBy: in.Input.StartedBy}
	if p.StartedBy == "" && origin != "" {
		p.StartedBy = "request object " + origin
	}
	if t, err := time.Parse(time.RFC3339Nano, in.StartTime); err == nil {
		p.PlannedAt = t.UTC()
	}
	var parts []export.PartSpec
	var srcBytes int64
	for i := range p.Sources {
		src := &p.Sources[i]
		header, ranges, err := splitSource(ctx, env, req, src)
		if err != nil {
			return Output{}, err
		}
		srcBytes += src.Size
		if i == 0 {
			p.Header = header
		} else if req.Source.Format == export.FormatCSV && *req.Source.CSV.Header && !slices.Equal(header, p.Header) {
			return Output{}, &export.InvalidExportRequest{Field: "/source/prefix", Message: fmt.Sprintf("s3://%s/%s has header %q, unlike s3://%s/%s (%q); every object under the prefix must have the same columns", src.Bucket, src.Key, header, p.Sources[0].Bucket, p.Sources[0].Key, p.Header)}
		}
		for _, rg := range ranges.Ranges {
			if rg.Records == 0 && rg.Start == rg.End {
				continue
			}
			parts = append(parts, export.PartSpec{
				Part: len(parts), Source: i, Bucket: src.Bucket, Key: src.Key, ETag: src.ETag,
				Start: rg.Start, End: rg.End, FirstRow: rg.FirstRecord, FirstLine: rg.FirstLine, Rows: rg.Records,
			})
			p.Records += rg.Records
		}
	}
	if len(parts) == 0 {
		// An empty export still has part 0, which carries the header.
		s := p.Sources[0]
		parts = append(parts, export.PartSpec{Bucket: s.Bucket, Key: s.Key, ETag: s.ETag, Start: s.Size, End: s.Size, FirstRow: 1, FirstLine: 1})
	}
	cols, err := req.CheckColumns(p.Header)
	if err != nil {
		var ie *export.InvalidExportRequest
		if errors.As(err, &ie) && origin != "" {
			ie.Message += " (in " + origin + ")"
		}
		return Output{}, err
	}
	p.Columns = cols
	p.Parts = len(parts)
	p.OutputBucket, p.OutputKey = outBucket, outKey
	if _, err := stepkit.WriteJSON(ctx, env.Store, env.Bucket, lay.PlanKey(), p); err != nil {
		return Output{}, fmt.Errorf("plan: write plan: %w", err)
	}
	if _, err := stepkit.WriteJSON(ctx, env.Store, env.Bucket, lay.ManifestKey(), parts); err != nil {
		return Output{}, fmt.Errorf("plan: write part manifest: %w", err)
	}
	out := Output{
		Job: job, PlanKey: lay.PlanKey(),
		Manifest:       S3Ref{Bucket: env.Bucket, Key: lay.ManifestKey()},
		MapResults:     S3Ref{Bucket: env.Bucket, Key: lay.MapResultPrefix()},
		Parts:          len(parts),
		Records:        p.Records,
		SourceBytes:    srcBytes,
		MaxConcurrency: req.MaxConcurrency, ApprovalRequired: req.ApprovalRequired(),
		ApprovalTimeoutSeconds:   req.Approval.TimeoutSeconds,
		ApprovalReminderSeconds:  req.Approval.TimeoutSeconds / 2,
		ApprovalRemainingSeconds: req.Approval.TimeoutSeconds - req.Approval.TimeoutSeconds/2,
		Output:                   "s3://" + p.OutputBucket + "/" + p.OutputKey,
	}
	d := time.Since(start)
	log.Info("planned", "sources", len(p.Sources), "parts", len(parts), "records", p.Records, "bytes", srcBytes, "durationMs", d.Milliseconds())
	env.EmitMetrics(map[string]string{"Step": "plan"},
		stepkit.Metric{Name: "SourceBytes", Unit: "Bytes", Value: float64(srcBytes)},
		stepkit.Metric{Name: "Parts", Unit: "Count", Value: float64(len(parts))},
		stepkit.Metric{Name: "Duration", Unit: "Milliseconds", Value: float64(d.Milliseconds())})
	return out, nil
}

// loadRequest parses an inline request or reads the request object it
// names.
func loadRequest(ctx context.Context, env *stepkit.Env, raw json.RawMessage) (*export.Request, string, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, "", &export.InvalidExportRequest{Field: "", Message: `the execution input has no "request"`}
	}
	var ref struct {
		Bucket string          `json:"bucket"`
		Key    string          `json:"key"`
		Source json.RawMessage `json:"source"`
	}
	if err := json.Unmarshal(raw, &ref); err == nil && ref.Source == nil && ref.Key != "" {
		bucket := env.BucketOr(ref.Bucket)
		origin := "s3://" + bucket + "/" + ref.Key
		rc, _, err := env.Store.Get(ctx, bucket, ref.Key, 0, -1)
		if err != nil {
			if export.IsNotFound(err) {
				return nil, origin, &export.InvalidExportRequest{Message: fmt.Sprintf("request object %s does not exist", origin)}
			}
			return nil, origin, err
		}
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, export.MaxRequestBytes+1))
		if err != nil {
			return nil, origin, fmt.Errorf("plan: read %s: %w", origin, err)
		}
		req, err := export.ParseRequest(data)
		var ie *export.InvalidExportRequest
		if errors.As(err, &ie) {
			ie.Message += " (in " + origin + ")"
		}
		return req, origin, err
	}
	req, err := export.ParseRequest(raw)
	return req, "", err
}

// listSources pins the source objects with their sizes and ETags.
func listSources(ctx context.Context, env *stepkit.Env, req *export.Request) ([]export.SourceObject, error) {
	s := req.Source
	if s.Key != "" {
		info, err := env.Store.Head(ctx, s.Bucket, s.Key)
		if export.IsNotFound(err) {
			return nil, &export.InvalidExportRequest{Field: "/source/key", Message: fmt.Sprintf("s3://%s/%s does not exist", s.Bucket, s.Key)}
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
		if strings.HasSuffix(o.Key, "/") {
			continue // a folder marker
		}
		out = append(out, export.SourceObject{Bucket: s.Bucket, Key: o.Key, ETag: o.ETag, Size: o.Size})
	}
	if len(out) == 0 {
		return nil, &export.InvalidExportRequest{Field: "/source/prefix", Message: fmt.Sprintf("no objects under s3://%s/%s", s.Bucket, s.Prefix)}
	}
	return out, nil
}

// splitSource streams one source object through the splitter and returns
// its header and ranges.
func splitSource(ctx context.Context, env *stepkit.Env, req *export.Request, src *export.SourceObject) ([]string, *csvsplit.Result, error) {
	// One sequential pass, fed by a few ranged GETs in flight: a single S3
	// connection would cap planning at its ~100 MB/s.
	rc := objstore.ReadAhead(ctx, env.Store, src.Bucket, src.Key, src.ETag, src.Size, ReadAheadChunk, ReadAheadConcurrency)
	defer rc.Close()
	opts := csvsplit.Options{PartSize: req.PartSize}
	csvSrc := req.Source.Format == export.FormatCSV
	if csvSrc {
		opts.Quote = '"'
		opts.Delimiter = req.Source.CSV.Delimiter
		opts.Header = *req.Source.CSV.Header
	}
	res, err := csvsplit.Split(rc, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("plan: split s3://%s/%s: %w", src.Bucket, src.Key, err)
	}
	if res.Size != src.Size {
		return nil, nil, &export.SourceChanged{Bucket: src.Bucket, Key: src.Key, PlannedETag: src.ETag, NowETag: fmt.Sprintf("(size %d, was %d)", res.Size, src.Size)}
	}
	if !csvSrc {
		return jsonlHeader(req), res, nil
	}
	if !opts.Header {
		return req.Source.CSV.Columns, res, nil
	}
	// The splitter has dropped a leading byte order mark; ReadHeader, which
	// the runner uses on local files too, would drop it as well.
	header, err := export.ReadHeader(bytes.NewReader(res.Header), req.Source.CSV.Delimiter)
	if err != nil {
		return nil, nil, &export.InvalidExportRequest{Field: "/source/csv/header", Message: fmt.Sprintf("s3://%s/%s: %v", src.Bucket, src.Key, err)}
	}
	return header, res, nil
}

// jsonlHeader is the column list of a JSON Lines source: the requested
// columns, then typed columns the filter may use.
func jsonlHeader(req *export.Request) []string {
	var h []string
	seen := map[string]bool{}
	for _, c := range req.Columns {
		if !seen[c.Name] {
			h = append(h, c.Name)
			seen[c.Name] = true
		}
	}
	var extra []string
	for k := range req.Types {
		if !seen[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	return append(h, extra...)
}
