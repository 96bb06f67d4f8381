// Package requestapproval is the step the state machine runs with
// .waitForTaskToken: it records the pending approval — task token,
// execution, counts, columns, filter, a few sample rows and the expiry — at
// approvals/pending/<execution>.json, where the runner lists it. The
// execution then waits until an approver answers with the token (or the
// state's timeout ends it with ApprovalExpired).
//
// When the deployment has a decision page (STEPWISE_APPROVAL_URL), it then
// tells the approvers: a plain-text notification with what is exported and
// a signed link to the page (package approval). On AWS it publishes to the
// SNS topic STEPWISE_APPROVAL_TOPIC_ARN with the SDK, from this step, rather
// than through a Step Functions SNS task: the message needs the signed link,
// whose key only the functions may read, and the local engine has no
// sns:publish integration, so one code path serves both. Locally (no topic)
// the notification goes to the outbox object approvals/outbox/<execution>.txt.
// A notification that cannot be sent is logged (with the metric
// ApprovalNotificationFailed) and does not fail the export: the record is
// written and `runner approvals` still lists it.
//
// The workflow runs it three ways. First, for the wait of the first half
// of the expiry: the record above and the notification. Then, with
// "reminder", when that wait timed out: it renews the record's task token
// for the second half, keeps its request, contents and expiry, and sends
// the one reminder, with the same link. Last, with "expired", as a plain
// invoke after the second wait timed out: the notice that nothing was
// published.
//
// It does not decide anything and does not wait itself.
package requestapproval

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"

	"github.com/stepwise-dev/stepwise/steps/approval"
	"github.com/stepwise-dev/stepwise/steps/csvsplit"
	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// SampleRows is how many rows an approver sees.
const SampleRows = 5

// Bounds of an approval record. The runner reads every pending record to
// list them, and an export's rows may be anything (a 2 MB field, 10,000
// columns, a prefix of 50,000 objects): one record over the reader's limit
// used to break `runner approvals` and `runner approve` for every export.
// [Bound] cuts a record down to these, saying so in it.
const (
	// MaxRecordBytes bounds the record as written (indented JSON).
	MaxRecordBytes = 64 << 10
	// MaxSampleValue is how many characters of a sample value are kept;
	// a cut value ends in "…".
	MaxSampleValue = 200
	// MaxSampleColumns is how many columns the sample rows show.
	MaxSampleColumns = 50
	// MaxListedSources is how many source objects the record names.
	MaxListedSources = 20
	// MaxText bounds the name, the filter and each column name.
	MaxText = 2000
)

// Input is the task's payload.
type Input struct {
	Job       export.Job `json:"job"`
	TaskToken string     `json:"taskToken"`
	// RequestedAt is when the approval state was entered
	// ($$.State.EnteredTime); the expiry counts from it.
	RequestedAt string `json:"requestedAt,omitempty"`
	// RedriveCount is $$.Execution.RedriveCount: it tells a redriven
	// execution's request from the one before, so old links stop working.
	RedriveCount int `json:"redriveCount,omitempty"`
	// Reminder says the first wait reached half the expiry undecided: the
	// step renews the pending record's task token, keeps its request, its
	// times and its contents, and sends the reminder.
	Reminder bool `json:"reminder,omitempty"`
	// Expired says nobody decided in time: the step only tells the
	// approvers so (no task token; the state is a plain invoke).
	Expired bool `json:"expired,omitempty"`
}

