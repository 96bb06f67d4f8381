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
	"errors"
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
	// Approval is the decision the export was published with (who
	// approved, and their comment), for the execution's output.
	Approval *export.Decision `json:"approval"`
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
		return Output{}, destinationError("copy the export to", p.OutputBucket, p.OutputKey, err)
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
		return Output{}, destinationError("write the manifest to", p.OutputBucket, manKey, err)
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
	return Output{Bucket: p.OutputBucket, Key: p.OutputKey, ManifestKey: manKey, URL: url, Rows: m.Rows, Bytes: m.Bytes, SHA256: m.SHA256, Approval: in.Approval}, nil
}

// OutputNotWritable reports that the export's destination refused the
// write for a reason retrying cannot fix: a bucket that does not exist or
// is not valid, access denied, a key S3 rejects. The plan step validates
// output.bucket and output.key, so this is what is left: the Catch sends
// it to Cleanup and the execution fails with this errorType, where a
// wrapped error would read "wrapError". Throttling and 5xx answers stay
// [export.S3Unavailable], which Retry matches.
type OutputNotWritable struct {
	Bucket, Key string
	// Op says what was being written ("copy the export to").
	Op string
	// Cause is the S3 error's text. The error itself is not wrapped: its
	// chain may hold an [export.NotFound] (NoSuchBucket), which
	// stepkit.Named would report instead, as if a work file were missing.
	Cause string
}

// Error implements error.
func (e *OutputNotWritable) Error() string {
	return fmt.Sprintf("publish: cannot %s s3://%s/%s: %s (check output.bucket and output.key of the request, and that the bucket exists and the publish step may write to it)", e.Op, e.Bucket, e.Key, e.Cause)
}

// destinationError names a failed write to the export's destination:
// retryable S3 failures and cancellations keep their own type, anything
// else is an [*OutputNotWritable].
func destinationError(op, bucket, key string, err error) error {
	var s3u *export.S3Unavailable
	if errors.As(err, &s3u) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("publish: %s s3://%s/%s: %w", op, bucket, key, err)
	}
	return &OutputNotWritable{Bucket: bucket, Key: key, Op: op, Cause: err.Error()}
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
