package approval

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// fakeTasks records the answers sent; SendFunc, when set, decides the reply.
type fakeTasks struct {
	sent     []sfn.SendTaskSuccessInput
	SendFunc func(*sfn.SendTaskSuccessInput) error
}

func (f *fakeTasks) SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	if f.SendFunc != nil {
		if err := f.SendFunc(in); err != nil {
			return nil, err
		}
	}
	f.sent = append(f.sent, *in)
	return &sfn.SendTaskSuccessOutput{}, nil
}

type pageFixture struct {
	page  *Page
	store *objstore.Memory
	tasks *fakeTasks
	clock time.Time
	q     url.Values
}

const pageBucket = "exports"

func newPageFixture(t *testing.T) *pageFixture {
	t.Helper()
	f := &pageFixture{store: objstore.NewMemory(), tasks: &fakeTasks{}, clock: now}
	f.page = &Page{Key: testKey, Store: f.store, Bucket: pageBucket, Tasks: f.tasks, Now: func() time.Time { return f.clock }}
	f.putPending(t, "task-token-1", 0, false)
	f.q = sign(t, testKey, Link{Execution: "exp-42", Request: RequestDigest("exp-42", 0), Expires: now.Add(24 * time.Hour)})
	return f
}

// putPending writes exp-42's pending record waiting with token, in the
// execution's run redrives, renewed by the reminder when reminded.
func (f *pageFixture) putPending(t *testing.T, token string, redrives int, reminded bool) {
	t.Helper()
	rec := export.ApprovalRecord{
		TaskToken: token, Execution: "exp-42", Name: "monthly <revenue>",
		Rows: 1234, Bytes: 56789, Columns: []string{"id", "note"}, Where: "total > 100",
		Sources: []string{"s3://in/orders.csv"}, Output: "s3://out/orders.csv",
		SampleRows:  [][]string{{"1", "<script>alert(1)</script>"}},
		RequestedAt: now, ExpiresAt: now.Add(24 * time.Hour),
		RedriveCount: redrives, StartedBy: "ann@<laptop> (runner export)",
	}
	if redrives > 0 {
		rec.Request = RequestDigest("exp-42", redrives)
	}
	if reminded {
		rec.RemindedAt = now.Add(12 * time.Hour)
	}
	if _, err := stepkit.WriteJSON(context.Background(), f.store, pageBucket, "approvals/pending/exp-42.json", rec); err != nil {
		t.Fatal(err)
	}
}

func (f *pageFixture) get(t *testing.T, q url.Values) (int, string) {
	t.Helper()
	return f.do(t, httptest.NewRequest(http.MethodGet, "/approval?"+q.Encode(), nil))
}

func (f *pageFixture) post(t *testing.T, q url.Values, form url.Values) (int, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/approval?"+q.Encode(), strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return f.do(t, r)
}

func (f *pageFixture) do(t *testing.T, r *http.Request) (int, string) {
	t.Helper()
	w := httptest.NewRecorder()
	f.page.ServeHTTP(w, r)
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Fatalf("Content-Security-Policy = %q", csp)
	}
	if w.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Fatal("no Referrer-Policy: no-referrer; the link's signature could leak")
	}
	return w.Code, w.Body.String()
}

func (f *pageFixture) approveForm(approver, comment string) url.Values {
	return url.Values{"form": {FormToken(testKey, f.q)}, "decision": {"approve"}, "approver": {approver}, "comment": {comment}}
}

func clone(q url.Values) url.Values {
	c := url.Values{}
	for k, v := range q {
		c[k] = append([]string(nil), v...)
	}
	return c
}

