package export

import (
	"errors"
	"fmt"
)

// The error types below are named for what the state machine matches. The
// Lambda runtime reports a returned Go error with errorType set to the
// error's type name (pointer stripped), so Retry and Catch in
// statemachine/export.asl.json match these names, never messages.

// InvalidExportRequest reports a request that cannot be exported. Field is
// a JSON pointer into the request document ("/columns/2/name"); Message says
// what is wrong there.
type InvalidExportRequest struct {
	Field   string
	Message string
}

// Error implements error as "invalid export request: /field: message".
func (e *InvalidExportRequest) Error() string {
	if e.Field == "" {
		return "invalid export request: " + e.Message
	}
	return fmt.Sprintf("invalid export request: %s: %s", e.Field, e.Message)
}

func invalid(field, format string, args ...any) *InvalidExportRequest {
	return &InvalidExportRequest{Field: field, Message: fmt.Sprintf(format, args...)}
}

// ExportRejected reports that an approver rejected the export.
type ExportRejected struct {
	Execution string
	Approver  string
	Comment   string
}

// Error implements error.
func (e *ExportRejected) Error() string {
	msg := "export " + e.Execution + " was rejected"
	if e.Approver != "" {
		msg += " by " + e.Approver
	}
	if e.Comment != "" {
		msg += ": " + e.Comment
	}
	return msg
}

// ApprovalExpired reports that nobody decided a pending approval in time.
type ApprovalExpired struct {
	Execution string
	ExpiresAt string
}

// Error implements error.
func (e *ApprovalExpired) Error() string {
	return fmt.Sprintf("approval of export %s expired at %s", e.Execution, e.ExpiresAt)
}

// PartDeadlineExceeded is returned by a step that stopped before its Lambda
// deadline with work left. It is retryable: the state machine's Retry runs
// the same part again, and because every step is idempotent the retry
// overwrites whatever the stopped attempt wrote.
type PartDeadlineExceeded struct {
	Part      int
	Processed int64 // records handled before stopping
}

// Error implements error.
func (e *PartDeadlineExceeded) Error() string {
	return fmt.Sprintf("part %d: stopped before the Lambda deadline after %d records; retry the part", e.Part, e.Processed)
}

// TooManyRejectedRows reports that more malformed rows were found than the
// request's maxRejectedRows allows. RejectedKey holds them with their row
// numbers.
type TooManyRejectedRows struct {
	Rejected    int64
	Limit       int64
	RejectedKey string
	// First is the first rejected row of the part that gave up, with its
	// row number and reason (empty when the total was counted by merge).
	First string `json:",omitempty"`
}

// Error implements error.
func (e *TooManyRejectedRows) Error() string {
	if e.First != "" {
		return fmt.Sprintf("%d rejected rows exceed the limit of %d; the first: %s (all in s3 key %s)", e.Rejected, e.Limit, e.First, e.RejectedKey)
	}
	return fmt.Sprintf("%d rejected rows exceed the limit of %d (see s3 key %s)", e.Rejected, e.Limit, e.RejectedKey)
}

// SourceChanged reports that a source object changed (its ETag differs)
// between planning and exporting, so the planned byte ranges no longer hold.
type SourceChanged struct {
	Bucket, Key          string
	PlannedETag, NowETag string
}

// Error implements error.
func (e *SourceChanged) Error() string {
	return fmt.Sprintf("source s3://%s/%s changed after planning (etag %s, now %s); start a new export", e.Bucket, e.Key, e.PlannedETag, e.NowETag)
}

// S3Unavailable wraps an S3 failure that is worth retrying (throttling,
// 5xx, a dropped connection) after the SDK's own retries gave up.
type S3Unavailable struct {
	Op  string // "GetObject s3://bucket/key"
	Err error
}

// Error implements error.
func (e *S3Unavailable) Error() string { return e.Op + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *S3Unavailable) Unwrap() error { return e.Err }

// NotFound reports a missing S3 object that a step needs (a source, a part,
// the plan). It is not retryable.
type NotFound struct {
	Bucket, Key string
}

// Error implements error.
func (e *NotFound) Error() string { return fmt.Sprintf("s3://%s/%s: no such object", e.Bucket, e.Key) }

// IsNotFound reports whether err is or wraps a [*NotFound].
func IsNotFound(err error) bool {
	var nf *NotFound
	return errors.As(err, &nf)
}
