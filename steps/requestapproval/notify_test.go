package requestapproval_test

import (
	"context"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/steps/approval"
	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/requestapproval"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// TestHandlerNotifiesThroughTheOutbox: with a decision page configured and
// no SNS topic, the step writes the notification to the outbox, with a
// link the page's key verifies; without one, it writes none.
func TestHandlerNotifiesThroughTheOutbox(t *testing.T) {
	ctx := context.Background()
	st := objstore.NewMemory()
	clock := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	env := &stepkit.Env{Store: st, Bucket: bucket, Prefixes: export.DefaultPrefixes, Log: io.Discard, Now: func() time.Time { return clock }}
	lay := env.Layout("n-1")
	st.PutBytes(bucket, lay.MergedKey("csv"), []byte("id,note\n1,\"two\nlines\"\n"))
	req, err := export.ParseRequest([]byte(`{"name":"orders","source":{"bucket":"stepwise-test","key":"uploads/o.csv"},"approval":{"timeoutSeconds":3600}}`))
	if err != nil {
		t.Fatal(err)
	}
	p := export.Plan{Job: export.Job{Execution: "n-1", Bucket: bucket}, Request: *req, OutputBucket: bucket, OutputKey: "exports/o.csv", StartedBy: "ann@laptop\n(runner export)"}
	stepkit.WriteJSON(ctx, st, bucket, lay.PlanKey(), p)
	stepkit.WriteJSON(ctx, st, bucket, lay.MergeResultKey(), export.MergeResult{Key: lay.MergedKey("csv"), Rows: 1, Bytes: 22, Columns: []string{"id", "note"}})
	in := requestapproval.Input{Job: p.Job, TaskToken: "tok-1", RequestedAt: "2026-11-23T12:00:00Z"}

	t.Setenv(approval.EnvURL, "")
	if _, err := requestapproval.New(env)(ctx, in); err != nil {
		t.Fatal(err)
	}
	if keys := st.Keys(bucket, "approvals/outbox/"); len(keys) != 0 {
		t.Fatalf("notified without a decision page: %v", keys)
	}

	keyFile := filepath.Join(t.TempDir(), "approval.key")
	t.Setenv(approval.EnvURL, "http://127.0.0.1:9/approval")
	t.Setenv(approval.EnvKeyFile, keyFile)
	t.Setenv(approval.EnvKeyParameter, "")
	t.Setenv(approval.EnvTopicARN, "")
	if _, err := requestapproval.New(env)(ctx, in); err != nil {
		t.Fatal(err)
	}
	text, ok := st.Object(bucket, "approvals/outbox/n-1.txt")
	if !ok {
		t.Fatal("no outbox notification")
	}
	if !strings.Contains(string(text), `1. 1 | two\nlines`) || !strings.Contains(string(text), "Started by:  ann@laptop\\n(runner export)\n") || !strings.Contains(string(text), "Expires:     Mon, 23 Nov 2026 13:00:00 UTC") {
		t.Fatalf("notification:\n%s", text)
	}
	i := strings.Index(string(text), "http://127.0.0.1:9/approval?")
	u, err := url.Parse(strings.Fields(string(text)[i:])[0])
	if i < 0 || err != nil {
		t.Fatalf("no link: %v", err)
	}
	key, err := approval.LoadOrCreateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	l, err := approval.Verify(key, u.Query(), clock)
	if err != nil || l.Execution != "n-1" || l.Request != approval.RequestDigest("n-1", 0) {
		t.Fatalf("link: %+v %v", l, err)
	}

	// The reminder at half the expiry renews the token, keeps the request
	// and the expiry, and sends the same link again.
	rem := requestapproval.Input{Job: p.Job, TaskToken: "tok-2", RequestedAt: "2026-11-23T12:30:00Z", Reminder: true}
	if _, err := requestapproval.New(env)(ctx, rem); err != nil {
		t.Fatal(err)
	}
	var rec export.ApprovalRecord
	if err := stepkit.ReadJSON(ctx, st, bucket, lay.PendingApprovalKey(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.TaskToken != "tok-2" || rec.Request != l.Request || !rec.ExpiresAt.Equal(clock.Add(time.Hour)) || !rec.RemindedAt.Equal(clock.Add(30*time.Minute)) {
		t.Fatalf("renewed record: token %s request %s expires %s reminded %s", rec.TaskToken, rec.Request, rec.ExpiresAt, rec.RemindedAt)
	}
	again, _ := st.Object(bucket, "approvals/outbox/n-1.txt")
	if !strings.HasPrefix(string(again), "Subject: Reminder: ") || !strings.Contains(string(again), u.String()) {
		t.Fatalf("reminder (want the link %s):\n%s", u, again)
	}

	// A reminder that finds no record writes it anew, expiring at the end
	// of the second half.
	st.Delete(ctx, bucket, lay.PendingApprovalKey())
	if _, err := requestapproval.New(env)(ctx, rem); err != nil {
		t.Fatal(err)
	}
	rec = export.ApprovalRecord{}
	if err := stepkit.ReadJSON(ctx, st, bucket, lay.PendingApprovalKey(), &rec); err != nil || rec.TaskToken != "tok-2" || !rec.ExpiresAt.Equal(clock.Add(time.Hour)) || rec.Request != l.Request {
		t.Fatalf("rewritten record %+v: %v", rec, err)
	}
	// A redrive asks again under the next redrive count: a new request,
	// which the links of the run before do not name.
	redriven := requestapproval.Input{Job: p.Job, TaskToken: "tok-3", RequestedAt: "2026-11-24T08:00:00Z", RedriveCount: 1}
	if _, err := requestapproval.New(env)(ctx, redriven); err != nil {
		t.Fatal(err)
	}
	rec = export.ApprovalRecord{}
	if err := stepkit.ReadJSON(ctx, st, bucket, lay.PendingApprovalKey(), &rec); err != nil || rec.RedriveCount != 1 || rec.Request != approval.RequestDigest("n-1", 1) || rec.Request == l.Request {
		t.Fatalf("redriven record: request %s redrives %d (first run's %s): %v", rec.Request, rec.RedriveCount, l.Request, err)
	}
}
