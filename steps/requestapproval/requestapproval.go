// Package requestapproval is the step the state machine runs with
// .waitForTaskToken: it records the pending approval — task token,
// execution, counts, columns, filter, a few sample rows and the expiry — at
// approvals/pending/<execution>.json, where the runner lists it. The
// execution then waits until an approver answers with the token (or the
// state's timeout ends it with ApprovalExpired).
//
// It does not decide anything and does not wait itself.
package requestapproval

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/merge"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// SampleRows is how many rows an approver sees.
const SampleRows = 5

// Input is the task's payload.
type Input struct {
	Job       export.Job `json:"job"`
	TaskToken string     `json:"taskToken"`
	// RequestedAt is when the approval state was entered
	// ($$.State.EnteredTime); the expiry counts from it.
	RequestedAt string `json:"requestedAt,omitempty"`
}

// Output names the record written.
type Output struct {
	Bucket    string    `json:"bucket"`
	Key       string    `json:"key"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// New returns the requestapproval handler over env.
func New(env *stepkit.Env) func(context.Context, Input) (Output, error) {
	return func(ctx context.Context, in Input) (Output, error) {
		out, err := Run(ctx, env, in)
		return out, stepkit.Named(err)
	}
}

// Run writes the pending approval record.
func Run(ctx context.Context, env *stepkit.Env, in Input) (Output, error) {
	if in.TaskToken == "" {
		return Output{}, fmt.Errorf("requestapproval: no task token in the input (run it with .waitForTaskToken)")
	}
	bucket := env.BucketOr(in.Job.Bucket)
	lay := env.Layout(in.Job.Execution)
	var p export.Plan
	if err := stepkit.ReadJSON(ctx, env.Store, bucket, lay.PlanKey(), &p); err != nil {
		return Output{}, fmt.Errorf("requestapproval: read plan: %w", err)
	}
	var m export.MergeResult
	if err := stepkit.ReadJSON(ctx, env.Store, bucket, lay.MergeResultKey(), &m); err != nil {
		return Output{}, fmt.Errorf("requestapproval: read merge result: %w", err)
	}
	requested := env.Clock()
	if t, err := time.Parse(time.RFC3339Nano, in.RequestedAt); err == nil {
		requested = t.UTC()
	}
	sample, err := Sample(ctx, env.Store, bucket, m.Key, &p.Request, m.Columns, SampleRows)
	if err != nil {
		return Output{}, fmt.Errorf("requestapproval: sample rows of s3://%s/%s: %w", bucket, m.Key, err)
	}
	rec := export.ApprovalRecord{
		TaskToken: in.TaskToken, Execution: in.Job.Execution, ExecutionID: in.Job.ExecutionID,
		Name: p.Request.Name, Rows: m.Rows, Bytes: m.Bytes, Rejected: m.Rejected,
		Columns: m.Columns, Where: p.Request.Where,
		Output:      "s3://" + p.OutputBucket + "/" + p.OutputKey,
		SampleRows:  sample,
		RequestedAt: requested,
		ExpiresAt:   requested.Add(time.Duration(p.Request.Approval.TimeoutSeconds) * time.Second),
	}
	for _, s := range p.Sources {
		rec.Sources = append(rec.Sources, "s3://"+s.Bucket+"/"+s.Key)
	}
	key := lay.PendingApprovalKey()
	if _, err := stepkit.WriteJSON(ctx, env.Store, bucket, key, rec); err != nil {
		return Output{}, fmt.Errorf("requestapproval: write s3://%s/%s: %w", bucket, key, err)
	}
	env.Logger(ctx, "requestapproval", in.Job.Execution).Info("approval requested", "key", key, "rows", m.Rows, "expiresAt", rec.ExpiresAt)
	return Output{Bucket: bucket, Key: key, ExpiresAt: rec.ExpiresAt}, nil
}

// Sample returns up to n rows from the start of an export object, as
// field texts in the order of columns (the output column names).
func Sample(ctx context.Context, st objstore.Store, bucket, key string, req *export.Request, columns []string, n int) ([][]string, error) {
	rows := [][]string{}
	if req.Output.Format == export.FormatParquet {
		info, err := st.Head(ctx, bucket, key)
		if err != nil {
			return nil, err
		}
		f, err := parquet.OpenFile(&merge.ReaderAt{Ctx: ctx, Store: st, Bucket: bucket, Key: key}, info.Size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
		if err != nil {
			return nil, err
		}
		for _, rg := range f.RowGroups() {
			buf := make([]parquet.Row, n-len(rows))
			r := rg.Rows()
			k, _ := r.ReadRows(buf)
			r.Close()
			for _, row := range buf[:k] {
				vals := make([]string, len(row))
				for i, v := range row {
					if !v.IsNull() {
						vals[i] = v.String()
					}
				}
				rows = append(rows, vals)
			}
			if len(rows) >= n {
				break
			}
		}
		return rows, nil
	}
	rc, _, err := st.Get(ctx, bucket, key, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var r io.Reader = rc
	if req.Output.Gzip {
		gz, err := gzip.NewReader(rc)
		if err != nil {
			return nil, err
		}
		r = gz
	}
	if req.Output.Format == export.FormatJSONL {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<16), 16<<20)
		for len(rows) < n && sc.Scan() {
			var obj map[string]any
			dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			dec.UseNumber()
			if err := dec.Decode(&obj); err != nil {
				return nil, err
			}
			vals := make([]string, len(columns))
			for i, c := range columns {
				switch v := obj[c].(type) {
				case nil:
				case string:
					vals[i] = v
				default:
					b, _ := json.Marshal(v)
					vals[i] = string(b)
				}
			}
			rows = append(rows, vals)
		}
		return rows, sc.Err()
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	if req.Output.Header == nil || *req.Output.Header {
		if _, err := cr.Read(); err != nil && err != io.EOF {
			return nil, err
		}
	}
	for len(rows) < n {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		rows = append(rows, rec)
	}
	return rows, nil
}
