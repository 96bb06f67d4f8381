package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// Retention the local stack applies by itself (`runner up`, hourly): the
// defaults of Terraform's lifecycle rules for the same prefixes
// (work_expiration_days, decided_approval_expiration_days).
const (
	workRetention     = 7 * 24 * time.Hour
	decidedRetention  = 30 * 24 * time.Hour
	retentionInterval = time.Hour
)

// cleanPolicy says what `runner clean` (or the stack's retention) removes.
// Published exports go only with exports set; the executions' history in
// the store is never touched.
type cleanPolicy struct {
	work, decided, uploads time.Duration // minimum age; negative: keep all
	exports                bool          // also published exports (any age)
	dryRun                 bool
}

// cleanResult is what a clean removed (or would remove, dry run).
type cleanResult struct {
	Objects int      `json:"objects"`
	Bytes   int64    `json:"bytes"`
	Keys    []string `json:"keys,omitempty"`
	DryRun  bool     `json:"dryRun,omitempty"`
	// Kept names the work directories kept because their execution runs.
	Kept []string `json:"keptRunning,omitempty"`
}

func newCleanCmd() *command {
	return &command{
		name: "clean", args: "[--older-than 24h] [--all] [--exports] [--dry-run]",
		summary: "Free space in the local data directory: work files of finished exports, decided approvals, uploaded sources; published exports only with --exports.",
		examples: []string{
			"runner clean                 # files older than 24h",
			"runner clean --all --dry-run # list what --all would remove",
			"runner clean --all --exports # everything but the executions' history",
		},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			olderThan := fs.Duration("older-than", 24*time.Hour, "remove only files last written longer ago than this")
			all := fs.Bool("all", false, "whatever their age (still never the work files of running executions)")
			exports := fs.Bool("exports", false, "also remove published exports (exports/ and their manifests): explicit, never by default")
			dryRun := fs.Bool("dry-run", false, "list what would be removed, remove nothing")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 0, 0, ""); err != nil {
					return err
				}
				if a.g.remote() {
					return usagef("clean works on the local stack's data directory; on AWS the bucket's lifecycle rules expire the same files")
				}
				age := *olderThan
				if *all {
					age = 0
				}
				if age < 0 {
					return usagef("--older-than %v: must not be negative", age)
				}
				return a.withTarget(ctx, func(t *target) error {
					res, err := cleanStack(ctx, t, cleanPolicy{work: age, decided: age, uploads: age, exports: *exports, dryRun: *dryRun}, time.Now())
					if err != nil {
						return err
					}
					if *all && !*dryRun {
						// The steps' log is the runner's own file, not an S3 object.
						if fi, err := os.Stat(filepath.Join(a.g.dataDir, "steps.log")); err == nil && fi.Size() > 0 {
							if err := os.Truncate(filepath.Join(a.g.dataDir, "steps.log"), 0); err == nil {
								res.Objects++
								res.Bytes += fi.Size()
								res.Keys = append(res.Keys, "steps.log")
							}
						}
					}
					return a.emit(res, func(w io.Writer) {
						for _, k := range res.Keys {
							fmt.Fprintln(w, k)
						}
						verb := "removed"
						if res.DryRun {
							verb = "would remove"
						}
						fmt.Fprintf(w, "%s %d files (%s)", verb, res.Objects, humanBytes(res.Bytes))
						if len(res.Kept) > 0 {
							fmt.Fprintf(w, "; kept the work files of %d running executions", len(res.Kept))
						}
						fmt.Fprintln(w)
						if usage, err := dirUsage(a.g.dataDir); err == nil {
							fmt.Fprintf(w, "data %s holds %s\n", a.g.dataDir, humanBytes(usage))
						}
					})
				})
			}
		},
	}
}

