package stepkit

import (
	"context"
	"errors"

	"github.com/stepwise-dev/stepwise/steps/export"
)

// Named returns the named export error in err's chain, so that the Lambda
// runtime reports its type name as errorType: aws-lambda-go names an error
// by the returned value's own type, and a fmt.Errorf wrapper would hide
// "S3Unavailable" behind "wrapError", out of Retry's reach. Errors without a
// named cause are returned unchanged; a context deadline becomes
// [export.PartDeadlineExceeded] (part -1 outside exportpart), so that a
// step cut short by its deadline is retried.
func Named(err error) error {
	if err == nil {
		return nil
	}
	var (
		invalid  *export.InvalidExportRequest
		s3u      *export.S3Unavailable
		deadline *export.PartDeadlineExceeded
		tooMany  *export.TooManyRejectedRows
		changed  *export.SourceChanged
		rejected *export.ExportRejected
		expired  *export.ApprovalExpired
		notFound *export.NotFound
	)
	switch {
	case errors.As(err, &invalid):
		return invalid
	case errors.As(err, &deadline):
		return deadline
	case errors.As(err, &s3u):
		return s3u
	case errors.As(err, &tooMany):
		return tooMany
	case errors.As(err, &changed):
		return changed
	case errors.As(err, &rejected):
		return rejected
	case errors.As(err, &expired):
		return expired
	case errors.As(err, &notFound):
		return notFound
	case errors.Is(err, context.DeadlineExceeded):
		return &export.PartDeadlineExceeded{Part: -1}
	}
	return err
}
