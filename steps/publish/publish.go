// Package publish is the last step of an approved (or approval-free)
// export: it copies the merged object to its destination, writes the
// manifest next to it (rows, bytes, sha256, parts, source ETags, timings),
// moves the approval record to approvals/decided/ and returns a presigned
// download URL.
//
// It never deletes work files (cleanup does, on failure; the bucket's
// lifecycle rule expires them after success).
package publish

import (
	"context"
	"fmt"
	"time"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// URLTTL is how long the presigned URL is valid. Lambda's temporary
// credentials may end it sooner (a presigned URL dies with the session
// that signed it).
const URLTTL = 12 * time.Hour

// Input is the publish payload.
type Input struct {
	Job export.Job `json:"job"`
	// Approval is the approver's decision, when approval was required.
	Approval *export.Decision `json:"approval,omitempty"`
	// PublishedAt is when the publish state was entered
	// ($$.State.EnteredTime), so a retry writes the same manifest.
	PublishedAt string `json:"publishedAt,omitempty"`
}

// Output says where the export is.
type Output struct {
	Bucket      string `json:"bucket"`
	Key         string `json:"key"`
	ManifestKey string `json:"manifestKey"`
	URL         string `json:"url"`
	Rows        int64  `json:"rows"`
	Bytes       int64  `json:"bytes"`
	SHA256      string `json:"sha256"`
}

// New returns the publish handler over env.
func New(env *stepkit.Env) func(context.Context, Input) (Output, error) {
	return func(ctx context.Context, in Input) (Output, error) {
		out, err := Run(ctx, env, in)
		return out, stepkit.Named(err)
	}
}

// Run publishes one export.
func Run(ctx context.Context, env *stepkit.Env, in Input) (Output, error) {
	bucket := env.BucketOr(in.Job.Bucket)
	lay := env.Layout(in.Job.Execution)
	var p export.Plan
	if err := stepkit.ReadJSON(ctx, env.Store, bucket, lay.PlanKey(), &p); err != nil {
		return Output{}, fmt.Errorf("publish: read plan: %w", err)
	}
	var m export.MergeResult
	if err := stepkit.ReadJSON(ctx, env.Store, bucket, lay.MergeResultKey(), &m); err != nil {
		return Output{}, fmt.Errorf("publish: read merge result: %w", err)
	}
	if in.Approval != nil && in.Approval.Decision != "approve" {
		return Output{}, &export.ExportRejected{Execution: in.Job.Execution, Approver: in.Approval.Approver, Comment: in.Approval.Comment}
	}
	published := env.Clock()
	if t, err := time.Parse(time.RFC3339Nano, in.PublishedAt); err == nil {
		published = t.UTC()
	}
	if _, err := env.Store.Copy(ctx, p.OutputBucket, p.OutputKey, bucket, m.Key); err != nil {
		return Output{}, fmt.Errorf("publish: copy to s3://%s/%s: %w", p.OutputBucket, p.OutputKey, err)
	}
	man := export.Manifest{
		Execution: in.Job.Execution, Name: p.Request.Name,
		Bucket: p.OutputBucket, Key: p.OutputKey, Format: p.Request.Output.Format, Gzip: p.Request.Output.Gzip,
		Rows: m.Rows, Rejected: m.Rejected, Bytes: m.Bytes, SHA256: m.SHA256, Parts: m.Parts,
		Columns: m.Columns, Where: p.Request.Where, Sources: p.Sources, Approval: in.Approval,
		PlannedAt: p.PlannedAt, PublishedAt: published,
		Timings: map[string]string{},
	}
	if !p.PlannedAt.IsZero() {
		man.Timings["total"] = published.Sub(p.PlannedAt).String()
	}
	manKey := export.ManifestKeyFor(p.OutputKey)
	if _, err := stepkit.WriteJSON(ctx, env.Store, p.OutputBucket, manKey, man); err != nil {
		return Output{}, fmt.Errorf("publish: write manifest: %w", err)
	}
	if in.Approval != nil {
		if err := decide(ctx, env, bucket, lay, in.Approval, published); err != nil {
			return Output{}, err
		}
	}
	url, err := env.Store.Presign(ctx, p.OutputBucket, p.OutputKey, URLTTL)
	if err != nil {
		return Output{}, fmt.Errorf("publish: %w", err)
	}
	env.Logger(ctx, "publish", in.Job.Execution).Info("published", "bucket", p.OutputBucket, "key", p.OutputKey, "rows", m.Rows, "bytes", m.Bytes)
	env.EmitMetrics(map[string]string{"Step": "publish"},
		stepkit.Metric{Name: "PublishedRows", Unit: "Count", Value: float64(m.Rows)},
		stepkit.Metric{Name: "PublishedBytes", Unit: "Bytes", Value: float64(m.Bytes)})
	return Output{Bucket: p.OutputBucket, Key: p.OutputKey, ManifestKey: manKey, URL: url, Rows: m.Rows, Bytes: m.Bytes, SHA256: m.SHA256}, nil
}

// decide moves the pending approval record to decided/ with the decision.
func decide(ctx context.Context, env *stepkit.Env, bucket string, lay export.Layout, d *export.Decision, at time.Time) error {
	var rec export.ApprovalRecord
	err := stepkit.ReadJSON(ctx, env.Store, bucket, lay.PendingApprovalKey(), &rec)
	if export.IsNotFound(err) {
		return nil // already moved by an earlier attempt
	}
	if err != nil {
		return fmt.Errorf("publish: read pending approval: %w", err)
	}
	rec.TaskToken = "" // a decided record needs no token
	rec.Decision, rec.Approver, rec.Comment, rec.DecidedAt = d.Decision, d.Approver, d.Comment, at
	if _, err := stepkit.WriteJSON(ctx, env.Store, bucket, lay.DecidedApprovalKey(), rec); err != nil {
		return fmt.Errorf("publish: write decided approval: %w", err)
	}
	if err := env.Store.Delete(ctx, bucket, lay.PendingApprovalKey()); err != nil {
		return fmt.Errorf("publish: delete pending approval: %w", err)
	}
	return nil
}