func TestPageGetShowsThePendingExport(t *testing.T) {
	f := newPageFixture(t)
	code, body := f.get(t, f.q)
	if code != http.StatusOK {
		t.Fatalf("GET = %d\n%s", code, body)
	}
	for _, want := range []string{"monthly &lt;revenue&gt;", "1234", "55.5 KiB", "total &gt; 100", "s3://in/orders.csv", "s3://out/orders.csv",
		"&lt;script&gt;alert(1)&lt;/script&gt;", "<dt>Started by</dt><dd>ann@&lt;laptop&gt; (runner export)</dd>", `name="form" value="` + FormToken(testKey, f.q) + `"`, `value="approve"`, `value="reject"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "task-token-1") {
		t.Error("page holds a script tag or the task token")
	}
	if len(f.tasks.sent) != 0 {
		t.Fatal("GET answered the task")
	}
}

func TestPageStyleMatchesItsHash(t *testing.T) {
	f := newPageFixture(t)
	_, body := f.get(t, f.q)
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no style block")
	}
	sum := sha256.Sum256([]byte(m[1]))
	if !strings.Contains(contentSecurityPolicy, base64.StdEncoding.EncodeToString(sum[:])) {
		t.Fatal("the CSP does not allow the page's own style block: the browser would drop it")
	}
}

func TestPageGetNeverDecides(t *testing.T) {
	f := newPageFixture(t)
	q := clone(f.q)
	for k, v := range f.approveForm("x", "y") {
		q[k] = v
	}
	if code, _ := f.get(t, q); code != http.StatusOK {
		t.Fatalf("GET with decision fields = %d", code)
	}
	if len(f.tasks.sent) != 0 {
		t.Fatal("a GET carrying decision fields answered the task")
	}
}

func TestPageApproveThenSecondPostChangesNothing(t *testing.T) {
	f := newPageFixture(t)
	code, body := f.post(t, f.q, f.approveForm("ana@example.com", "numbers checked"))
	if code != http.StatusOK || !strings.Contains(body, "Approved") {
		t.Fatalf("POST = %d\n%s", code, body)
	}
	if len(f.tasks.sent) != 1 || aws.ToString(f.tasks.sent[0].TaskToken) != "task-token-1" {
		t.Fatalf("sent %+v", f.tasks.sent)
	}
	var d export.Decision
	if err := json.Unmarshal([]byte(aws.ToString(f.tasks.sent[0].Output)), &d); err != nil {
		t.Fatal(err)
	}
	if d != (export.Decision{Decision: "approve", Approver: "ana@example.com", Comment: "numbers checked"}) {
		t.Fatalf("decision sent = %+v", d)
	}
	f.clock = f.clock.Add(time.Minute)
	for _, decision := range []string{"approve", "reject"} {
		form := f.approveForm("mallory", "again")
		form.Set("decision", decision)
		code, body = f.post(t, f.q, form)
		if code != http.StatusConflict || !strings.Contains(body, "already approved by ana@example.com at Sat, 05 Dec 2026 10:00:00 UTC") {
			t.Fatalf("second POST (%s) = %d\n%s", decision, code, body)
		}
	}
	if len(f.tasks.sent) != 1 {
		t.Fatalf("second POST answered the task again (%d answers)", len(f.tasks.sent))
	}
	if code, body = f.get(t, f.q); code != http.StatusOK || !strings.Contains(body, "already approved") || strings.Contains(body, `name="form"`) {
		t.Fatalf("GET after the decision = %d, offers the form again or hides the decision\n%s", code, body)
	}
}

func TestPageRejectsWithoutTheFormToken(t *testing.T) {
	f := newPageFixture(t)
	for name, token := range map[string]string{"missing": "", "signature as token": f.q.Get(ParamSignature), "other link's": FormToken(testKey, sign(t, testKey, Link{Execution: "exp-43", Request: "x", Expires: now.Add(time.Hour)}))} {
		form := f.approveForm("", "")
		form.Set("form", token)
		if code, body := f.post(t, f.q, form); code != http.StatusForbidden || !strings.Contains(body, "form token") {
			t.Fatalf("%s form token: POST = %d\n%s", name, code, body)
		}
	}
	if len(f.tasks.sent) != 0 {
		t.Fatal("a POST without the page's form token answered the task")
	}
}

func TestPageRefusesBadLinks(t *testing.T) {
	f := newPageFixture(t)
	tampered := map[string]string{
		ParamExecution: "exp-43",
		ParamRequest:   RequestDigest("exp-42", 1),
		ParamExpires:   strconv.FormatInt(now.Add(48*time.Hour).Unix(), 10),
		ParamSignature: "A" + f.q.Get(ParamSignature)[1:],
	}
	cases := map[string]struct {
		q    url.Values
		code int
		text string
	}{
		"wrong key": {sign(t, otherKey, Link{Execution: "exp-42", Request: RequestDigest("exp-42", 0), Expires: now.Add(time.Hour)}), http.StatusForbidden, "signature does not match"},
		"expired":   {sign(t, testKey, Link{Execution: "exp-42", Request: RequestDigest("exp-42", 0), Expires: now}), http.StatusGone, "has expired"},
		"no token":  {func() url.Values { q := clone(f.q); q.Del(ParamRequest); return q }(), http.StatusBadRequest, "incomplete or garbled"},
	}
	for field, v := range tampered {
		q := clone(f.q)
		q.Set(field, v)
		if field == ParamSignature && v == f.q.Get(ParamSignature) {
			q.Set(field, "B"+v[1:])
		}
		cases["tampered "+field] = struct {
			q    url.Values
			code int
			text string
		}{q, http.StatusForbidden, "signature does not match"}
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if code, body := f.get(t, tc.q); code != tc.code || !strings.Contains(body, tc.text) || strings.Contains(body, "orders.csv") {
				t.Fatalf("GET = %d, want %d with %q and no export details\n%s", code, tc.code, tc.text, body)
			}
			form := url.Values{"form": {FormToken(testKey, tc.q)}, "decision": {"approve"}}
			if code, _ := f.post(t, tc.q, form); code != tc.code {
				t.Fatalf("POST = %d, want %d", code, tc.code)
			}
		})
	}
	if len(f.tasks.sent) != 0 {
		t.Fatalf("a bad link answered the task: %+v", f.tasks.sent)
	}
}

func TestPageRefusesReplayedLinkOfAnEarlierWait(t *testing.T) {
	f := newPageFixture(t)
	f.putPending(t, "task-token-2", 1, false) // redriven: asks again with a new token
	if code, body := f.get(t, f.q); code != http.StatusGone || !strings.Contains(body, "out of date") || strings.Contains(body, `name="form"`) {
		t.Fatalf("GET = %d\n%s", code, body)
	}
	if code, _ := f.post(t, f.q, f.approveForm("", "")); code != http.StatusGone {
		t.Fatalf("POST = %d, want 410", code)
	}
	if len(f.tasks.sent) != 0 {
		t.Fatal("a link of an earlier wait answered the new one")
	}
}

func TestPageShowsDecisionMadeElsewhere(t *testing.T) {
	f := newPageFixture(t)
	f.store.Delete(context.Background(), pageBucket, "approvals/pending/exp-42.json")
	rec := export.ApprovalRecord{Execution: "exp-42", Decision: "approve", Approver: "bob", DecidedAt: now}
	stepkit.WriteJSON(context.Background(), f.store, pageBucket, "approvals/decided/exp-42.json", rec)
	if code, body := f.get(t, f.q); code != http.StatusOK || !strings.Contains(body, "already approved by bob") {
		t.Fatalf("GET = %d\n%s", code, body)
	}
	if code, _ := f.post(t, f.q, f.approveForm("", "")); code != http.StatusConflict {
		t.Fatalf("POST = %d, want 409", code)
	}
	f.store.Delete(context.Background(), pageBucket, "approvals/decided/exp-42.json")
	if code, body := f.post(t, f.q, f.approveForm("", "")); code != http.StatusConflict || !strings.Contains(body, "no longer pending") {
		t.Fatalf("POST with no record = %d\n%s", code, body)
	}
	if len(f.tasks.sent) != 0 {
		t.Fatal("answered a task that is not pending")
	}
}

func TestPageTaskAnsweredMeanwhile(t *testing.T) {
	f := newPageFixture(t)
	f.tasks.SendFunc = func(*sfn.SendTaskSuccessInput) error { return &types.TaskTimedOut{Message: aws.String("gone")} }
	code, body := f.post(t, f.q, f.approveForm("", ""))
	if code != http.StatusConflict || !strings.Contains(body, "Nothing was decided here") {
		t.Fatalf("POST = %d\n%s", code, body)
	}
	if len(f.store.Keys(pageBucket, "approvals/decisions/")) != 0 {
		t.Fatal("a receipt was kept for a decision Step Functions refused")
	}
	// Gone for good (cleanup removed the record): the page says so.
	f.store.Delete(context.Background(), pageBucket, "approvals/pending/exp-42.json")
	if code, body := f.post(t, f.q, f.approveForm("", "")); code != http.StatusConflict || !strings.Contains(body, "no longer pending") {
		t.Fatalf("POST after the record went = %d\n%s", code, body)
	}
}

// TestPageLinkSurvivesReminder: the reminder at half the expiry renews the
// task token; the link of the first notification still shows the export
// and decides the wait pending now.
func TestPageLinkSurvivesReminder(t *testing.T) {
	f := newPageFixture(t)
	f.putPending(t, "task-token-2", 0, true)
	if code, body := f.get(t, f.q); code != http.StatusOK || !strings.Contains(body, `name="form"`) {
		t.Fatalf("GET after the reminder = %d\n%s", code, body)
	}
	if code, body := f.post(t, f.q, f.approveForm("ann", "")); code != http.StatusOK {
		t.Fatalf("POST after the reminder = %d\n%s", code, body)
	}
	if len(f.tasks.sent) != 1 || aws.ToString(f.tasks.sent[0].TaskToken) != "task-token-2" {
		t.Fatalf("answered %+v, want the reminder's token", f.tasks.sent)
	}
}

// TestPageDecisionRacingTheReminder: the first wait times out between the
// page reading the record and answering; the reminder's record is then
// read once more and its token answered.
func TestPageDecisionRacingTheReminder(t *testing.T) {
	f := newPageFixture(t)
	f.tasks.SendFunc = func(in *sfn.SendTaskSuccessInput) error {
		if aws.ToString(in.TaskToken) == "task-token-1" {
			f.putPending(t, "task-token-2", 0, true)
			return &types.TaskTimedOut{Message: aws.String("timed out")}
		}
		return nil
	}
	if code, body := f.post(t, f.q, f.approveForm("ann", "")); code != http.StatusOK {
		t.Fatalf("POST = %d\n%s", code, body)
	}
	if len(f.tasks.sent) != 1 || aws.ToString(f.tasks.sent[0].TaskToken) != "task-token-2" {
		t.Fatalf("answered %+v, want the reminder's token", f.tasks.sent)
	}
	if code, body := f.post(t, f.q, f.approveForm("bob", "")); code != http.StatusConflict || !strings.Contains(body, "already approved by ann") {
		t.Fatalf("second POST = %d\n%s", code, body)
	}
}

func TestPageTransientFailureDecidesNothingAndCanBeRetried(t *testing.T) {
	f := newPageFixture(t)
	f.tasks.SendFunc = func(*sfn.SendTaskSuccessInput) error { return errors.New("connection reset") }
	if code, _ := f.post(t, f.q, f.approveForm("", "")); code != http.StatusBadGateway {
		t.Fatalf("POST = %d, want 502", code)
	}
	f.tasks.SendFunc = nil
	if code, body := f.post(t, f.q, f.approveForm("", "")); code != http.StatusOK {
		t.Fatalf("retry = %d\n%s", code, body)
	}
	if len(f.tasks.sent) != 1 {
		t.Fatalf("%d answers", len(f.tasks.sent))
	}
}

func TestPageRecordsIAMPrincipalAndCleansInput(t *testing.T) {
	f := newPageFixture(t)
	form := f.approveForm("Ana\x1b[31m", strings.Repeat("c", MaxCommentChars+10))
	form.Set("decision", "reject")
	r := httptest.NewRequest(http.MethodPost, "/?"+f.q.Encode(), strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r = r.WithContext(WithPrincipal(r.Context(), "arn:aws:sts::123456789012:assumed-role/approvers/ana"))
	if code, body := f.do(t, r); code != http.StatusOK || !strings.Contains(body, "Rejected") {
		t.Fatalf("POST = %d\n%s", code, body)
	}
	var d export.Decision
	json.Unmarshal([]byte(aws.ToString(f.tasks.sent[0].Output)), &d)
	if d.Decision != "reject" || d.Approver != "Ana[31m (arn:aws:sts::123456789012:assumed-role/approvers/ana)" || len(d.Comment) != MaxCommentChars {
		t.Fatalf("decision = %+v", d)
	}
}

func TestPageRefusesOtherMethodsAndDecisions(t *testing.T) {
	f := newPageFixture(t)
	if code, _ := f.do(t, httptest.NewRequest(http.MethodPut, "/?"+f.q.Encode(), nil)); code != http.StatusMethodNotAllowed {
		t.Fatalf("PUT = %d", code)
	}
	form := f.approveForm("", "")
	form.Set("decision", "maybe")
	if code, _ := f.post(t, f.q, form); code != http.StatusBadRequest {
		t.Fatalf("decision maybe = %d", code)
	}
	if len(f.tasks.sent) != 0 {
		t.Fatal("answered")
	}
}
