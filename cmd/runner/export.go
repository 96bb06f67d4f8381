package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stepwise-dev/stepwise/steps/export"
)

func newExportCmd() *command {
	return &command{
		name: "export", args: "<file|s3://bucket/key> [--where EXPR] [--columns a,b:renamed,...] [--format csv|jsonl|parquet] [--out FILE] [--yes]",
		summary: "Export a CSV or JSON Lines file through the export workflow: upload, plan, export parts in parallel, merge, approve, publish, download.",
		examples: []string{
			"runner export testdata/orders.csv --where 'total > 100' --yes",
			"runner export testdata/orders.csv --columns order_id,country:land,total --format jsonl --out big.jsonl",
			"runner export s3://my-bucket/uploads/orders.csv --aws --where 'country == \"DE\"'",
		},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			o := exportOpts{}
			fs.StringVar(&o.where, "where", "", "keep rows for which this expression is true, e.g. 'total > 100 && country == \"DE\"'")
			fs.StringVar(&o.columns, "columns", "", "output columns in order, NAME or NAME:RENAMED, comma-separated (default: all)")
			fs.StringVar(&o.format, "format", "csv", "output format: csv, jsonl or parquet")
			fs.BoolVar(&o.gzip, "gzip", false, "gzip the output")
			fs.StringVar(&o.out, "out", "", "where to download the result (default: its name in the current directory; - for standard output). A regular file is replaced whole when the download is complete; a symbolic link is followed and kept; a device or pipe is written in place")
			fs.BoolVar(&o.yes, "yes", false, "approve the export without asking")
			fs.BoolVar(&o.noApproval, "no-approval", false, "request no human approval at all")
			fs.DurationVar(&o.approvalTimeout, "approval-timeout", 0, "how long an approver has (default 24h)")
			fs.StringVar(&o.name, "name", "", "execution name (default export-<time>-<random>); starting the same name twice is idempotent")
			fs.StringVar(&o.partSize, "part-size", "", "source bytes per part, e.g. 64MiB (default 64MiB)")
			fs.IntVar(&o.maxConcurrency, "max-concurrency", 0, "parts exported at once (default 10)")
			fs.StringVar(&o.types, "types", "", "column types for the filter and typed outputs, NAME:integer|number|boolean|string, comma-separated (default: total:number)")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 1, 1, "the file or s3:// URI to export"); err != nil {
					return err
				}
				o.source = args[0]
				return runExport(ctx, a, o)
			}
		},
	}
}

type exportOpts struct {
	source, where, columns, format, out, name, partSize, types string
	gzip, yes, noApproval                                      bool
	approvalTimeout                                            time.Duration
	maxConcurrency                                             int
}

