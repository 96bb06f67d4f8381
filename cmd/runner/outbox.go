package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stepwise-dev/stepwise/steps/export"
)

// The approval outbox (issue 16): with no SNS topic configured, the
// requestapproval step writes each notification to
// approvals/outbox/<execution>.txt. `runner up` prints them as they land
// and `runner approvals` shows each pending export's decision link.

// outboxInterval is how often `runner up` looks for new notifications.
const outboxInterval = time.Second

func (t *target) outboxPrefix() string {
	return strings.TrimSuffix(t.approvalsPrefix(), "pending/") + "outbox/"
}

// outboxLink is the decision link in a notification's text.
var outboxLink = regexp.MustCompile(`(?m)^https?://\S+[?&]a=\S+$`)

// readOutbox returns the notification of an execution ("" when none).
func readOutbox(ctx context.Context, t *target, execution string) string {
	o, err := t.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(t.bucket), Key: aws.String(t.outboxPrefix() + execution + ".txt")})
	if err != nil {
		return ""
	}
	defer o.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(o.Body, 1<<20))
	return string(b)
}

// approvalLink is the decision link of an execution's notification, "" when
// there is none.
func approvalLink(ctx context.Context, t *target, execution string) string {
	return string(outboxLink.FindString(readOutbox(ctx, t, execution)))
}

// watchOutbox prints every notification that lands in the outbox (and
// again when it changes) to w until ctx is done, then looks once more so
// that a notification written just before the stop is not lost.
func watchOutbox(ctx context.Context, t *target, w io.Writer) {
	seen := map[string]string{} // key → ETag
	// Notifications from before this start were shown then. (S3 times
	// have whole seconds.)
	since := time.Now().Add(-time.Second)
	for {
		scanOutbox(ctx, t, w, seen, since)
		select {
		case <-ctx.Done():
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			scanOutbox(last, t, w, seen, since)
			cancel()
			return
		case <-time.After(outboxInterval):
		}
	}
}

// scanOutbox prints the notifications not in seen (key → ETag) and
// written after since.
func scanOutbox(ctx context.Context, t *target, w io.Writer, seen map[string]string, since time.Time) {
	p := s3.NewListObjectsV2Paginator(t.s3, &s3.ListObjectsV2Input{Bucket: aws.String(t.bucket), Prefix: aws.String(t.outboxPrefix())})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return
		}
		for _, o := range page.Contents {
			key, etag := aws.ToString(o.Key), aws.ToString(o.ETag)
			if seen[key] == etag {
				continue
			}
			seen[key] = etag
			if aws.ToTime(o.LastModified).Before(since) {
				continue
			}
			name := strings.TrimSuffix(strings.TrimPrefix(key, t.outboxPrefix()), ".txt")
			if text := readOutbox(ctx, t, name); text != "" {
				fmt.Fprintf(w, "--- approval notification (s3://%s/%s) ---\n%s\n", t.bucket, key, strings.TrimRight(text, "\n"))
			}
		}
	}
}

// notificationOut is where `runner up` prints notifications: stdout, or
// stderr when stdout carries JSON.
func (a *app) notificationOut() io.Writer {
	if a.g.output == "json" {
		return a.stderr
	}
	return a.stdout
}

// approvalLinks maps each record's execution to its decision link, for
// those that have a notification in the outbox.
func approvalLinks(ctx context.Context, t *target, recs []export.ApprovalRecord) map[string]string {
	links := map[string]string{}
	for _, r := range recs {
		if link := approvalLink(ctx, t, r.Execution); link != "" {
			links[r.Execution] = link
		}
	}
	return links
}