// cleanStack removes, through the stack's S3 API: work/<execution>/ of
// executions that are not running and whose newest file is older than
// p.work; approvals/decided/ records older than p.decided, and the outbox
// notifications and decision receipts of approvals no longer pending as
// old; uploads/ older
// than p.uploads when no execution runs (one might be reading its
// source); exports/ with p.exports.
func cleanStack(ctx context.Context, t *target, p cleanPolicy, now time.Time) (*cleanResult, error) {
	if t.s3 == nil || t.bucket == "" {
		return nil, errors.New("clean: the local stack has no S3 bucket")
	}
	running := map[string]bool{}
	if t.smArn != "" {
		pg := sfn.NewListExecutionsPaginator(t.sfn, &sfn.ListExecutionsInput{StateMachineArn: aws.String(t.smArn), StatusFilter: sfntypes.ExecutionStatusRunning})
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("clean: list running executions: %w", err)
			}
			for _, x := range out.Executions {
				running[aws.ToString(x.Name)] = true
			}
		}
	}
	res := &cleanResult{DryRun: p.dryRun}
	var doomed []s3types.ObjectIdentifier
	take := func(o s3types.Object) {
		doomed = append(doomed, s3types.ObjectIdentifier{Key: o.Key})
		res.Objects++
		res.Bytes += aws.ToInt64(o.Size)
		res.Keys = append(res.Keys, "s3://"+t.bucket+"/"+aws.ToString(o.Key))
	}
	old := func(o s3types.Object, age time.Duration) bool {
		return age >= 0 && o.LastModified != nil && now.Sub(*o.LastModified) >= age
	}

	// Work files go per execution, all or nothing: a half-removed work
	// directory is worse than a whole one.
	work, err := listAll(ctx, t.s3, t.bucket, "work/")
	if err != nil {
		return nil, err
	}
	groups := map[string][]s3types.Object{}
	var order []string
	for _, o := range work {
		name, _, _ := strings.Cut(strings.TrimPrefix(aws.ToString(o.Key), "work/"), "/")
		if _, ok := groups[name]; !ok {
			order = append(order, name)
		}
		groups[name] = append(groups[name], o)
	}
	for _, name := range order {
		if running[name] {
			res.Kept = append(res.Kept, name)
			continue
		}
		objs := groups[name]
		all := true
		for _, o := range objs {
			all = all && old(o, p.work)
		}
		if all {
			for _, o := range objs {
				take(o)
			}
		}
	}
	decided, err := listAll(ctx, t.s3, t.bucket, "approvals/decided/")
	if err != nil {
		return nil, err
	}
	for _, o := range decided {
		if old(o, p.decided) {
			take(o)
		}
	}
	// What an approval leaves beside its record — the notification in the
	// outbox, the decision page's receipt — goes with the same retention,
	// once the export neither runs nor waits.
	pending := map[string]bool{}
	recs, err := listAll(ctx, t.s3, t.bucket, "approvals/pending/")
	if err != nil {
		return nil, err
	}
	for _, o := range recs {
		pending[strings.TrimSuffix(path.Base(aws.ToString(o.Key)), ".json")] = true
	}
	for _, prefix := range []string{"approvals/outbox/", "approvals/decisions/"} {
		objs, err := listAll(ctx, t.s3, t.bucket, prefix)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			base := path.Base(aws.ToString(o.Key))
			name := strings.TrimSuffix(base, path.Ext(base))
			if !running[name] && !pending[name] && old(o, p.decided) {
				take(o)
			}
		}
	}
	if len(running) == 0 {
		uploads, err := listAll(ctx, t.s3, t.bucket, "uploads/")
		if err != nil {
			return nil, err
		}
		for _, o := range uploads {
			if old(o, p.uploads) {
				take(o)
			}
		}
	}
	if p.exports {
		exports, err := listAll(ctx, t.s3, t.bucket, "exports/")
		if err != nil {
			return nil, err
		}
		for _, o := range exports {
			take(o)
		}
	}
	if p.dryRun {
		return res, nil
	}
	for len(doomed) > 0 {
		n := min(len(doomed), 1000)
		out, err := t.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(t.bucket), Delete: &s3types.Delete{Objects: doomed[:n], Quiet: aws.Bool(true)}})
		if err != nil {
			return nil, fmt.Errorf("clean: delete from s3://%s: %w", t.bucket, err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return nil, fmt.Errorf("clean: delete s3://%s/%s: %s %s (%d more failed)", t.bucket, aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message), len(out.Errors)-1)
		}
		doomed = doomed[n:]
	}
	return res, nil
}

func listAll(ctx context.Context, c *s3.Client, bucket, prefix string) ([]s3types.Object, error) {
	var objs []s3types.Object
	pg := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("clean: list s3://%s/%s: %w", bucket, prefix, err)
		}
		objs = append(objs, out.Contents...)
	}
	return objs, nil
}

// dirUsage is the bytes of the regular files under dir.
func dirUsage(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a file removed while we walk
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n, err
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
