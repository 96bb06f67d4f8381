// Package stepkit holds what every export step shares at run time: the
// environment a step is built with ([Env]: the S3 store, bucket, prefixes,
// clock, logger, build version), JSON logging with the Lambda request id,
// CloudWatch Embedded Metric Format lines and the deadline guard.
//
// It is not where step logic lives (see the step packages) and it never
// creates clients per invocation: an [Env] is built once, at init.
package stepkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
)

// Version is the build version, set with -ldflags "-X .../stepkit.Version=...".
var Version = "dev"

// MetricsNamespace is the CloudWatch namespace of the steps' metrics.
const MetricsNamespace = "Stepwise/Export"

// Env is everything a step needs from outside. Build it once per process.
type Env struct {
	Store    objstore.Store
	Bucket   string // the export bucket (STEPWISE_BUCKET)
	Prefixes export.Prefixes
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Log receives JSON log lines (os.Stdout when nil).
	Log io.Writer
	// Metrics receives EMF lines (Log when nil).
	Metrics io.Writer
	// DeadlineMargin is how long before the Lambda deadline a step stops
	// and returns a retryable error (default 10s).
	DeadlineMargin time.Duration
}

// FromOS builds an Env from the environment Terraform gives the functions
// (STEPWISE_BUCKET, STEPWISE_PREFIX_*) and the default AWS configuration.
func FromOS(ctx context.Context) (*Env, error) {
	store, err := objstore.NewSDKFromEnv(ctx)
	if err != nil {
		return nil, err
	}
	p := export.DefaultPrefixes
	for _, v := range []struct {
		name string
		dst  *string
	}{
		{"STEPWISE_PREFIX_REQUESTS", &p.Requests},
		{"STEPWISE_PREFIX_UPLOADS", &p.Uploads},
		{"STEPWISE_PREFIX_WORK", &p.Work},
		{"STEPWISE_PREFIX_APPROVALS", &p.Approvals},
		{"STEPWISE_PREFIX_EXPORTS", &p.Exports},
	} {
		if s := os.Getenv(v.name); s != "" {
			*v.dst = s
		}
	}
	return &Env{Store: store, Bucket: os.Getenv("STEPWISE_BUCKET"), Prefixes: p}, nil
}

var (
	defaultOnce sync.Once
	defaultEnv  *Env
	defaultErr  error
)

// Default returns the process-wide Env built by [FromOS], creating it on
// first use.
func Default(ctx context.Context) (*Env, error) {
	defaultOnce.Do(func() { defaultEnv, defaultErr = FromOS(context.WithoutCancel(ctx)) })
	return defaultEnv, defaultErr
}

// Clock returns the current time.
func (e *Env) Clock() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

// Layout returns the key layout of an execution.
func (e *Env) Layout(execution string) export.Layout {
	return export.Layout{Prefixes: e.Prefixes, Execution: execution}
}

// BucketOr returns b, or the export bucket when b is empty.
func (e *Env) BucketOr(b string) string {
	if b != "" {
		return b
	}
	return e.Bucket
}

// Logger returns a JSON logger carrying the step, the Lambda request id,
// the execution and the build version.
func (e *Env) Logger(ctx context.Context, step, execution string) *slog.Logger {
	w := e.Log
	if w == nil {
		w = os.Stdout
	}
	l := slog.New(slog.NewJSONHandler(w, nil)).With("step", step, "execution", execution, "version", Version)
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		l = l.With("requestId", lc.AwsRequestID)
	}
	return l
}

// Metric is one EMF metric value.
type Metric struct {
	Name  string
	Unit  string // "Count", "Bytes", "Milliseconds"
	Value float64
}

// EmitMetrics writes one CloudWatch Embedded Metric Format line with the
// given dimensions ("Step", ...) and metrics.
func (e *Env) EmitMetrics(dims map[string]string, metrics ...Metric) {
	w := e.Metrics
	if w == nil {
		w = e.Log
	}
	if w == nil {
		w = os.Stdout
	}
	doc := map[string]any{}
	var keys []string
	for k, v := range dims {
		doc[k] = v
		keys = append(keys, k)
	}
	defs := make([]map[string]string, len(metrics))
	for i, m := range metrics {
		doc[m.Name] = m.Value
		defs[i] = map[string]string{"Name": m.Name, "Unit": m.Unit}
	}
	doc["_aws"] = map[string]any{
		"Timestamp": e.Clock().UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  MetricsNamespace,
			"Dimensions": [][]string{sortStrings(keys)},
			"Metrics":    defs,
		}},
	}
	b, _ := json.Marshal(doc)
	fmt.Fprintf(w, "%s\n", b)
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// Deadline reports whether ctx's deadline is closer than the margin, so a
// step should stop and return a retryable error.
func (e *Env) Deadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	if !ok {
		return false
	}
	margin := e.DeadlineMargin
	if margin == 0 {
		margin = 10 * time.Second
	}
	return time.Until(d) < margin
}

// ReadJSON reads a JSON object from the store into v.
func ReadJSON(ctx context.Context, st objstore.Store, bucket, key string, v any) error {
	rc, _, err := st.Get(ctx, bucket, key, 0, -1)
	if err != nil {
		return err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

// WriteJSON writes v as indented JSON, without HTML escaping: a manifest
// or plan shows a filter as `total > 100`, not `total \u003e 100`.
func WriteJSON(ctx context.Context, st objstore.Store, bucket, key string, v any) (objstore.ObjectInfo, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return objstore.ObjectInfo{}, err
	}
	return st.Put(ctx, bucket, key, bytesReader(buf.Bytes()), "application/json")
}
