// Package merge is the step that joins the exported parts into one object
// in the execution's work directory, with bounded memory whatever the
// export size:
//
//   - csv and jsonl (gzip or not): a multipart upload that copies parts of
//     5 MiB or more server-side with UploadPartCopy and buffers smaller
//     ones into 5 MiB uploaded parts. Part 0 carries the only header line;
//     gzip parts are complete gzip members, and concatenated members are a
//     valid gzip stream (RFC 1952), so nothing is re-compressed.
//   - parquet: the parts' row groups are re-written row batch by row batch
//     into one file streamed to S3.
//
// It then reads the merged object once to compute its SHA-256. It does not
// publish: the merged object waits for approval in the work directory.
package merge

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// Input names the execution.
type Input struct {
	Job export.Job `json:"job"`
}

// New returns the merge handler over env.
func New(env *stepkit.Env) func(context.Context, Input) (export.MergeResult, error) {
	return func(ctx context.Context, in Input) (export.MergeResult, error) {
		out, err := Run(ctx, env, in)
		return out, stepkit.Named(err)
	}
}

// Run merges the parts of one execution.
func Run(ctx context.Context, env *stepkit.Env, in Input) (export.MergeResult, error) {
	start := time.Now()
	bucket := env.BucketOr(in.Job.Bucket)
	lay := env.Layout(in.Job.Execution)
	log := env.Logger(ctx, "merge", in.Job.Execution)
	var p export.Plan
	if err := stepkit.ReadJSON(ctx, env.Store, bucket, lay.PlanKey(), &p); err != nil {
		return export.MergeResult{}, fmt.Errorf("merge: read plan: %w", err)
	}
	req := &p.Request
	res := export.MergeResult{Parts: p.Parts, Key: lay.MergedKey(req.OutputExt())}
	for _, c := range p.Columns {
		res.Columns = append(res.Columns, c.OutputName())
	}
	parts := make([]objstore.ObjectInfo, p.Parts)
	var rejectedKey string
	for i := range p.Parts {
		var pr export.PartResult
		if err := stepkit.ReadJSON(ctx, env.Store, bucket, lay.PartResultKey(i), &pr); err != nil {
			return export.MergeResult{}, fmt.Errorf("merge: part %d has no result: %w", i, err)
		}
		res.Rows += pr.RowsWritten
		res.RowsRead += pr.RowsRead
		res.Rejected += pr.Rejected
		if pr.RejectedKey != "" && rejectedKey == "" {
			rejectedKey = pr.RejectedKey
		}
		parts[i] = objstore.ObjectInfo{Bucket: bucket, Key: pr.Key, Size: pr.Bytes}
	}
	if res.Rejected > req.MaxRejectedRows {
		return export.MergeResult{}, &export.TooManyRejectedRows{Rejected: res.Rejected, Limit: req.MaxRejectedRows, RejectedKey: rejectedKey}
	}
	var err error
	if req.Output.Format == export.FormatParquet {
		res.Method = "parquet"
		err = mergeParquet(ctx, env.Store, bucket, res.Key, parts)
	} else {
		res.Method, err = Concat(ctx, env.Store, bucket, res.Key, parts)
	}
	if err != nil {
		return export.MergeResult{}, fmt.Errorf("merge: %w", err)
	}
	res.SHA256, res.Bytes, err = hashObject(ctx, env.Store, bucket, res.Key)
	if err != nil {
		return export.MergeResult{}, fmt.Errorf("merge: hash merged object: %w", err)
	}
	d := time.Since(start)
	if _, err := stepkit.WriteJSON(ctx, env.Store, bucket, lay.MergeResultKey(), res); err != nil {
		return export.MergeResult{}, fmt.Errorf("merge: write result: %w", err)
	}
	res.DurationMS = d.Milliseconds()
	log.Info("merged", "parts", p.Parts, "rows", res.Rows, "bytes", res.Bytes, "method", res.Method, "durationMs", d.Milliseconds())
	env.EmitMetrics(map[string]string{"Step": "merge"},
		stepkit.Metric{Name: "Rows", Unit: "Count", Value: float64(res.Rows)},
		stepkit.Metric{Name: "OutputBytes", Unit: "Bytes", Value: float64(res.Bytes)},
		stepkit.Metric{Name: "Duration", Unit: "Milliseconds", Value: float64(d.Milliseconds())})
	return res, nil
}

// Concat writes the concatenation of parts to bucket/key and returns the
// method used: "copy" for a single part, "stream" for a small total, else
// "multipart". At most about 3 × [objstore.MinPartSize] bytes are held in
// memory.
func Concat(ctx context.Context, st objstore.Store, bucket, key string, parts []objstore.ObjectInfo) (string, error) {
	var total int64
	for _, p := range parts {
		total += p.Size
	}
	if len(parts) == 1 && parts[0].Size > 0 && parts[0].Size <= objstore.MaxCopyPartSize {
		_, err := st.Copy(ctx, bucket, key, parts[0].Bucket, parts[0].Key)
		return "copy", err
	}
	if total < objstore.MinPartSize {
		var buf bytes.Buffer
		for _, p := range parts {
			if err := appendObject(ctx, st, &buf, p, 0, p.Size); err != nil {
				return "", err
			}
		}
		_, err := st.Put(ctx, bucket, key, &buf, "")
		return "stream", err
	}
	id, err := st.CreateMultipart(ctx, bucket, key, "")
	if err != nil {
		return "", err
	}
	m := &mpu{ctx: ctx, st: st, bucket: bucket, key: key, id: id}
	if err := m.run(parts); err != nil {
		_ = st.AbortMultipart(context.WithoutCancel(ctx), bucket, key, id)
		return "", err
	}
	if _, err := st.CompleteMultipart(ctx, bucket, key, id, m.done); err != nil {
		_ = st.AbortMultipart(context.WithoutCancel(ctx), bucket, key, id)
		return "", err
	}
	return "multipart", nil
}

