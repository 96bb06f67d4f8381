package approval

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/stepwise-dev/stepwise/steps/export"
)

func TestPlainEscapesWhatCouldForgeOrHideText(t *testing.T) {
	for in, want := range map[string]string{
		"ok, ünïcode":             "ok, ünïcode",
		"a\nApprove: yes":         `a\nApprove: yes`,
		"\r\x00\x1b[31m":          `\r\x00\x1b[31m`,
		"evil\u202egnp.exe":       `evil\u202egnp.exe`,
		"zero\u200bwidth":         `zero\u200bwidth`,
		"line\u2028sep":           `line\u2028sep`,
		"bad \xff utf8":           `bad \xff utf8`,
		`back\slash`:              `back\\slash`,
		"<a href=x>click</a>":     "<a href=x>click</a>", // plain text: shown, never rendered
		"tab\there":               `tab\there`,
		"real replacement \uFFFD": "real replacement \uFFFD",
	} {
		if got := Plain(in); got != want {
			t.Errorf("Plain(%q) = %q, want %q", in, got, want)
		}
	}
}

type fakePublisher struct{ in []*sns.PublishInput }

func (f *fakePublisher) Publish(ctx context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.in = append(f.in, in)
	return &sns.PublishOutput{}, nil
}

func testRecord() *export.ApprovalRecord {
	return &export.ApprovalRecord{
		TaskToken: "task-token-1", Execution: "exp-42", Name: "monthly\nApproved: yes",
		Rows: 1234, Bytes: 56789, Rejected: 2, Columns: []string{"id", "note"}, Where: "total > 100",
		Sources: []string{"s3://in/orders.csv"}, Output: "s3://out/orders.csv",
		SampleRows:  [][]string{{"1", "a\r\nb"}, {"2", "\u202eevil"}},
		RequestedAt: now, ExpiresAt: now.Add(24 * time.Hour),
	}
}

func TestNotificationBodyAndLink(t *testing.T) {
	pub := &fakePublisher{}
	n := &Notifier{Key: testKey, BaseURL: "https://abc.lambda-url.eu-west-1.on.aws/", Send: &SNSSender{Client: pub, TopicARN: "arn:aws:sns:eu-west-1:123456789012:approvals"}}
	if err := n.Pending(context.Background(), testRecord()); err != nil {
		t.Fatal(err)
	}
	if len(pub.in) != 1 || aws.ToString(pub.in[0].TopicArn) != "arn:aws:sns:eu-west-1:123456789012:approvals" {
		t.Fatalf("published %+v", pub.in)
	}
	subject, body := aws.ToString(pub.in[0].Subject), aws.ToString(pub.in[0].Message)
	if subject != "Approve export monthly?Approved: yes? 1234 rows" || len(subject) > 100 {
		t.Errorf("subject %q", subject)
	}
	for _, want := range []string{`Export:      monthly\nApproved: yes`, "Rows:        1234 (2 rejected rows left out)", "Filter:      total > 100",
		`  1. 1 | a\r\nb`, `  2. 2 | \u202eevil`, "Expires:     Sun, 06 Dec 2026 10:00:00 UTC", "s3://in/orders.csv", "55.5 KiB"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	for _, r := range body {
		if r != '\n' && (r < 0x20 || r == 0x7f || r == '\u202e') {
			t.Fatalf("body holds control character %U", r)
		}
	}
	if strings.Contains(body, "task-token-1") {
		t.Fatal("the task token is in the notification")
	}
	var link string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "https://") {
			link = l
		}
	}
	u, err := url.Parse(link)
	if err != nil || link == "" {
		t.Fatalf("no link in the body: %q", link)
	}
	l, err := Verify(testKey, u.Query(), now)
	if err != nil || l.Execution != "exp-42" || l.Request != RequestDigest("exp-42", 0) || !l.Expires.Equal(now.Add(24*time.Hour)) {
		t.Fatalf("link %s: %+v, %v", link, l, err)
	}
}

