// Package approval reads the pending approval records the requestapproval
// step writes to S3 (approvals/pending/<execution name>.json) and sends an
// approver's decision with SendTaskSuccess, the way `runner approve`,
// `runner reject` and the web console all do. It is a client of S3 and of
// the Step Functions API only.
package approval

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
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stepwise-dev/stepwise/steps/export"
)

// DefaultPrefix is where pending records live when the deployment does
// not say otherwise.
const DefaultPrefix = "approvals/pending/"

// ErrNoRecord is returned by [Read] when there is no record at the key.
var ErrNoRecord = errors.New("no pending approval record")

// S3API is the part of the S3 client this package calls.
type S3API interface {
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// SFNAPI is the part of the Step Functions client this package calls.
type SFNAPI interface {
	SendTaskSuccess(context.Context, *sfn.SendTaskSuccessInput, ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
}

var (
	_ S3API  = (*s3.Client)(nil)
	_ SFNAPI = (*sfn.Client)(nil)
)

// Send completes the approval task with the decision as its output: the
// export state machine routes a rejection to ExportRejected (after
// cleaning up) and records the approver either way. Both decisions are a
// SendTaskSuccess; only the state machine tells them apart.
func Send(ctx context.Context, api SFNAPI, token string, d export.Decision) error {
	if d.Decision != "approve" && d.Decision != "reject" {
		return fmt.Errorf("decision %q: want approve or reject", d.Decision)
	}
	out, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if _, err := api.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(out))}); err != nil {
		return fmt.Errorf("send the %s decision: %w", d.Decision, err)
	}
	return nil
}

// Read reads one approval record of at most limit bytes from
// s3://bucket/key. A missing record is [ErrNoRecord].
func Read(ctx context.Context, api S3API, bucket, key string, limit int64) (*export.ApprovalRecord, error) {
	obj, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		var nsk *s3types.NoSuchKey
		var re interface{ HTTPStatusCode() int }
		if errors.As(err, &nsk) || errors.As(err, &re) && re.HTTPStatusCode() == 404 {
			return nil, ErrNoRecord
		}
		return nil, fmt.Errorf("read: %w", err)
	}
	defer obj.Body.Close()
	data, err := io.ReadAll(io.LimitReader(obj.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("more than %d bytes; not read", limit)
	}
	var rec export.ApprovalRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("not a pending approval record: %w", err)
	}
	if rec.TaskToken == "" || rec.Execution == "" {
		return nil, errors.New("not a pending approval record: it has no task token or no execution")
	}
	return &rec, nil
}

// Pending is a pending record with the key it was read from.
type Pending struct {
	Key string
	export.ApprovalRecord
}

// Skipped is a record under the prefix that could not be read.
type Skipped struct {
	Key   string `json:"key"`
	Error string `json:"error"`
}

// List reads every pending record under prefix, sorted by key. A record
// that cannot be read, or is bigger than limit, never hides the others: it
// is returned in skipped.
func List(ctx context.Context, api S3API, bucket, prefix string, limit int64) (out []Pending, skipped []Skipped, err error) {
	p := s3.NewListObjectsV2Paginator(api, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if size := aws.ToInt64(o.Size); size > limit {
				skipped = append(skipped, Skipped{Key: key, Error: fmt.Sprintf("%d bytes, more than the %d a pending approval record may have", size, limit)})
				continue
			}
			rec, err := Read(ctx, api, bucket, key, limit)
			if err != nil {
				skipped = append(skipped, Skipped{Key: key, Error: err.Error()})
				continue
			}
			out = append(out, Pending{Key: key, ApprovalRecord: *rec})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, skipped, nil
}

// Key is the key of the pending record of the execution with the given
// ARN (or name).
func Key(prefix, execution string) string {
	return prefix + execution[strings.LastIndex(execution, ":")+1:] + ".json"
}

// NotificationLink returns the decision link in the notification the
// outbox holds for a pending record read from pendingKey (the local
// stack's stand-in for SNS: approvals/outbox/<execution>.txt beside
// approvals/pending/), or "" when there is none. The link is what the
// approvers were sent; showing it lets an operator forward it.
func NotificationLink(ctx context.Context, api S3API, bucket, pendingKey string) string {
	dir, file, ok := strings.Cut(pendingKey, "pending/")
	if !ok || strings.Contains(file, "/") {
		return ""
	}
	obj, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(dir + "outbox/" + strings.TrimSuffix(file, ".json") + ".txt")})
	if err != nil {
		return ""
	}
	defer obj.Body.Close()
	data, err := io.ReadAll(io.LimitReader(obj.Body, 256<<10))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "http://") || strings.HasPrefix(line, "https://") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}
