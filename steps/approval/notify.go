package approval

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// The environment of the approval step and of requestapproval.
const (
	// EnvURL is the decision page's base URL (the function URL on AWS,
	// http://127.0.0.1:<port>/approval locally). Without it no
	// notification is sent.
	EnvURL = "STEPWISE_APPROVAL_URL"
	// EnvURLParameter names an SSM String parameter holding the page's
	// URL, read when STEPWISE_APPROVAL_URL is unset. Terraform uses it:
	// the function URL is only known after the functions exist.
	EnvURLParameter = "STEPWISE_APPROVAL_URL_PARAMETER"
	// EnvTopicARN is the SNS topic notifications go to; without it they go
	// to the outbox (approvals/outbox/<execution>.txt).
	EnvTopicARN = "STEPWISE_APPROVAL_TOPIC_ARN"
	// EnvKeyParameter names the SSM SecureString holding the signing key.
	EnvKeyParameter = "STEPWISE_APPROVAL_KEY_PARAMETER"
	// EnvKeyFile is the local key file ([LoadOrCreateKey]).
	EnvKeyFile = "STEPWISE_APPROVAL_KEY_FILE"
)

// KeyFromEnv loads the signing key: from the SSM SecureString named by
// STEPWISE_APPROVAL_KEY_PARAMETER, else from the file named by
// STEPWISE_APPROVAL_KEY_FILE (created on first use). It returns nil, nil
// when neither is set.
func KeyFromEnv(ctx context.Context) ([]byte, error) {
	if name := os.Getenv(EnvKeyParameter); name != "" {
		text, err := getParameter(ctx, name, true)
		if err != nil {
			return nil, err
		}
		return ParseKey("parameter "+name, text)
	}
	if path := os.Getenv(EnvKeyFile); path != "" {
		return LoadOrCreateKey(path)
	}
	return nil, nil
}

// getParameter reads an SSM parameter's value.
func getParameter(ctx context.Context, name string, decrypt bool) (string, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return "", fmt.Errorf("approval: AWS configuration: %w", err)
	}
	out, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(decrypt)})
	if err != nil {
		return "", fmt.Errorf("approval: read the SSM parameter %s: %w", name, err)
	}
	if out.Parameter == nil || aws.ToString(out.Parameter.Value) == "" {
		return "", fmt.Errorf("approval: the SSM parameter %s has no value", name)
	}
	return aws.ToString(out.Parameter.Value), nil
}

// Message is one notification: a one-line subject and a plain-text body.
type Message struct {
	Execution string
	Subject   string
	Body      string
}

// Sender delivers a notification.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Publisher is the SNS call [SNSSender] makes; *sns.Client satisfies it.
type Publisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ Publisher = (*sns.Client)(nil)

// SNSSender publishes notifications to an SNS topic. E-mail subscribers
// get the subject and the body as they are; other subscribers (a chat
// webhook, a queue) get the same text.
type SNSSender struct {
	Client   Publisher
	TopicARN string
}

// Send implements [Sender].
func (s *SNSSender) Send(ctx context.Context, m Message) error {
	_, err := s.Client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(s.TopicARN), Subject: aws.String(m.Subject), Message: aws.String(m.Body)})
	if err != nil {
		return fmt.Errorf("approval: publish to %s: %w", s.TopicARN, err)
	}
	return nil
}

// OutboxSender writes notifications to approvals/outbox/<execution>.txt,
// where `runner approvals` and `runner up` show them: the local stack's
// stand-in for an SNS topic.
type OutboxSender struct {
	Store    objstore.Store
	Bucket   string
	Prefixes export.Prefixes
}

// OutboxKey is where the outbox keeps an execution's latest notification.
func OutboxKey(p export.Prefixes, execution string) string {
	return p.Approvals + "outbox/" + execution + ".txt"
}