func TestOutboxSender(t *testing.T) {
	f := newPageFixture(t)
	n := &Notifier{Key: testKey, BaseURL: "http://127.0.0.1:1/approval", Send: &OutboxSender{Store: f.store, Bucket: pageBucket, Prefixes: export.DefaultPrefixes}}
	if err := n.Pending(context.Background(), testRecord()); err != nil {
		t.Fatal(err)
	}
	b, ok := f.store.Object(pageBucket, "approvals/outbox/exp-42.txt")
	if !ok || !strings.HasPrefix(string(b), "Subject: Approve export") || !strings.Contains(string(b), "http://127.0.0.1:1/approval?a=exp-42&") {
		t.Fatalf("outbox: %v\n%s", ok, b)
	}
}

func TestFunctionURLAdapter(t *testing.T) {
	f := newPageFixture(t)
	ctx := context.Background()
	get := events.LambdaFunctionURLRequest{RawPath: "/", RawQueryString: f.q.Encode()}
	get.RequestContext.HTTP.Method = http.MethodGet
	resp, err := f.page.FunctionURL(ctx, get)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "Approve this export?") || resp.Headers["content-security-policy"] == "" {
		t.Fatalf("GET: %v %d %v", err, resp.StatusCode, resp.Headers)
	}
	form := f.approveForm("ana", "ok")
	post := events.LambdaFunctionURLRequest{RawPath: "/", RawQueryString: f.q.Encode(), IsBase64Encoded: true,
		Body:    base64.StdEncoding.EncodeToString([]byte(form.Encode())),
		Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"}}
	post.RequestContext.HTTP.Method = http.MethodPost
	post.RequestContext.Authorizer = &events.LambdaFunctionURLRequestContextAuthorizerDescription{IAM: &events.LambdaFunctionURLRequestContextAuthorizerIAMDescription{UserARN: "arn:aws:iam::123456789012:user/ana"}}
	resp, err = f.page.FunctionURL(ctx, post)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST: %v %d\n%s", err, resp.StatusCode, resp.Body)
	}
	if len(f.tasks.sent) != 1 || !strings.Contains(aws.ToString(f.tasks.sent[0].Output), `"approver":"ana (arn:aws:iam::123456789012:user/ana)"`) {
		t.Fatalf("sent %v", f.tasks.sent)
	}
	// The receipt is readable: the second POST sees it.
	resp, _ = f.page.FunctionURL(ctx, post)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("second POST = %d", resp.StatusCode)
	}
	rc, _, err := f.store.Get(ctx, pageBucket, "approvals/decisions/exp-42.json", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	if !strings.Contains(string(b), `"decision": "approve"`) {
		t.Fatalf("receipt %s", b)
	}
}

// TestReminderCarriesTheFirstLink: the reminder renews the task token but
// not the request, so its link is the first notification's, and it says it
// is a reminder.
func TestReminderCarriesTheFirstLink(t *testing.T) {
	pub := &fakePublisher{}
	n := &Notifier{Key: testKey, BaseURL: "https://abc.lambda-url.eu-west-1.on.aws/", Send: &SNSSender{Client: pub, TopicARN: "arn:aws:sns:eu-west-1:123456789012:approvals"}}
	first := testRecord()
	again := testRecord()
	again.TaskToken, again.RemindedAt = "task-token-2", now.Add(12*time.Hour)
	for _, rec := range []*export.ApprovalRecord{first, again} {
		if err := n.Pending(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	linkOf := func(body string) string {
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "https://") {
				return l
			}
		}
		return ""
	}
	a, b := aws.ToString(pub.in[0].Message), aws.ToString(pub.in[1].Message)
	if linkOf(a) == "" || linkOf(a) != linkOf(b) {
		t.Fatalf("reminder link %q, first link %q", linkOf(b), linkOf(a))
	}
	if s := aws.ToString(pub.in[1].Subject); !strings.HasPrefix(s, "Reminder: Approve export") || strings.HasPrefix(aws.ToString(pub.in[0].Subject), "Reminder") {
		t.Fatalf("subjects %q, %q", aws.ToString(pub.in[0].Subject), s)
	}
	if !strings.Contains(b, "still waits for your approval") || strings.Contains(a, "still waits") {
		t.Fatalf("reminder body:\n%s", b)
	}
}
