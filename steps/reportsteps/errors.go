package reportsteps

import (
	"errors"
	"fmt"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/report"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// The error types are named for what statemachine/report.asl.json and its
// callers match: the Lambda runtime reports a Go error's type name as
// errorType.

// TooManyGroups reports more distinct groups than the request's
// max_groups allows, found by a part or by the reduce.
type TooManyGroups struct {
	Limit   int
	Message string
}

// Error implements error.
func (e *TooManyGroups) Error() string { return e.Message }

// TooManyDistinctValues reports more distinct values kept for
// count_distinct than the request's max_distinct allows.
type TooManyDistinctValues struct {
	Limit   int
	Message string
}

// Error implements error.
func (e *TooManyDistinctValues) Error() string { return e.Message }

// InvalidSourceRow reports a source row the report cannot read or add up
// (a CSV syntax error, a wrong number of fields, a non-numeric value for
// sum/min/max/avg, a filter error). Line is the 1-based source line.
type InvalidSourceRow struct {
	Bucket, Key string
	Line        int64
	Reason      string
}

// Error implements error.
func (e *InvalidSourceRow) Error() string {
	return fmt.Sprintf("s3://%s/%s: line %d: %s", e.Bucket, e.Key, e.Line, e.Reason)
}

// named turns err into the named error Retry and Catch match: report
// errors first, then the export's (S3Unavailable, SourceChanged,
// PartDeadlineExceeded, ...).
func named(err error, lim report.Limits) error {
	if err == nil {
		return nil
	}
	var (
		inv *InvalidReportRequest
		row *InvalidSourceRow
		tmg *TooManyGroups
		tmd *TooManyDistinctValues
		exp *export.InvalidExportRequest
	)
	switch {
	case errors.As(err, &inv):
		return inv
	case errors.As(err, &row):
		return row
	case errors.As(err, &tmg):
		return tmg
	case errors.As(err, &tmd):
		return tmd
	case errors.Is(err, report.ErrTooManyGroups):
		return &TooManyGroups{Limit: lim.Groups, Message: err.Error()}
	case errors.Is(err, report.ErrTooManyDistinct):
		return &TooManyDistinctValues{Limit: lim.Distinct, Message: err.Error()}
	case errors.As(err, &exp):
		// The export plan validated the parts of the request the two jobs
		// share; its pointers are the report's but for the renamed sizes.
		f := exp.Field
		switch f {
		case "/partSize":
			f = "/part_size"
		case "/maxConcurrency":
			f = "/max_concurrency"
		}
		return &InvalidReportRequest{Field: f, Message: exp.Message}
	}
	return stepkit.Named(err)
}

// Failure is a Step Functions error: the Catch's {"Error", "Cause"}.
type Failure struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// finalName returns the error name of an error no retry can cure, "" for
// other errors (transient ones, which the Retry handles, and unnamed ones).
func finalName(err error) string {
	switch err.(type) {
	case *TooManyGroups:
		return "TooManyGroups"
	case *TooManyDistinctValues:
		return "TooManyDistinctValues"
	case *InvalidSourceRow:
		return "InvalidSourceRow"
	case *InvalidReportRequest:
		return "InvalidReportRequest"
	case *export.SourceChanged:
		return "SourceChanged"
	}
	return ""
}