// Send implements [Sender].
func (s *OutboxSender) Send(ctx context.Context, m Message) error {
	key := OutboxKey(s.Prefixes, m.Execution)
	text := "Subject: " + m.Subject + "\n\n" + m.Body
	if _, err := s.Store.Put(ctx, s.Bucket, key, strings.NewReader(text), "text/plain; charset=utf-8"); err != nil {
		return fmt.Errorf("approval: write s3://%s/%s: %w", s.Bucket, key, err)
	}
	return nil
}

// Notifier tells approvers that an export waits for them, with a signed
// link to the decision page.
type Notifier struct {
	Key     []byte
	BaseURL string
	Send    Sender
}

// NotifierFromEnv builds the notifier of a deployment from the process
// environment: nil, nil when no decision page is configured
// (STEPWISE_APPROVAL_URL unset), so a deployment without one keeps working
// with `runner approve` alone.
func NotifierFromEnv(ctx context.Context, env *stepkit.Env) (*Notifier, error) {
	base := os.Getenv(EnvURL)
	if name := os.Getenv(EnvURLParameter); base == "" && name != "" {
		var err error
		if base, err = getParameter(ctx, name, false); err != nil {
			return nil, err
		}
	}
	if base == "" {
		return nil, nil
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("approval: %s=%q is not an http(s) URL", EnvURL, base)
	}
	key, err := KeyFromEnv(ctx)
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, fmt.Errorf("approval: %s is set but no signing key is: set %s or %s", EnvURL, EnvKeyParameter, EnvKeyFile)
	}
	n := &Notifier{Key: key, BaseURL: base, Send: &OutboxSender{Store: env.Store, Bucket: env.Bucket, Prefixes: env.Prefixes}}
	if topic := os.Getenv(EnvTopicARN); topic != "" {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("approval: AWS configuration: %w", err)
		}
		n.Send = &SNSSender{Client: sns.NewFromConfig(cfg), TopicARN: topic}
	}
	return n, nil
}

// LinkFor returns the signed decision link of a pending record.
func (n *Notifier) LinkFor(rec *export.ApprovalRecord) (string, error) {
	q, err := Sign(n.Key, Link{Execution: rec.Execution, Request: RequestOf(rec), Expires: rec.ExpiresAt})
	if err != nil {
		return "", err
	}
	sep := "?"
	if strings.Contains(n.BaseURL, "?") {
		sep = "&"
	}
	return n.BaseURL + sep + q.Encode(), nil
}

// Pending sends the notification of a pending approval: the first one, or
// the reminder when rec.RemindedAt is set. Both carry the same link.
func (n *Notifier) Pending(ctx context.Context, rec *export.ApprovalRecord) error {
	link, err := n.LinkFor(rec)
	if err != nil {
		return err
	}
	return n.Send.Send(ctx, Message{Execution: rec.Execution, Subject: Subject(rec), Body: Body(rec, link)})
}

// Expired sends the notice that nobody decided rec in time: the export
// ended as rejected by expiry and nothing was published. It has no link.
func (n *Notifier) Expired(ctx context.Context, rec *export.ApprovalRecord) error {
	return n.Send.Send(ctx, Message{Execution: rec.Execution, Subject: asciiSubject("Expired: export " + cmp.Or(rec.Name, rec.Execution) + " was not approved; nothing was published"), Body: ExpiredBody(rec)})
}

// ExpiredBody is the plain text of the expiry notice (values shown by
// [Plain], as in [Body]).
func ExpiredBody(rec *export.ApprovalRecord) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("Nobody decided this export in time, so it ended as rejected by expiry (ApprovalExpired).")
	line("Nothing was published, its work files are removed, and its decision link no longer works.")
	line("")
	if rec.Name != "" {
		line("Export:      %s", Plain(rec.Name))
	}
	line("Execution:   %s", Plain(rec.Execution))
	if rec.StartedBy != "" {
		line("Started by:  %s", Plain(rec.StartedBy))
	}
	line("Not published to: %s", Plain(rec.Output))
	line("Requested:   %s", rec.RequestedAt.UTC().Format(time.RFC1123))
	line("Expired:     %s", rec.ExpiresAt.UTC().Format(time.RFC1123))
	line("")
	line("If the export is still needed, run it again.")
	return b.String()
}

