package steps_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepwise-dev/stepwise/sfntest"
	"github.com/stepwise-dev/stepwise/steps/approval"
	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// heldTokens answers the decision page's SendTaskSuccess through the
// harness, for the task tokens the test holds; any other token (a wait
// that timed out) gets TaskTimedOut, as Step Functions answers.
type heldTokens struct {
	mu     sync.Mutex
	tokens map[string]*sfntest.Token
}

func (h *heldTokens) hold(t *sfntest.Token) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tokens == nil {
		h.tokens = map[string]*sfntest.Token{}
	}
	h.tokens[t.Token] = t
}

func (h *heldTokens) SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	h.mu.Lock()
	t := h.tokens[aws.ToString(in.TaskToken)]
	delete(h.tokens, aws.ToString(in.TaskToken))
	h.mu.Unlock()
	if t == nil {
		return nil, &types.TaskTimedOut{Message: aws.String("Task Timed Out")}
	}
	return &sfn.SendTaskSuccessOutput{}, t.Succeed(ctx, aws.ToString(in.Output))
}

// reminderFixture runs the export workflow with a decision page configured
// (outbox notifications, a key file) and counts the notifications sent.
type reminderFixture struct {
	*workflow
	x      *sfntest.Execution
	key    []byte
	sent   atomic.Int32
	tokens heldTokens
}

func newReminderFixture(t *testing.T, name string) *reminderFixture {
	keyFile := filepath.Join(t.TempDir(), "approval.key")
	t.Setenv(approval.EnvURL, "http://127.0.0.1:9/approval")
	t.Setenv(approval.EnvKeyFile, keyFile)
	t.Setenv(approval.EnvKeyParameter, "")
	t.Setenv(approval.EnvTopicARN, "")
	t.Setenv(approval.EnvURLParameter, "")
	f := &reminderFixture{workflow: newWorkflow(t)}
	f.st.Fail = func(op, _, key string) error {
		if op == "Put" && strings.HasPrefix(key, "approvals/outbox/") {
			f.sent.Add(1)
		}
		return nil
	}
	f.x = f.start(t, name, workflowRequest) // approval.timeoutSeconds 600
	var err error
	if f.key, err = approval.LoadOrCreateKey(keyFile); err != nil {
		t.Fatal(err)
	}
	return f
}

