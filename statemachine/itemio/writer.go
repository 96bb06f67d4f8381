package itemio

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/statemachine/objects"
)

// ResultWriter constants.
const (
	ResourcePutObject = "arn:aws:states:::s3:putObject"

	OutputJSON  = "JSON"
	OutputJSONL = "JSONL"

	TransformNone    = "NONE"
	TransformCompact = "COMPACT"
	TransformFlatten = "FLATTEN"
)

// WriterSpec is a resolved ResultWriter.
type WriterSpec struct {
	// Bucket and Prefix say where results go; Bucket "" means the
	// results are not exported (a ResultWriter with only WriterConfig).
	Bucket, Prefix string
	// OutputType is OutputJSON (default) or OutputJSONL.
	OutputType string
	// Transformation is TransformNone (default when exporting),
	// TransformCompact or TransformFlatten.
	Transformation string
}

// ParseWriter builds a WriterSpec from a ResultWriter's Resource (may be
// ""), its evaluated Parameters/Arguments (nil without Resource) and its
// WriterConfig (nil when absent). Problems are *Error values named
// States.ResultWriterFailed.
func ParseWriter(resource string, args, writerConfig any) (WriterSpec, error) {
	var spec WriterSpec
	switch resource {
	case "":
		if writerConfig == nil {
			return spec, writerErr("ResultWriter needs Resource and Parameters/Arguments, or WriterConfig")
		}
		spec.Transformation = TransformCompact
	case ResourcePutObject:
		a, ok := asObject(args)
		if !ok {
			return spec, writerErr("ResultWriter parameters must be an object, got %s", describe(args))
		}
		var err error
		if spec.Bucket, err = stringField(a, "Bucket", true, "ResultWriter parameters"); err != nil {
			return spec, asWriterErr(err)
		}
		if spec.Prefix, err = stringField(a, "Prefix", false, "ResultWriter parameters"); err != nil {
			return spec, asWriterErr(err)
		}
		spec.Transformation = TransformNone
	default:
		return spec, writerErr("ResultWriter.Resource %q is not supported (want %s)", resource, ResourcePutObject)
	}
	spec.OutputType = OutputJSON
	if writerConfig != nil {
		cfg, ok := asObject(writerConfig)
		if !ok {
			return spec, writerErr("ResultWriter.WriterConfig must be an object, got %s", describe(writerConfig))
		}
		t, err := stringField(cfg, "Transformation", false, "ResultWriter.WriterConfig")
		if err != nil {
			return spec, asWriterErr(err)
		}
		o, err := stringField(cfg, "OutputType", false, "ResultWriter.WriterConfig")
		if err != nil {
			return spec, asWriterErr(err)
		}
		if t != "" {
			spec.Transformation = t
		}
		if o != "" {
			spec.OutputType = o
		}
	}
	return spec, spec.check()
}

func asWriterErr(err error) error {
	if e, ok := err.(*Error); ok {
		return &Error{Name: ErrResultWriterFailed, Cause: e.Cause}
	}
	return err
}

func (s WriterSpec) check() error {
	switch s.Transformation {
	case "", TransformNone, TransformCompact, TransformFlatten:
	default:
		return writerErr("ResultWriter.WriterConfig.Transformation %q is not supported (want NONE, COMPACT or FLATTEN)", s.Transformation)
	}
	switch s.OutputType {
	case "", OutputJSON, OutputJSONL:
	default:
		return writerErr("ResultWriter.WriterConfig.OutputType %q is not supported (want JSON or JSONL)", s.OutputType)
	}
	return nil
}

// Result is the outcome of one child execution of a Map Run.
type Result struct {
	ExecutionArn    string
	Name            string
	StateMachineArn string
	// Status is SUCCEEDED, FAILED, TIMED_OUT, ABORTED, or RUNNING/PENDING
	// for children that had not finished when the Map Run ended.
	Status       string
	Input        string // JSON text
	Output       string // JSON text, for SUCCEEDED
	Error        string // for failed children
	Cause        string
	StartDate    time.Time
	StopDate     time.Time // zero while not finished
	RedriveCount int
}

