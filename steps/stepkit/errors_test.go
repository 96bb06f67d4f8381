package stepkit

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/stepwise-dev/stepwise/steps/export"
)

// TestNamed checks the errorType the Lambda runtime would report (the
// returned value's type name) for wrapped step errors.
func TestNamed(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("merge: %w", &export.S3Unavailable{Op: "GetObject s3://b/k", Err: errors.New("503")}), "S3Unavailable"},
		{fmt.Errorf("a: %w", fmt.Errorf("b: %w", &export.InvalidExportRequest{Field: "/x"})), "InvalidExportRequest"},
		{fmt.Errorf("read: %w", context.DeadlineExceeded), "PartDeadlineExceeded"},
		{&export.TooManyRejectedRows{}, "TooManyRejectedRows"},
		{errors.New("plain"), "errorString"},
	}
	for _, tt := range tests {
		got := reflect.TypeOf(Named(tt.err))
		if got.Kind() == reflect.Pointer {
			got = got.Elem()
		}
		if got.Name() != tt.want {
			t.Errorf("Named(%v) is %s, want %s", tt.err, got.Name(), tt.want)
		}
	}
}