// outbox returns the latest notification and the link in it.
func (f *reminderFixture) outbox(t *testing.T, execution string) (string, url.Values) {
	t.Helper()
	text, ok := f.st.Object(bucket, "approvals/outbox/"+execution+".txt")
	if !ok {
		t.Fatal("no notification in the outbox")
	}
	i := strings.Index(string(text), "http://127.0.0.1:9/approval?")
	if i < 0 {
		t.Fatalf("no link in the notification:\n%s", text)
	}
	u, err := url.Parse(strings.Fields(string(text)[i:])[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(text), u.Query()
}

func (f *reminderFixture) pending(t *testing.T, execution string) export.ApprovalRecord {
	t.Helper()
	var rec export.ApprovalRecord
	if err := stepkit.ReadJSON(context.Background(), f.st, bucket, "approvals/pending/"+execution+".json", &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// remind lets the first wait run to half the expiry undecided and returns
// the reminder's token, checking the reminder: sent once, exactly at half
// the expiry, with the first notification's link.
func (f *reminderFixture) remind(t *testing.T, execution string) (*sfntest.Token, url.Values, export.ApprovalRecord) {
	t.Helper()
	first := f.token(t, f.x)
	firstText, link := f.outbox(t, execution)
	rec := f.pending(t, execution)
	if f.sent.Load() != 1 || strings.Contains(firstText, "Reminder") || !strings.Contains(firstText, "Expires:     "+rec.RequestedAt.Add(600*time.Second).Format(time.RFC1123)) {
		t.Fatalf("%d notifications; the first:\n%s", f.sent.Load(), firstText)
	}
	first.Release() // virtual time runs to half the expiry
	rem, err := f.x.Token(sfntest.Context(t), "RemindApproval")
	if err != nil {
		t.Fatal(err)
	}
	f.tokens.hold(rem)
	text, again := f.outbox(t, execution)
	renewed := f.pending(t, execution)
	if n := f.sent.Load(); n != 2 || !strings.HasPrefix(text, "Subject: Reminder: ") {
		t.Fatalf("after half the expiry: %d notifications, the latest:\n%s", n, text)
	}
	if again.Encode() != link.Encode() {
		t.Fatalf("the reminder's link differs from the first:\n%s\n%s", again.Encode(), link.Encode())
	}
	if got := renewed.RemindedAt.Sub(rec.RequestedAt); got != 300*time.Second {
		t.Fatalf("reminded %s after the request, want 5m0s (half of 600 s)", got)
	}
	if renewed.TaskToken != rem.Token || renewed.TaskToken == first.Token || !renewed.ExpiresAt.Equal(rec.ExpiresAt) || renewed.Request != rec.Request {
		t.Fatalf("renewed record: %+v\nfirst: %+v", renewed, rec)
	}
	return rem, link, rec
}

// TestWorkflowReminderThenApproveByFirstLink: nobody decides in the first
// half of the expiry; one reminder goes out with the same link; the
// approver then decides through the link of the FIRST notification, and
// the export is published with its approver.
func TestWorkflowReminderThenApproveByFirstLink(t *testing.T) {
	f := newReminderFixture(t, "eu-remind-approve")
	_, link, _ := f.remind(t, "eu-remind-approve")
	page := &approval.Page{Key: f.key, Store: f.st, Bucket: bucket, Tasks: &f.tokens, Now: f.x.Clock().Now}
	get := httptest.NewRecorder()
	page.ServeHTTP(get, httptest.NewRequest(http.MethodGet, "/approval?"+link.Encode(), nil))
	m := regexp.MustCompile(`name="form" value="([^"]+)"`).FindStringSubmatch(get.Body.String())
	if get.Code != http.StatusOK || m == nil {
		t.Fatalf("GET of the first link after the reminder = %d\n%s", get.Code, get.Body)
	}
	form := url.Values{"form": {m[1]}, "decision": {"approve"}, "approver": {"ann@example.com"}, "comment": {"late but fine"}}
	post := httptest.NewRequest(http.MethodPost, "/approval?"+link.Encode(), strings.NewReader(form.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rr := httptest.NewRecorder()
	page.ServeHTTP(rr, post)
	if rr.Code != http.StatusOK {
		t.Fatalf("POST = %d\n%s", rr.Code, rr.Body)
	}
	ex := f.wait(t, f.x)
	if ex.Status != "SUCCEEDED" || !strings.Contains(deref(ex.Output), `"approver":"ann@example.com"`) {
		t.Fatalf("status %s (%s: %s) output %s", ex.Status, deref(ex.Error), deref(ex.Cause), deref(ex.Output))
	}
	if _, ok := f.st.Object(bucket, "exports/eu-remind-approve/eu.csv"); !ok {
		t.Fatal("not published")
	}
	if n := f.sent.Load(); n != 2 {
		t.Fatalf("%d notifications, want the first and one reminder", n)
	}
}

// TestWorkflowReminderThenExpiry: nobody decides at all; after the one
// reminder the export ends with ApprovalExpired at the full expiry,
// publishes nothing, and the approvers are told so.
func TestWorkflowReminderThenExpiry(t *testing.T) {
	f := newReminderFixture(t, "eu-remind-expire")
	rem, _, rec := f.remind(t, "eu-remind-expire")
	rem.Release() // virtual time runs to the full expiry
	ex := f.wait(t, f.x)
	if ex.Status != "FAILED" || deref(ex.Error) != "ApprovalExpired" || !strings.Contains(deref(ex.Cause), "within 600 seconds") {
		t.Fatalf("status %s error %s cause %s", ex.Status, deref(ex.Error), deref(ex.Cause))
	}
	if now := f.x.Clock().Now(); now.Before(rec.ExpiresAt) {
		t.Fatalf("ended at %s, before the expiry %s", now, rec.ExpiresAt)
	}
	if keys := f.st.Keys(bucket, "exports/"); len(keys) != 0 {
		t.Fatalf("published although expired: %v", keys)
	}
	if left := f.st.Keys(bucket, "approvals/pending/"); len(left) != 0 {
		t.Fatalf("pending record left: %v", left)
	}
	// The third and last notification says it expired.
	text, ok := f.st.Object(bucket, "approvals/outbox/eu-remind-expire.txt")
	if n := f.sent.Load(); n != 3 || !ok || !strings.HasPrefix(string(text), "Subject: Expired: export eu was not approved; nothing was published\n") ||
		!strings.Contains(string(text), "Nothing was published") || strings.Contains(string(text), "http://") {
		t.Fatalf("%d notifications; the last:\n%s", n, text)
	}
}