// group is the result file a status belongs to.
func (r Result) group() string {
	switch r.Status {
	case "SUCCEEDED":
		return "SUCCEEDED"
	case "FAILED", "TIMED_OUT", "ABORTED":
		return "FAILED"
	}
	return "PENDING"
}

// resultEntry is one child execution in a result file, with AWS's field
// names and order.
type resultEntry struct {
	Cause               *string       `json:"Cause,omitempty"`
	Error               *string       `json:"Error,omitempty"`
	ExecutionArn        string        `json:"ExecutionArn"`
	Input               string        `json:"Input"`
	InputDetails        includedFlag  `json:"InputDetails"`
	Name                string        `json:"Name"`
	Output              *string       `json:"Output,omitempty"`
	OutputDetails       *includedFlag `json:"OutputDetails,omitempty"`
	RedriveCount        int           `json:"RedriveCount"`
	RedriveStatus       string        `json:"RedriveStatus"`
	RedriveStatusReason string        `json:"RedriveStatusReason,omitempty"`
	StartDate           string        `json:"StartDate,omitempty"`
	StateMachineArn     string        `json:"StateMachineArn"`
	Status              string        `json:"Status"`
	StopDate            string        `json:"StopDate,omitempty"`
}

type includedFlag struct {
	Included bool `json:"Included"`
}

const dateLayout = "2006-01-02T15:04:05.000Z"

func entry(r Result) resultEntry {
	e := resultEntry{
		ExecutionArn:    r.ExecutionArn,
		Input:           r.Input,
		InputDetails:    includedFlag{Included: true},
		Name:            r.Name,
		RedriveCount:    r.RedriveCount,
		StateMachineArn: r.StateMachineArn,
		Status:          r.Status,
	}
	if !r.StartDate.IsZero() {
		e.StartDate = r.StartDate.UTC().Format(dateLayout)
	}
	if !r.StopDate.IsZero() {
		e.StopDate = r.StopDate.UTC().Format(dateLayout)
	}
	switch r.group() {
	case "SUCCEEDED":
		out := r.Output
		e.Output = &out
		e.OutputDetails = &includedFlag{Included: true}
		e.RedriveStatus = "NOT_REDRIVABLE"
		e.RedriveStatusReason = "Execution is SUCCEEDED and cannot be redriven"
	case "FAILED":
		e.Error, e.Cause = &r.Error, &r.Cause
		e.RedriveStatus = "REDRIVABLE_BY_MAP_RUN"
	default:
		e.RedriveStatus = "NOT_REDRIVABLE"
		e.RedriveStatusReason = "Execution is RUNNING and cannot be redriven"
	}
	return e
}

// Transform returns the results as a ResultWriter with only a
// WriterConfig makes them the Map state's output: for COMPACT the outputs
// of succeeded children, for FLATTEN the same with array outputs spread
// into the list, and for NONE (or for failed children under COMPACT and
// FLATTEN) the full execution record.
func Transform(results []Result, transformation string) ([]any, error) {
	out := make([]any, 0, len(results))
	for _, r := range results {
		vals, err := transformed(r, transformation)
		if err != nil {
			return nil, err
		}
		out = append(out, vals...)
	}
	return out, nil
}

func transformed(r Result, transformation string) ([]any, error) {
	if transformation == TransformNone || transformation == "" || r.group() != "SUCCEEDED" {
		b, err := json.Marshal(entry(r))
		if err != nil {
			return nil, writerErr("encoding the result of %s: %v", r.ExecutionArn, err)
		}
		var v any
		_ = json.Unmarshal(b, &v)
		return []any{v}, nil
	}
	var v any
	if err := json.Unmarshal([]byte(r.Output), &v); err != nil {
		return nil, writerErr("the output of %s is not valid JSON: %v", r.ExecutionArn, err)
	}
	if arr, ok := v.([]any); ok && transformation == TransformFlatten {
		return arr, nil
	}
	return []any{v}, nil
}