// Subject is a notification's subject: SNS wants at most 100 printable
// ASCII characters on one line.
func Subject(rec *export.ApprovalRecord) string {
	what := rec.Name
	if what == "" {
		what = rec.Execution
	}
	s := "Approve export " + what + "? " + strconv.FormatInt(rec.Rows, 10) + " rows"
	if !rec.RemindedAt.IsZero() {
		s = "Reminder: " + s
	}
	return asciiSubject(s)
}

// asciiSubject is s as SNS takes a subject: printable ASCII (anything
// else shown as "?"), at most 100 characters.
func asciiSubject(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0x20 && r < 0x7f {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	out := b.String()
	if len(out) > 100 {
		out = out[:97] + "..."
	}
	return out
}

// Body is a notification's plain text: what is exported, the counts, the
// sample rows, the expiry and the link. Every value from the export
// (names, filter, sample values) is shown by [Plain] on one line, so no
// value can forge a line of the message, hide text with bidirectional
// controls, or smuggle markup: the message has none and is sent as text.
func Body(rec *export.ApprovalRecord, link string) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	if rec.RemindedAt.IsZero() {
		line("An export waits for your approval.")
	} else {
		line("Reminder: an export still waits for your approval, and half of its time is gone.")
		line("The link below is the same as in the first notification; either works.")
	}
	line("")
	if rec.Name != "" {
		line("Export:      %s", Plain(rec.Name))
	}
	line("Execution:   %s", Plain(rec.Execution))
	if rec.ExecutionID != "" {
		line("Started as:  %s", Plain(rec.ExecutionID))
	}
	if rec.StartedBy != "" {
		line("Started by:  %s", Plain(rec.StartedBy))
	}
	for i, s := range rec.Sources {
		label := "Source:"
		if i > 0 {
			label = ""
		}
		line("%-12s %s", label, Plain(s))
	}
	if rec.SourceCount > len(rec.Sources) {
		line("             (%d sources in all)", rec.SourceCount)
	}
	where := "none (every row)"
	if rec.Where != "" {
		where = Plain(rec.Where)
	}
	line("Filter:      %s", where)
	cols := make([]string, len(rec.Columns))
	for i, c := range rec.Columns {
		cols[i] = Plain(c)
	}
	line("Columns:     %s", strings.Join(cols, ", "))
	line("Rows:        %d (%d rejected rows left out)", rec.Rows, rec.Rejected)
	line("Size:        %s", humanBytes(rec.Bytes))
	line("Publish to:  %s", Plain(rec.Output))
	line("Requested:   %s", rec.RequestedAt.UTC().Format(time.RFC1123))
	line("Expires:     %s", rec.ExpiresAt.UTC().Format(time.RFC1123))
	line("")
	if len(rec.SampleRows) == 0 {
		line("The export has no rows.")
	} else {
		line("First %d rows:", len(rec.SampleRows))
		for i, row := range rec.SampleRows {
			vals := make([]string, len(row))
			for j, v := range row {
				vals[j] = Plain(v)
			}
			line("  %d. %s", i+1, strings.Join(vals, " | "))
		}
	}
	for _, t := range rec.Truncation {
		line("(shortened: %s)", Plain(t))
	}
	line("")
	line("Open this link to review and approve or reject (opening it decides nothing):")
	line("%s", link)
	line("")
	line("If nobody decides by %s, the export ends as rejected by expiry and nothing is published.", rec.ExpiresAt.UTC().Format(time.RFC1123))
	line("Operators can also decide with: runner approve %s  (or runner reject)", Plain(rec.Execution))
	return b.String()
}

// Plain returns s safe to show on one line of a plain-text message:
// control characters (newlines included), bidirectional and other
// invisible format characters and invalid UTF-8 are written as Go
// escapes (\n, \u202e, \x00).
func Plain(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029':
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