type mpu struct {
	ctx         context.Context
	st          objstore.Store
	bucket, key string
	id          string
	buf         bytes.Buffer
	done        []objstore.Part
}

func (m *mpu) next() int32 { return int32(len(m.done) + 1) }

func (m *mpu) flush() error {
	if m.buf.Len() == 0 {
		return nil
	}
	p, err := m.st.UploadPart(m.ctx, m.bucket, m.key, m.id, m.next(), m.buf.Bytes())
	if err != nil {
		return err
	}
	m.done = append(m.done, p)
	m.buf.Reset()
	return nil
}

// copyRange adds bytes [start, end) of src as server-side copied parts of
// at most MaxCopyPartSize each.
func (m *mpu) copyRange(src objstore.ObjectInfo, start, end int64) error {
	for start < end {
		n := min(end-start, objstore.MaxCopyPartSize)
		// Never leave a tail under the minimum for the next copy.
		if rest := end - start - n; rest > 0 && rest < objstore.MinPartSize {
			n -= objstore.MinPartSize
		}
		p, err := m.st.UploadPartCopy(m.ctx, m.bucket, m.key, m.id, m.next(), src.Bucket, src.Key, start, start+n)
		if err != nil {
			return err
		}
		m.done = append(m.done, p)
		start += n
	}
	return nil
}

func (m *mpu) run(parts []objstore.ObjectInfo) error {
	const min5 = objstore.MinPartSize
	for _, p := range parts {
		if p.Size == 0 {
			continue
		}
		have := int64(m.buf.Len())
		switch {
		case have == 0 && p.Size >= min5:
			if err := m.copyRange(p, 0, p.Size); err != nil {
				return err
			}
		case have+p.Size < 2*min5 || p.Size-(min5-have) < min5:
			// Small, or too small to split: buffer it whole.
			if err := appendObject(m.ctx, m.st, &m.buf, p, 0, p.Size); err != nil {
				return err
			}
			if int64(m.buf.Len()) >= min5 {
				if err := m.flush(); err != nil {
					return err
				}
			}
		default:
			// Top the buffer up to the minimum from the head of p, then copy
			// the rest of p server-side.
			need := min5 - have
			if err := appendObject(m.ctx, m.st, &m.buf, p, 0, need); err != nil {
				return err
			}
			if err := m.flush(); err != nil {
				return err
			}
			if err := m.copyRange(p, need, p.Size); err != nil {
				return err
			}
		}
	}
	if m.buf.Len() > 0 || len(m.done) == 0 {
		return m.flush()
	}
	return nil
}

func appendObject(ctx context.Context, st objstore.Store, w io.Writer, o objstore.ObjectInfo, start, end int64) error {
	rc, _, err := st.Get(ctx, o.Bucket, o.Key, start, end)
	if err != nil {
		return err
	}
	defer rc.Close()
	n, err := io.Copy(w, rc)
	if err != nil {
		return fmt.Errorf("read s3://%s/%s: %w", o.Bucket, o.Key, err)
	}
	if n != end-start {
		return fmt.Errorf("read s3://%s/%s: got %d bytes of range %d-%d", o.Bucket, o.Key, n, start, end)
	}
	return nil
}

func hashObject(ctx context.Context, st objstore.Store, bucket, key string) (string, int64, error) {
	rc, _, err := st.Get(ctx, bucket, key, 0, -1)
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// mergeParquet streams every row of every part into one Parquet file,
// batch by batch; memory is bounded by the writer's row group.
func mergeParquet(ctx context.Context, st objstore.Store, bucket, key string, parts []objstore.ObjectInfo) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := st.Put(ctx, bucket, key, pr, "application/vnd.apache.parquet")
		pr.CloseWithError(err)
		done <- err
	}()
	err := writeParquet(ctx, st, pw, parts)
	pw.CloseWithError(err)
	if perr := <-done; err == nil {
		err = perr
	}
	return err
}

func writeParquet(ctx context.Context, st objstore.Store, w io.Writer, parts []objstore.ObjectInfo) error {
	var out *parquet.GenericWriter[any]
	batch := make([]parquet.Row, 1024)
	for _, p := range parts {
		f, err := parquet.OpenFile(objstore.NewReaderAt(ctx, st, p.Bucket, p.Key), p.Size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
		if err != nil {
			return fmt.Errorf("open parquet part s3://%s/%s: %w", p.Bucket, p.Key, err)
		}
		if out == nil {
			out = parquet.NewGenericWriter[any](w, f.Schema(), parquet.MaxRowsPerRowGroup(export.RowGroupRows))
		}
		for _, rg := range f.RowGroups() {
			rows := rg.Rows()
			for {
				n, err := rows.ReadRows(batch)
				if n > 0 {
					if _, werr := out.WriteRows(batch[:n]); werr != nil {
						rows.Close()
						return werr
					}
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					rows.Close()
					return fmt.Errorf("read parquet part s3://%s/%s: %w", p.Bucket, p.Key, err)
				}
			}
			rows.Close()
		}
	}
	if out == nil {
		return fmt.Errorf("no parts")
	}
	return out.Close()
}