// buildRequest turns the command line into an export request, validated
// here so that mistakes are reported before anything is uploaded.
func buildRequest(o exportOpts, src export.Source) (*export.Request, error) {
	req := &export.Request{
		Source:         src,
		Where:          o.where,
		Output:         export.Output{Format: o.format, Gzip: o.gzip},
		MaxConcurrency: o.maxConcurrency,
	}
	for _, c := range splitList(o.columns) {
		name, as, _ := strings.Cut(c, ":")
		req.Columns = append(req.Columns, export.Column{Name: name, As: as})
	}
	types := o.types
	if types == "" && src.Format != export.FormatJSONL {
		types = "total:number"
	}
	for _, t := range splitList(types) {
		name, typ, ok := strings.Cut(t, ":")
		if !ok {
			return nil, usagef("--types %q: want NAME:TYPE", t)
		}
		if req.Types == nil {
			req.Types = map[string]string{}
		}
		req.Types[name] = typ
	}
	required := !o.noApproval
	req.Approval.Required = &required
	if o.approvalTimeout > 0 {
		req.Approval.TimeoutSeconds = int(o.approvalTimeout / time.Second)
	}
	if o.partSize != "" {
		n, err := parseSize(o.partSize)
		if err != nil {
			return nil, usagef("--part-size: %v", err)
		}
		req.PartSize = n
	}
	data, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	checked, err := export.ParseRequest(data)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return checked, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func sourceFormat(key string) string {
	k := strings.TrimSuffix(strings.ToLower(key), ".gz")
	if strings.HasSuffix(k, ".jsonl") || strings.HasSuffix(k, ".ndjson") {
		return export.FormatJSONL
	}
	return export.FormatCSV
}

// runExport checks the command line (and a local source's header) before
// anything is contacted, then runs the export on the target.
func runExport(ctx context.Context, a *app, o exportOpts) error {
	src, localFile, err := exportSource(o.source)
	if err != nil {
		return err
	}
	early, err := buildRequest(o, src) // fail fast, before connecting
	if err != nil {
		return err
	}
	if o.out != "" && o.out != "-" {
		if _, _, err := classifyOutput(o.out); err != nil {
			return usagef("%v", err)
		}
	}
	if localFile != "" && src.Format == export.FormatCSV {
		if err := checkAgainstHeader(localFile, early); err != nil {
			return err
		}
	}
	return a.withTarget(ctx, func(t *target) error { return exportOn(ctx, a, t, o, src, localFile) })
}

// exportSource reads the source argument: an s3:// URI, or a local file
// (localFile), which is uploaded to the target's bucket first.
func exportSource(source string) (src export.Source, localFile string, err error) {
	if strings.HasPrefix(source, "s3://") {
		bucket, key, _ := strings.Cut(strings.TrimPrefix(source, "s3://"), "/")
		if bucket == "" || key == "" {
			return src, "", usagef("%q: want s3://bucket/key", source)
		}
		return export.Source{Bucket: bucket, Key: key, Format: sourceFormat(key)}, "", nil
	}
	st, err := os.Stat(source)
	if err != nil {
		return src, "", usagef("%v", err)
	}
	if st.IsDir() {
		return src, "", usagef("%s is a directory; export one file (or upload a prefix and use s3://)", source)
	}
	return export.Source{Bucket: "placeholder", Key: "uploads/" + filepath.Base(source), Format: sourceFormat(source)}, source, nil
}

// exportOn uploads a local source, starts the export execution, follows
// it to its end, and downloads what it published.
func exportOn(ctx context.Context, a *app, t *target, o exportOpts, src export.Source, localFile string) error {
	if t.bucket == "" && a.g.bucket != "" {
		t.bucket = a.g.bucket
	}
	if localFile != "" {
		if t.bucket == "" {
			return errors.New("no export bucket known to upload to: pass --bucket (or deploy first)")
		}
		key, err := upload(ctx, a, t, localFile)
		if err != nil {
			return err
		}
		src.Bucket, src.Key = t.bucket, key
	}
	req, err := buildRequest(o, src)
	if err != nil {
		return err
	}
	smArn, err := a.stateMachineArn(ctx, t, "")
	if err != nil {
		return err
	}
	name := o.name
	if name == "" {
		name = newExecutionName()
	}
	input, err := marshalNoEscape(map[string]any{"request": req, "startedBy": startedBy()})
	if err != nil {
		return err
	}
	start, err := t.sfn.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(smArn), Name: aws.String(name), Input: aws.String(string(input)),
	})
	if err != nil {
		return fmt.Errorf("start the export: %w", err)
	}
	arn := aws.ToString(start.ExecutionArn)
	fmt.Fprintf(a.stderr, "export %s started (%s)\n", name, arn)

	final, err := followExport(ctx, a, t, arn, name, o)
	if err != nil {
		return err
	}
	if final.Status != types.ExecutionStatusSucceeded {
		return a.exportFailed(ctx, t, name, arn, final)
	}
	return a.downloadPublished(ctx, t, name, arn, final, o.out)
}

// exportFailed ends an export that did not succeed: exit 4 if an approver
// rejected it, 3 otherwise, saying which state (or part) failed and why.
func (a *app) exportFailed(ctx context.Context, t *target, name, arn string, final *sfn.DescribeExecutionOutput) error {
	if a.g.output == "json" {
		_ = a.emit(awsJSON(final), nil)
	}
	code := exitExecFailed
	if aws.ToString(final.Error) == "ExportRejected" {
		code = exitRejected
	}
	msg := a.failureMessage("export "+name, final, explainExecution(ctx, t, arn))
	if part := failedPart(ctx, t, arn); part != "" {
		msg += "\n" + part
	}
	msg += "\nsee its history: " + a.historyCommand(t, arn)
	return &exitStatus{code: code, msg: msg}
}

// downloadPublished downloads the object a succeeded export published to
// out (default: its name in the current directory) and reports it.
func (a *app) downloadPublished(ctx context.Context, t *target, name, arn string, final *sfn.DescribeExecutionOutput, out string) error {
	var published struct {
		Bucket, Key, ManifestKey, URL string
		Rows, Bytes                   int64
		SHA256                        string
	}
	if err := json.Unmarshal([]byte(aws.ToString(final.Output)), &published); err != nil || published.Key == "" {
		return fmt.Errorf("export %s succeeded but its output names no published object: %s", name, aws.ToString(final.Output))
	}
	if out == "" {
		out = path.Base(published.Key)
	}
	if err := download(ctx, a, t, published.Bucket, published.Key, out); err != nil {
		return err
	}
	result := map[string]any{
		"execution": arn, "rows": published.Rows, "bytes": published.Bytes, "sha256": published.SHA256,
		"s3": "s3://" + published.Bucket + "/" + published.Key, "manifest": "s3://" + published.Bucket + "/" + published.ManifestKey,
		"file": out, "url": published.URL,
	}
	if out == "-" {
		return nil
	}
	return a.emit(result, func(w io.Writer) {
		fmt.Fprintf(w, "exported %d rows (%d bytes) to %s\n", published.Rows, published.Bytes, out)
		fmt.Fprintf(w, "published at s3://%s/%s (manifest s3://%s/%s)\n", published.Bucket, published.Key, published.Bucket, published.ManifestKey)
	})
}