// Output names the record written.
type Output struct {
	Bucket    string    `json:"bucket"`
	Key       string    `json:"key"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// New returns the requestapproval handler over env. The notifier is built
// from the process environment ([approval.NotifierFromEnv]) on the first
// invocation that finds it configured, and kept: the local stack sets
// STEPWISE_APPROVAL_URL only once its HTTP port is known.
func New(env *stepkit.Env) func(context.Context, Input) (Output, error) {
	var mu sync.Mutex
	var notifier *approval.Notifier
	notify := func(ctx context.Context, in Input, send func(*approval.Notifier) error) {
		mu.Lock()
		n, err := notifier, error(nil)
		if n == nil {
			n, err = approval.NotifierFromEnv(context.WithoutCancel(ctx), env)
			notifier = n
		}
		mu.Unlock()
		if err == nil && n == nil {
			return // no decision page: nobody to notify
		}
		if err == nil {
			err = send(n)
		}
		if err != nil {
			env.Logger(ctx, "requestapproval", in.Job.Execution).Error("approval notification not sent", "error", err.Error())
			env.EmitMetrics(map[string]string{"Step": "requestapproval"}, stepkit.Metric{Name: "ApprovalNotificationFailed", Unit: "Count", Value: 1})
		}
	}
	return func(ctx context.Context, in Input) (Output, error) {
		if in.Expired {
			return expired(ctx, env, in, notify), nil
		}
		out, rec, err := request(ctx, env, in)
		if err != nil {
			return out, stepkit.Named(err)
		}
		notify(ctx, in, func(n *approval.Notifier) error { return n.Pending(ctx, rec) })
		return out, nil
	}
}

// expired sends the notice that nobody decided in time, from the pending
// record (which cleanup removes next). It never fails: the export ends
// with ApprovalExpired whatever happens to the notice.
func expired(ctx context.Context, env *stepkit.Env, in Input, notify func(context.Context, Input, func(*approval.Notifier) error)) Output {
	bucket := env.BucketOr(in.Job.Bucket)
	key := env.Layout(in.Job.Execution).PendingApprovalKey()
	var rec export.ApprovalRecord
	if err := stepkit.ReadJSON(ctx, env.Store, bucket, key, &rec); err != nil {
		env.Logger(ctx, "requestapproval", in.Job.Execution).Warn("no expiry notice: the pending record cannot be read", "key", key, "error", err.Error())
		return Output{Bucket: bucket, Key: key}
	}
	notify(ctx, in, func(n *approval.Notifier) error { return n.Expired(ctx, &rec) })
	return Output{Bucket: bucket, Key: key, ExpiresAt: rec.ExpiresAt}
}

// Run writes the pending approval record (renews it for a reminder).
func Run(ctx context.Context, env *stepkit.Env, in Input) (Output, error) {
	out, _, err := request(ctx, env, in)
	return out, err
}

// request writes the pending record of a first request, or renews it for
// a reminder.
func request(ctx context.Context, env *stepkit.Env, in Input) (Output, *export.ApprovalRecord, error) {
	if in.Reminder {
		out, rec, err := remind(ctx, env, in)
		if err == nil || !export.IsNotFound(err) {
			return out, rec, err
		}
		// The record is gone (deleted by hand): write it anew, so the
		// approval can still be decided.
	}
	return run(ctx, env, in)
}

// remind renews the pending record for the reminder's wait: the new task
// token, the time of the reminder; the request, the contents and the
// expiry stay, so the first notification's link keeps working.
func remind(ctx context.Context, env *stepkit.Env, in Input) (Output, *export.ApprovalRecord, error) {
	if in.TaskToken == "" {
		return Output{}, nil, fmt.Errorf("requestapproval: no task token in the input (run it with .waitForTaskToken)")
	}
	bucket := env.BucketOr(in.Job.Bucket)
	key := env.Layout(in.Job.Execution).PendingApprovalKey()
	var rec export.ApprovalRecord
	if err := stepkit.ReadJSON(ctx, env.Store, bucket, key, &rec); err != nil {
		return Output{}, nil, fmt.Errorf("requestapproval: read s3://%s/%s for the reminder: %w", bucket, key, err)
	}
	rec.Request = approval.RequestOf(&rec)
	rec.TaskToken = in.TaskToken
	rec.RemindedAt = env.Clock().UTC()
	if t, err := time.Parse(time.RFC3339Nano, in.RequestedAt); err == nil {
		rec.RemindedAt = t.UTC()
	}
	if _, err := stepkit.WriteJSON(ctx, env.Store, bucket, key, rec); err != nil {
		return Output{}, nil, fmt.Errorf("requestapproval: write s3://%s/%s: %w", bucket, key, err)
	}
	env.Logger(ctx, "requestapproval", in.Job.Execution).Info("approval reminder", "key", key, "expiresAt", rec.ExpiresAt)
	return Output{Bucket: bucket, Key: key, ExpiresAt: rec.ExpiresAt}, &rec, nil
}

// run writes the pending approval record and returns it.
func run(ctx context.Context, env *stepkit.Env, in Input) (Output, *export.ApprovalRecord, error) {
	if in.TaskToken == "" {
		return Output{}, nil, fmt.Errorf("requestapproval: no task token in the input (run it with .waitForTaskToken)")
	}
	bucket := env.BucketOr(in.Job.Bucket)
	lay := env.Layout(in.Job.Execution)
	var p export.Plan
	if err := stepkit.ReadJSON(ctx, env.Store, bucket, lay.PlanKey(), &p); err != nil {
		return Output{}, nil, fmt.Errorf("requestapproval: read plan: %w", err)
	}
	var m export.MergeResult
	if err := stepkit.ReadJSON(ctx, env.Store, bucket, lay.MergeResultKey(), &m); err != nil {
		return Output{}, nil, fmt.Errorf("requestapproval: read merge result: %w", err)
	}
	requested := env.Clock()
	if t, err := time.Parse(time.RFC3339Nano, in.RequestedAt); err == nil {
		requested = t.UTC()
	}
	sample, err := Sample(ctx, env.Store, bucket, m.Key, &p.Request, m.Columns, SampleRows)
	var note string
	if errors.Is(err, bufio.ErrTooLong) {
		// A JSON Lines record longer than the scanner's buffer: show the
		// rows before it rather than leave the export undecidable.
		note = fmt.Sprintf("the sample stops at row %d: the next line is longer than 16 MiB", len(sample)+1)
	} else if err != nil {
		return Output{}, nil, fmt.Errorf("requestapproval: sample rows of s3://%s/%s: %w", bucket, m.Key, err)
	}
	rec := export.ApprovalRecord{
		TaskToken: in.TaskToken, Execution: in.Job.Execution, ExecutionID: in.Job.ExecutionID,
		Name: p.Request.Name, Rows: m.Rows, Bytes: m.Bytes, Rejected: m.Rejected,
		Columns: m.Columns, Where: p.Request.Where,
		Output:       "s3://" + p.OutputBucket + "/" + p.OutputKey,
		SampleRows:   sample,
		RequestedAt:  requested,
		ExpiresAt:    requested.Add(time.Duration(p.Request.Approval.TimeoutSeconds) * time.Second),
		RedriveCount: in.RedriveCount,
		StartedBy:    p.StartedBy,
		Request:      approval.RequestDigest(cmp.Or(in.Job.ExecutionID, in.Job.Execution), in.RedriveCount),
	}
	if in.Reminder {
		// The reminder found no record to renew: the wait that remains is
		// the second half of the expiry.
		rec.RemindedAt = requested
		rec.ExpiresAt = requested.Add(time.Duration(p.Request.Approval.TimeoutSeconds-p.Request.Approval.TimeoutSeconds/2) * time.Second)
	}
	for _, s := range p.Sources {
		rec.Sources = append(rec.Sources, "s3://"+s.Bucket+"/"+s.Key)
	}
	if note != "" {
		rec.Truncated, rec.Truncation = true, append(rec.Truncation, note)
	}
	Bound(&rec)
	key := lay.PendingApprovalKey()
	if _, err := stepkit.WriteJSON(ctx, env.Store, bucket, key, rec); err != nil {
		return Output{}, nil, fmt.Errorf("requestapproval: write s3://%s/%s: %w", bucket, key, err)
	}
	env.Logger(ctx, "requestapproval", in.Job.Execution).Info("approval requested", "key", key, "rows", m.Rows, "expiresAt", rec.ExpiresAt)
	return Output{Bucket: bucket, Key: key, ExpiresAt: rec.ExpiresAt}, &rec, nil
}

// Bound cuts rec down until it is at most [MaxRecordBytes] as written:
// first each sample value, column name, the name and the filter to their
// limits, the sample to [MaxSampleColumns] columns and the sources to
// [MaxListedSources]; then, while still too big, it lists fewer columns
// (down to those the sample shows) and sources, drops sample rows, and
// lists fewer columns still. Whatever it leaves out it
// records in rec.Truncation, with rec.Truncated set. Counts, the output,
// the execution and the task token are never cut.
func Bound(rec *export.ApprovalRecord) {
	note := func(format string, args ...any) {
		rec.Truncated = true
		rec.Truncation = append(rec.Truncation, fmt.Sprintf(format, args...))
	}
	cutValues := 0
	for _, row := range rec.SampleRows {
		for i, v := range row {
			if c, ok := cut(v, MaxSampleValue); ok {
				row[i] = c
				cutValues++
			}
		}
	}
	if cutValues > 0 {
		note("%d sample values are cut to %d characters (they end in …)", cutValues, MaxSampleValue)
	}
	wide := 0
	for i, row := range rec.SampleRows {
		if len(row) > MaxSampleColumns {
			wide = max(wide, len(row))
			rec.SampleRows[i] = row[:MaxSampleColumns]
		}
	}
	if wide > 0 {
		note("the sample rows show the first %d of %d columns", MaxSampleColumns, wide)
	}
	if c, ok := cut(rec.Name, MaxText); ok {
		rec.Name = c
		note("the name is cut to %d characters", MaxText)
	}
	if c, ok := cut(rec.StartedBy, MaxText); ok {
		rec.StartedBy = c
		note("who started it is cut to %d characters", MaxText)
	}
	if c, ok := cut(rec.Where, MaxText); ok {
		rec.Where = c
		note("the filter is cut to %d characters", MaxText)
	}
	cutNames := 0
	for i, c := range rec.Columns {
		if s, ok := cut(c, MaxText); ok {
			rec.Columns[i] = s
			cutNames++
		}
	}
	if cutNames > 0 {
		note("%d column names are cut to %d characters", cutNames, MaxText)
	}
	listSources := min(len(rec.Sources), MaxListedSources)
	listColumns := len(rec.Columns)
	rows := len(rec.SampleRows)
	allRows, allSources, allColumns := rows, len(rec.Sources), len(rec.Columns)
	size := func() int {
		r := *rec
		r.SampleRows, r.Sources, r.Columns = r.SampleRows[:rows], r.Sources[:listSources], r.Columns[:listColumns]
		// Room for the notes added below and the count fields.
		r.Truncation = append(r.Truncation, strings.Repeat("x", 100), strings.Repeat("x", 100), strings.Repeat("x", 100))
		r.ColumnCount, r.SourceCount, r.Truncated = allColumns, allSources, true
		b, _ := json.MarshalIndent(r, "", "  ")
		return len(b) + 1
	}
	for size() > MaxRecordBytes {
		switch {
		case listColumns > MaxSampleColumns:
			listColumns = max(listColumns/2, MaxSampleColumns)
		case listSources > 1:
			listSources /= 2
		case rows > 0:
			rows--
		case listColumns > 1:
			listColumns /= 2
		default:
			// Every field left is bounded above; nothing more to cut.
			return
		}
	}
	if rows < allRows {
		rec.SampleRows = rec.SampleRows[:rows]
		note("the sample shows %d of %d rows, to keep the record under %d KiB", rows, allRows, MaxRecordBytes>>10)
	}
	if listSources < allSources {
		rec.Sources, rec.SourceCount = rec.Sources[:listSources], allSources
		note("the first %d of %d sources are listed", listSources, allSources)
	}
	if listColumns < allColumns {
		rec.Columns, rec.ColumnCount = rec.Columns[:listColumns], allColumns
		note("the first %d of %d columns are listed", listColumns, allColumns)
	}
}

// cut returns s shortened to n characters ending in "…", and whether it
// was longer.
func cut(s string, n int) (string, bool) {
	if utf8.RuneCountInString(s) <= n {
		return s, false
	}
	i, k := 0, 0
	for k < n-1 {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
		k++
	}
	return s[:i] + "…", true
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
		f, err := parquet.OpenFile(objstore.NewReaderAt(ctx, st, bucket, key), info.Size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
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
					vals[i] = marshalPlain(v)
				}
			}
			rows = append(rows, vals)
		}
		return rows, sc.Err()
	}
	// The project's RFC 4180 reader: encoding/csv would show a quoted
	// "\r\n" to the approver as "\n".
	cr := csvsplit.NewReader(r, ",")
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
		rows = append(rows, slices.Clone(rec))
	}
	return rows, nil
}

// marshalPlain is v as JSON without HTML escaping: "<" stays "<", as in
// the exported file.
func marshalPlain(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
