package publish_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/publish"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

const bucket = "stepwise-test"

// errorType is the errorType the Lambda runtime reports for err: its type
// name, pointer stripped.
func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// TestPublishErrorType: a destination that refuses the write fails publish
// with errorType OutputNotWritable naming the destination, not "wrapError"
// (what Retry/Catch and the user saw before, issue 11.10) nor "NotFound"
// (which reads as a missing work file); throttling stays S3Unavailable so
// that Retry still matches it.
func TestPublishErrorType(t *testing.T) {
	tests := []struct {
		name     string
		fail     error
		wantType string
		wantMsg  string
	}{
		{"invalid bucket", errors.New("CopyObject s3://../k: api error InvalidBucketName: The specified bucket is not valid."), "OutputNotWritable",
			"publish: cannot copy the export to s3://dest-bucket/out/report.csv: CopyObject s3://../k: api error InvalidBucketName: The specified bucket is not valid. (check output.bucket and output.key of the request, and that the bucket exists and the publish step may write to it)"},
		{"no such bucket", fmt.Errorf("CopyObject: NoSuchBucket: %w", &export.NotFound{Bucket: "dest-bucket", Key: "out/report.csv"}), "OutputNotWritable", "publish: cannot copy the export to s3://dest-bucket/out/report.csv: "},
		{"throttled", &export.S3Unavailable{Op: "CopyObject s3://dest-bucket/out/report.csv", Err: errors.New("SlowDown")}, "S3Unavailable", "CopyObject s3://dest-bucket/out/report.csv: SlowDown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := objstore.NewMemory()
			env := &stepkit.Env{Store: st, Bucket: bucket, Prefixes: export.DefaultPrefixes, Log: io.Discard,
				Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }}
			lay := env.Layout("e1")
			st.PutBytes(bucket, lay.MergedKey("csv"), []byte("id\n1\n"))
			p := export.Plan{Job: export.Job{Execution: "e1", Bucket: bucket}, OutputBucket: "dest-bucket", OutputKey: "out/report.csv"}
			if _, err := stepkit.WriteJSON(ctx, st, bucket, lay.PlanKey(), p); err != nil {
				t.Fatal(err)
			}
			if _, err := stepkit.WriteJSON(ctx, st, bucket, lay.MergeResultKey(), export.MergeResult{Key: lay.MergedKey("csv"), Rows: 1}); err != nil {
				t.Fatal(err)
			}
			st.Fail = func(op, b, k string) error {
				if op == "Copy" && b == "dest-bucket" {
					return tt.fail
				}
				return nil
			}
			_, err := publish.New(env)(ctx, publish.Input{Job: p.Job})
			if err == nil {
				t.Fatal("publish succeeded")
			}
			if got := errorType(err); got != tt.wantType {
				t.Errorf("errorType %s, want %s (%v)", got, tt.wantType, err)
			}
			if !strings.HasPrefix(err.Error(), tt.wantMsg) {
				t.Errorf("message\n got  %s\n want %s…", err, tt.wantMsg)
			}
		})
	}
}