// checkAgainstHeader compiles the filter and checks the columns against
// the local file's header, as the plan step will, so that a typo is
// reported before anything is uploaded.
func checkAgainstHeader(file string, req *export.Request) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	delim := ""
	if d := req.Source.CSV; d != nil {
		delim = d.Delimiter
	}
	// The same header reading as the plan step's (a byte order mark is
	// not part of the first column's name).
	header, err := export.ReadHeader(f, delim)
	if err != nil {
		return usagef("%s: cannot read a CSV header: %v", file, err)
	}
	known := map[string]bool{}
	for _, h := range header {
		known[h] = true
	}
	for i, c := range req.Columns {
		if !known[c.Name] {
			return usagef("invalid export request: /columns/%d: %q is not a column of %s (columns: %s)", i, c.Name, file, strings.Join(header, ", "))
		}
	}
	if _, err := export.CompileFilter(req.Where, header, req.Types); err != nil {
		return usagef("%v", err)
	}
	return nil
}

// failedPart explains a Distributed Map failure: the Map reports only
// States.ExceedToleratedFailureThreshold (as on AWS), while the reason is
// the error of the first failed part's child execution.
func failedPart(ctx context.Context, t *target, arn string) string {
	runs, err := t.sfn.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(arn)})
	if err != nil || len(runs.MapRuns) == 0 {
		return ""
	}
	children, err := t.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: runs.MapRuns[0].MapRunArn, StatusFilter: types.ExecutionStatusFailed})
	if err != nil || len(children.Executions) == 0 {
		return ""
	}
	d, err := t.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: children.Executions[0].ExecutionArn})
	if err != nil {
		return ""
	}
	return fmt.Sprintf("first failed part (%d failed): %s: %s", len(children.Executions), aws.ToString(d.Error), causeMessage(aws.ToString(d.Cause)))
}

// marshalNoEscape encodes v as compact JSON without HTML escaping, so an
// execution input shows `total > 100`, as typed.
func marshalNoEscape(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

// newExecutionName is unique enough for humans and sorts by time.
func newExecutionName() string {
	var b [3]byte
	rand.Read(b[:])
	return "export-" + time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// upload puts a local file under uploads/<content hash>/<name>, so the same
// file is uploaded once and an export always reads exactly those bytes. On
// a terminal both passes over the file (hashing, uploading) show progress.
func upload(ctx context.Context, a *app, t *target, file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	size := fi.Size()
	h := sha256.New()
	hm := newMeter(a, "reading "+filepath.Base(file), size, 0)
	_, err = io.Copy(h, meteredReader{f, hm})
	hm.finish()
	if err != nil {
		return "", err
	}
	prefix := "uploads/"
	if p := t.prefixes["uploads"]; p != "" {
		prefix = p
	}
	key := prefix + hex.EncodeToString(h.Sum(nil))[:16] + "/" + filepath.Base(file)
	if _, err := t.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(t.bucket), Key: aws.String(key)}); err == nil {
		fmt.Fprintf(a.stderr, "source already uploaded: s3://%s/%s\n", t.bucket, key)
		return key, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	const partSize = 16 << 20
	parts := max(1, int((size+partSize-1)/partSize))
	m := newMeter(a, "uploading "+filepath.Base(file), size, parts)
	up := transfermanager.New(meteredUploads{t.s3, m}, func(o *transfermanager.Options) {
		o.PartSizeBytes = partSize
		o.MultipartUploadThreshold = partSize
	})
	_, err = up.UploadObject(ctx, &transfermanager.UploadObjectInput{Bucket: aws.String(t.bucket), Key: aws.String(key), Body: f})
	n, took := m.finish()
	if err != nil {
		return "", fmt.Errorf("upload %s to s3://%s/%s: %w", file, t.bucket, key, err)
	}
	fmt.Fprintf(a.stderr, "uploaded %s (%s in %s, %s/s) to s3://%s/%s\n", file, fmtBytes(n), fmtDuration(took), fmtBytes(int64(float64(n)/max(took.Seconds(), 1e-3))), t.bucket, key)
	return key, nil
}

// download writes an S3 object to out (see [createOutput]), with progress
// on a terminal.
func download(ctx context.Context, a *app, t *target, bucket, key, out string) error {
	obj, err := t.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("download s3://%s/%s: %w", bucket, key, err)
	}
	defer obj.Body.Close()
	o, err := createOutput(out, a.stdout)
	if err != nil {
		return err
	}
	var body io.Reader = obj.Body
	if out != "-" {
		m := newMeter(a, "downloading "+path.Base(key), aws.ToInt64(obj.ContentLength), 0)
		defer m.finish()
		body = meteredReader{obj.Body, m}
	}
	if _, err := io.Copy(o, body); err != nil {
		o.Abort()
		return fmt.Errorf("download s3://%s/%s to %s: %w", bucket, key, out, err)
	}
	return o.Commit()
}

// startedBy is who starts an export from this runner, for the approvers'
// notification: user@host (runner export).
func startedBy() string {
	who := currentUser()
	if who == "" {
		who = os.Getenv("USER")
	}
	if host, err := os.Hostname(); err == nil && host != "" {
		who += "@" + host
	}
	return who + " (runner export)"
}
