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
	"github.com/stepwise-dev/stepwise/steps/export"
)

// pendingApproval is the record the requestapproval step writes to S3 for
// each export waiting on a human, with the key it was read from.
type pendingApproval struct {
	Key string
	export.ApprovalRecord
}

func (t *target) approvalsPrefix() string {
	if p := t.prefixes["approvals"]; p != "" {
		return p + "pending/"
	}
	return "approvals/pending/"
}

// pendingApprovals lists the pending approval records in the export bucket.
func pendingApprovals(ctx context.Context, t *target) ([]pendingApproval, error) {
	if t.bucket == "" {
		return nil, errors.New("no export bucket known: pass --bucket (or run 'runner outputs' after deploying)")
	}
	var out []pendingApproval
	p := s3.NewListObjectsV2Paginator(t.s3, &s3.ListObjectsV2Input{Bucket: aws.String(t.bucket), Prefix: aws.String(t.approvalsPrefix())})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", t.bucket, t.approvalsPrefix(), err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			obj, err := t.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(t.bucket), Key: aws.String(key)})
			if err != nil {
				return nil, fmt.Errorf("read s3://%s/%s: %w", t.bucket, key, err)
			}
			data, err := io.ReadAll(io.LimitReader(obj.Body, 1<<20))
			obj.Body.Close()
			if err != nil {
				return nil, fmt.Errorf("read s3://%s/%s: %w", t.bucket, key, err)
			}
			rec := pendingApproval{Key: key}
			if err := json.Unmarshal(data, &rec.ApprovalRecord); err != nil {
				return nil, fmt.Errorf("s3://%s/%s is not a pending approval record: %w", t.bucket, key, err)
			}
			out = append(out, rec)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func pendingApprovalFor(ctx context.Context, t *target, executionArn string) (*pendingApproval, error) {
	all, err := pendingApprovals(ctx, t)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ExecutionID == executionArn || strings.HasSuffix(executionArn, ":"+all[i].Execution) {
			return &all[i], nil
		}
	}
	return nil, fmt.Errorf("no pending approval for %s (it may be decided already, expired, or not yet requested)", executionArn)
}