// manifest is AWS's manifest.json of a Map Run export.
type manifest struct {
	DestinationBucket string                     `json:"DestinationBucket"`
	MapRunArn         string                     `json:"MapRunArn"`
	ResultFiles       map[string][]manifestEntry `json:"ResultFiles"`
}

type manifestEntry struct {
	Key  string `json:"Key"`
	Size int    `json:"Size"`
}

// WriteResults exports a Map Run's results to spec.Bucket under
// <Prefix>/<map run id>/: SUCCEEDED_0.json, FAILED_0.json and
// PENDING_0.json for the groups that have results (".jsonl" with
// OutputType JSONL), then manifest.json listing them. It returns the
// output of the Map state:
// {"MapRunArn": ..., "ResultWriterDetails": {"Bucket": ..., "Key": <manifest key>}}.
// When spec.Bucket is empty nothing is written and the output is the
// [Transform]ed results. Failures are *Error values named
// States.ResultWriterFailed that name the S3 key.
func WriteResults(ctx context.Context, store objects.Store, spec WriterSpec, mapRunArn string, results []Result) (any, error) {
	if err := spec.check(); err != nil {
		return nil, err
	}
	transformation := spec.Transformation
	if spec.Bucket == "" {
		if transformation == "" {
			transformation = TransformCompact
		}
		return Transform(results, transformation)
	}
	if transformation == "" {
		transformation = TransformNone
	}
	if store == nil {
		return nil, writerErr("no object store is configured: ResultWriter needs S3")
	}
	id := mapRunArn[strings.LastIndexByte(mapRunArn, ':')+1:]
	dir := id
	if p := strings.TrimSuffix(spec.Prefix, "/"); p != "" {
		dir = p + "/" + id
	}
	ext := ".json"
	if spec.OutputType == OutputJSONL {
		ext = ".jsonl"
	}
	groups := map[string][]any{}
	for _, r := range results {
		vals, err := transformed(r, transformation)
		if err != nil {
			return nil, err
		}
		groups[r.group()] = append(groups[r.group()], vals...)
	}
	m := manifest{DestinationBucket: spec.Bucket, MapRunArn: mapRunArn, ResultFiles: map[string][]manifestEntry{}}
	for _, g := range []string{"FAILED", "PENDING", "SUCCEEDED"} {
		m.ResultFiles[g] = []manifestEntry{}
		vals := groups[g]
		if len(vals) == 0 {
			continue
		}
		body, err := encodeResults(vals, spec.OutputType == OutputJSONL)
		if err != nil {
			return nil, writerErr("encoding %s results: %v", g, err)
		}
		key := dir + "/" + g + "_0" + ext
		if _, err := store.Put(ctx, spec.Bucket, key, bytes.NewReader(body), ""); err != nil {
			return nil, writerErr("cannot write s3://%s/%s: %v", spec.Bucket, key, err)
		}
		m.ResultFiles[g] = append(m.ResultFiles[g], manifestEntry{Key: key, Size: len(body)})
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return nil, writerErr("encoding the manifest: %v", err)
	}
	key := dir + "/manifest.json"
	if _, err := store.Put(ctx, spec.Bucket, key, bytes.NewReader(mb), ""); err != nil {
		return nil, writerErr("cannot write s3://%s/%s: %v", spec.Bucket, key, err)
	}
	return map[string]any{
		"MapRunArn": mapRunArn,
		"ResultWriterDetails": map[string]any{
			"Bucket": spec.Bucket,
			"Key":    key,
		},
	}, nil
}

func encodeResults(vals []any, lines bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if lines {
		for _, v := range vals {
			if err := enc.Encode(v); err != nil {
				return nil, err
			}
		}
		return buf.Bytes(), nil
	}
	if err := enc.Encode(vals); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
