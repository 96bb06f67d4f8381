package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stepwise-dev/stepwise/local/console/approval"
	"github.com/stepwise-dev/stepwise/steps/export"
)

// pendingApproval is the record the requestapproval step writes to S3 for
// each export waiting on a human, with the key it was read from.
type pendingApproval struct {
	Key string
	export.ApprovalRecord
}

// skippedRecord is a pending approval record that could not be listed.
type skippedRecord struct {
	Key   string `json:"key"`
	Error string `json:"error"`
}

// Read limits for approval records. The requestapproval step keeps a
// record under 64 KiB; older versions wrote records of any size. A
// listing reads every record, so it skips one over listLimit (the others
// stay listed); reading one execution's record is allowed more, so that
// such an export can still be decided by name.
const (
	listLimit   = 1 << 20
	recordLimit = 64 << 20
)

var errNoPendingRecord = approval.ErrNoRecord

func (t *target) approvalsPrefix() string {
	if p := t.prefixes["approvals"]; p != "" {
		return p + "pending/"
	}
	return "approvals/pending/"
}

func (t *target) decidedPrefix() string {
	return strings.TrimSuffix(t.approvalsPrefix(), "pending/") + "decided/"
}

// pendingApprovals lists the pending approval records in the export
// bucket. A record that cannot be read or is not an approval record never
// hides the others: it is returned in skipped, with the reason.
func pendingApprovals(ctx context.Context, t *target) (out []pendingApproval, skipped []skippedRecord, err error) {
	if t.bucket == "" {
		return nil, nil, errors.New("no export bucket known: pass --bucket (or run 'runner outputs' after deploying)")
	}
	p := s3.NewListObjectsV2Paginator(t.s3, &s3.ListObjectsV2Input{Bucket: aws.String(t.bucket), Prefix: aws.String(t.approvalsPrefix())})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("list s3://%s/%s: %w", t.bucket, t.approvalsPrefix(), err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if size := aws.ToInt64(o.Size); size > listLimit {
				skipped = append(skipped, skippedRecord{Key: key, Error: fmt.Sprintf("%d bytes, more than the %d a pending approval record may have (written by an older version?); decide it with `runner approve %s` or `runner reject %s`", size, listLimit, recordName(t, key), recordName(t, key))})
				continue
			}
			rec, err := readRecord(ctx, t, key, listLimit)
			if err != nil {
				skipped = append(skipped, skippedRecord{Key: key, Error: err.Error()})
				continue
			}
			out = append(out, pendingApproval{Key: key, ApprovalRecord: *rec})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, skipped, nil
}

// recordName is the execution name a pending record's key stands for.
func recordName(t *target, key string) string {
	return strings.TrimSuffix(strings.TrimPrefix(key, t.approvalsPrefix()), ".json")
}

// readRecord reads one approval record of at most limit bytes. A missing
// record is errNoPendingRecord.
func readRecord(ctx context.Context, t *target, key string, limit int64) (*export.ApprovalRecord, error) {
	return approval.Read(ctx, t.s3, t.bucket, key, limit)
}

// pendingApprovalFor reads the pending approval record of one execution,
// at approvals/pending/<execution name>.json: no listing, so that no
// other record can stand in its way.
func pendingApprovalFor(ctx context.Context, t *target, executionArn string) (*pendingApproval, error) {
	if t.bucket == "" {
		return nil, errors.New("no export bucket known: pass --bucket (or run 'runner outputs' after deploying)")
	}
	name := executionArn[strings.LastIndex(executionArn, ":")+1:]
	key := t.approvalsPrefix() + name + ".json"
	rec, err := readRecord(ctx, t, key, recordLimit)
	if errors.Is(err, errNoPendingRecord) || err == nil && rec.ExecutionID != "" && rec.ExecutionID != executionArn {
		return nil, fmt.Errorf("no pending approval for %s (it may be decided already, expired, or not yet requested): %w", executionArn, errNoPendingRecord)
	}
	if err != nil {
		return nil, fmt.Errorf("pending approval record s3://%s/%s: %w", t.bucket, key, err)
	}
	return &pendingApproval{Key: key, ApprovalRecord: *rec}, nil
}

// decidedApprovalFor reads the decided approval record publish leaves for
// an approved export, if any.
func decidedApprovalFor(ctx context.Context, t *target, name string) *export.ApprovalRecord {
	if t.bucket == "" {
		return nil
	}
	obj, err := t.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(t.bucket), Key: aws.String(t.decidedPrefix() + name + ".json")})
	if err != nil {
		return nil
	}
	defer obj.Body.Close()
	var rec export.ApprovalRecord
	if json.NewDecoder(io.LimitReader(obj.Body, recordLimit)).Decode(&rec) != nil || rec.Decision == "" {
		return nil
	}
	return &rec
}
