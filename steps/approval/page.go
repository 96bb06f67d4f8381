package approval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepwise-dev/stepwise/steps/export"
	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
)

// TaskAnswerer is the one Step Functions call the page makes. The
// aws-sdk-go-v2 *sfn.Client satisfies it (against AWS or the local stack).
//
// A rejection is a SendTaskSuccess with {"decision":"reject"}, exactly as
// `runner reject` sends it: the state machine routes it to ExportRejected
// and keeps the approver and the comment, which a SendTaskFailure would
// lose. So the page never needs states:SendTaskFailure.
type TaskAnswerer interface {
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
}

var _ TaskAnswerer = (*sfn.Client)(nil)

// Limits of what an approver types.
const (
	MaxApproverChars = 200
	MaxCommentChars  = 2000
	maxFormBytes     = 16 << 10
)

// Page is the decision page: an [http.Handler] that shows a pending
// export for a signed link (GET) and decides it (POST with the page's
// form token). It is safe for concurrent use.
type Page struct {
	// Key signs and checks links and form tokens.
	Key []byte
	// Store reads the approval records and keeps the decision receipts.
	Store objstore.Store
	// Bucket holds the approval records (STEPWISE_BUCKET).
	Bucket string
	// Prefixes locate the records (export.DefaultPrefixes when zero).
	Prefixes export.Prefixes
	// Tasks answers the waiting task.
	Tasks TaskAnswerer
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Log receives one line per decision and per refusal (discarded when nil).
	Log *slog.Logger

	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

// Receipt is what the page keeps of a decision it sent, at
// approvals/decisions/<execution>.json: the second click on a link shows it
// ("already approved by … at …") instead of answering again. Request is
// the [RequestDigest] decided, so a later request of the same execution (a
// redrive) is not taken for decided.
type Receipt struct {
	Execution string    `json:"execution"`
	Request   string    `json:"request"`
	Decision  string    `json:"decision"`
	Approver  string    `json:"approver,omitempty"`
	Comment   string    `json:"comment,omitempty"`
	DecidedAt time.Time `json:"decidedAt"`
}

// ReceiptKey is where the page keeps the receipt of an execution's decision.
func ReceiptKey(p export.Prefixes, execution string) string {
	return p.Approvals + "decisions/" + execution + ".json"
}

type principalKey struct{}

// WithPrincipal returns ctx carrying the authenticated caller (the IAM
// principal of a function URL with AuthType AWS_IAM). The page records it
// as the approver, next to any name the approver typed.
func WithPrincipal(ctx context.Context, principal string) context.Context {
	return context.WithValue(ctx, principalKey{}, principal)
}

func principalFrom(ctx context.Context) string {
	s, _ := ctx.Value(principalKey{}).(string)
	return s
}

func (p *Page) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

func (p *Page) prefixes() export.Prefixes {
	if p.Prefixes == (export.Prefixes{}) {
		return export.DefaultPrefixes
	}
	return p.Prefixes
}

func (p *Page) log() *slog.Logger {
	if p.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Log
}

// lock serializes decisions on one execution within this process, so two
// quick clicks see each other's receipt. Across processes (two Lambda
// instances) Step Functions itself accepts only the first answer to a
// task token; the second gets TaskTimedOut and is shown as decided.
func (p *Page) lock(execution string) func() {
	p.mu.Lock()
	if p.locks == nil {
		p.locks = map[string]*sync.Mutex{}
	}
	m := p.locks[execution]
	if m == nil {
		m = &sync.Mutex{}
		p.locks[execution] = m
	}
	p.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// ServeHTTP implements [http.Handler].
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		p.render(w, http.StatusMethodNotAllowed, view{Title: "Not allowed", Problem: "This page only shows an approval (GET) and decides it with its own buttons (POST)."})
		return
	}
	q := r.URL.Query()
	link, err := Verify(p.Key, q, p.now())
	if err != nil {
		p.refuseLink(w, q, err)
		return
	}
	if !validExecution(link.Execution) {
		p.render(w, http.StatusBadRequest, view{Title: "Not a valid link", Problem: "The link names no export this page can look up."})
		return
	}
	if r.Method == http.MethodPost {
		p.decide(w, r, q, link)
		return
	}
	state, err := p.lookup(r.Context(), link)
	if err != nil {
		p.unavailable(w, link, err)
		return
	}
	v := state.view(link)
	if v.Pending {
		v.Action = "?" + q.Encode()
		v.FormToken = FormToken(p.Key, q)
	}
	p.render(w, state.status(false), v)
}

// refuseLink renders the page for a link Verify refused.
func (p *Page) refuseLink(w http.ResponseWriter, q url.Values, err error) {
	v := view{Title: "This link does not work"}
	status := http.StatusForbidden
	switch {
	case errors.Is(err, ErrExpired):
		status = http.StatusGone
		v.Title = "This approval link has expired"
		v.Problem = "The link stopped working at " + expiryText(q) + ". An export nobody decided in time ends as rejected by expiry (ApprovalExpired) and publishes nothing; ask for the export to be run again if it is still needed."
	case errors.Is(err, ErrMalformed):
		status = http.StatusBadRequest
		v.Problem = "The link is incomplete or garbled (" + err.Error() + "). Open it again from the notification, without changing it; some mail clients break long links across lines."
	default:
		v.Problem = "The link's signature does not match: it was altered, or it was made for another deployment or before the signing key was rotated. Nothing was decided. Use the link from the latest notification."
	}
	p.log().Warn("approval: link refused", "execution", q.Get(ParamExecution), "error", err)
	p.render(w, status, v)
}

func expiryText(q url.Values) string {
	var sec int64
	if _, err := fmt.Sscan(q.Get(ParamExpires), &sec); err != nil {
		return "its expiry"
	}
	return time.Unix(sec, 0).UTC().Format(time.RFC1123)
}

// decide handles a POST on a verified link.
func (p *Page) decide(w http.ResponseWriter, r *http.Request, q url.Values, link Link) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.render(w, http.StatusBadRequest, view{Title: "Nothing was decided", Problem: "The form could not be read (" + err.Error() + "). Open the link again and use its buttons."})
		return
	}
	if !CheckFormToken(p.Key, q, r.PostForm.Get("form")) {
		p.log().Warn("approval: form token refused", "execution", link.Execution)
		p.render(w, http.StatusForbidden, view{Title: "Nothing was decided", Problem: "The decision did not come from this approval's page (its form token is missing or wrong). Open the link and use the Approve or Reject button."})
		return
	}
	decision := r.PostForm.Get("decision")
	if decision != "approve" && decision != "reject" {
		p.render(w, http.StatusBadRequest, view{Title: "Nothing was decided", Problem: "Choose Approve or Reject."})
		return
	}
	d := export.Decision{
		Decision: decision,
		Approver: approverOf(principalFrom(r.Context()), r.PostForm.Get("approver")),
		Comment:  clean(r.PostForm.Get("comment"), MaxCommentChars, true),
	}
	unlock := p.lock(link.Execution)
	defer unlock()
	ctx := r.Context()
	state, err := p.lookup(ctx, link)
	if err != nil {
		p.unavailable(w, link, err)
		return
	}
	if state.pending == nil || state.stale {
		p.render(w, state.status(true), state.view(link))
		return
	}
	out, _ := json.Marshal(d)
	sent := state.pending.TaskToken
	err = p.answer(ctx, sent, out)
	if taskGone(err) {
		// Answered meanwhile (by the runner, another instance of this
		// page), ended (expired, stopped), or renewed: the first wait
		// timed out at half the expiry and the reminder waits with a new
		// token. Read the record once more; a renewed one is answered.
		if state, err = p.lookup(ctx, link); err != nil {
			p.unavailable(w, link, err)
			return
		}
		switch {
		case state.pending != nil && !state.stale && state.receipt == nil && state.pending.TaskToken != sent:
			err = p.answer(ctx, state.pending.TaskToken, out)
			if taskGone(err) {
				p.render(w, http.StatusConflict, renewedView(link))
				return
			}
		case state.pending != nil && !state.stale && state.receipt == nil:
			// Still the token refused: the reminder has not written its
			// record yet, or the decision came from elsewhere.
			p.render(w, http.StatusConflict, renewedView(link))
			return
		default:
			p.render(w, http.StatusConflict, state.view(link))
			return
		}
	}
	if err != nil {
		p.log().Error("approval: send the decision", "execution", link.Execution, "error", err)
		p.render(w, http.StatusBadGateway, view{Title: "Nothing was decided yet", Problem: "Step Functions did not take the decision (" + err.Error() + "). Try the button again in a minute."})
		return
	}
	rc := Receipt{Execution: link.Execution, Request: link.Request, Decision: d.Decision, Approver: d.Approver, Comment: d.Comment, DecidedAt: p.now()}
	if _, err := stepkit.WriteJSON(ctx, p.Store, p.Bucket, ReceiptKey(p.prefixes(), link.Execution), rc); err != nil {
		// The decision stands (Step Functions has it); only the second
		// click's message is less precise.
		p.log().Error("approval: write the receipt", "execution", link.Execution, "error", err)
	}
	p.log().Info("approval: decided", "execution", link.Execution, "decision", d.Decision, "approver", d.Approver)
	v := state.view(link)
	v.Pending, v.Done = false, &rc
	v.Title = map[string]string{"approve": "Approved", "reject": "Rejected"}[d.Decision]
	v.Message = map[string]string{
		"approve": "The export is being published. Its manifest records you as the approver, with your comment.",
		"reject":  "The export is rejected: nothing is published and its work files are removed.",
	}[d.Decision]
	p.render(w, http.StatusOK, v)
}

// answer sends the decision for one task token.
func (p *Page) answer(ctx context.Context, token string, decision []byte) error {
	_, err := p.Tasks.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(decision))})
	return err
}

// renewedView is the page for a decision Step Functions refused while the
// record still names the request: it was renewed (the reminder's wait
// began) or decided elsewhere an instant ago.
func renewedView(link Link) view {
	return view{Execution: link.Execution, Expires: link.Expires, Title: "Nothing was decided yet",
		Problem: "Step Functions stopped waiting on this approval's task at the moment you decided: it was just renewed (a reminder is being sent) or decided elsewhere. Nothing was decided here. Open this link again in a minute: it still works, and shows whether the export still waits."}
}

// RequestOf is the request a pending record belongs to ([RequestDigest]);
// a record written before reminders existed is request 0 of its execution.
func RequestOf(rec *export.ApprovalRecord) string {
	if rec.Request != "" {
		return rec.Request
	}
	id := rec.ExecutionID
	if id == "" {
		id = rec.Execution
	}
	return RequestDigest(id, 0)
}

// taskGone reports whether Step Functions refused the answer because the
// task is no longer waiting for it.
func taskGone(err error) bool {
	var a *types.TaskTimedOut
	var b *types.TaskDoesNotExist
	var c *types.InvalidToken
	return errors.As(err, &a) || errors.As(err, &b) || errors.As(err, &c)
}

// unavailable renders the page for a failure to read the records.
func (p *Page) unavailable(w http.ResponseWriter, link Link, err error) {
	p.log().Error("approval: read records", "execution", link.Execution, "error", err)
	p.render(w, http.StatusServiceUnavailable, view{Title: "Cannot show this approval now", Problem: "The approval record could not be read. Nothing was decided; try again in a minute."})
}

// state is what the records say about a link's approval.
type state struct {
	pending *export.ApprovalRecord // the pending record, when there is one
	stale   bool                   // pending, but for another wait (another task token)
	receipt *Receipt               // this page decided this wait
	decided *export.ApprovalRecord // publish moved the record to decided/
	gone    bool                   // answered or ended elsewhere
}

// lookup reads the receipt, the pending record and the decided record.
func (p *Page) lookup(ctx context.Context, link Link) (state, error) {
	var s state
	pre := p.prefixes()
	lay := export.Layout{Prefixes: pre, Execution: link.Execution}
	var rc Receipt
	switch err := stepkit.ReadJSON(ctx, p.Store, p.Bucket, ReceiptKey(pre, link.Execution), &rc); {
	case err == nil && rc.Request == link.Request:
		s.receipt = &rc
	case err != nil && !export.IsNotFound(err):
		return s, err
	}
	var rec export.ApprovalRecord
	err := stepkit.ReadJSON(ctx, p.Store, p.Bucket, lay.PendingApprovalKey(), &rec)
	switch {
	case err == nil:
		s.pending = &rec
		s.stale = RequestOf(&rec) != link.Request
		if s.receipt != nil && !s.stale {
			// Decided here; publish or cleanup has not run yet.
			s.pending = nil
		}
		return s, nil
	case !export.IsNotFound(err):
		return s, err
	}
	var dec export.ApprovalRecord
	switch err := stepkit.ReadJSON(ctx, p.Store, p.Bucket, lay.DecidedApprovalKey(), &dec); {
	case err == nil:
		s.decided = &dec
	case !export.IsNotFound(err):
		return s, err
	}
	s.gone = true
	return s, nil
}

// status is the HTTP status of the page for s; post says it answers a POST.
func (s state) status(post bool) int {
	switch {
	case s.pending != nil && !s.stale:
		return http.StatusOK
	case s.stale:
		return http.StatusGone
	case post:
		return http.StatusConflict
	}
	return http.StatusOK
}

// view turns s into what the template shows.
func (s state) view(link Link) view {
	v := view{Execution: link.Execution, Expires: link.Expires}
	switch {
	case s.receipt != nil:
		v.Done = s.receipt
		v.Title = "Already " + pastTense(s.receipt.Decision)
		v.Message = fmt.Sprintf("This export was already %s%s at %s. Nothing was changed.", pastTense(s.receipt.Decision), byWhom(s.receipt.Approver), s.receipt.DecidedAt.Format(time.RFC1123))
		if s.pending != nil {
			v.Record = s.pending
		}
	case s.stale:
		v.Title = "This link is out of date"
		v.Problem = "The export waits for a new decision (it was run again since this link was sent); this link belonged to the earlier wait and decides nothing. Use the link from the latest notification."
	case s.pending != nil:
		v.Record, v.Pending = s.pending, true
		v.Title = "Approve this export?"
	case s.decided != nil && s.decided.Decision != "":
		v.Record = s.decided
		v.Done = &Receipt{Execution: link.Execution, Decision: s.decided.Decision, Approver: s.decided.Approver, Comment: s.decided.Comment, DecidedAt: s.decided.DecidedAt}
		v.Title = "Already " + pastTense(s.decided.Decision)
		v.Message = fmt.Sprintf("This export was already %s%s (published at %s). Nothing was changed.", pastTense(s.decided.Decision), byWhom(s.decided.Approver), s.decided.DecidedAt.Format(time.RFC1123))
	default:
		v.Title = "This approval is no longer pending"
		v.Problem = "Nobody can decide it any more: it was decided elsewhere (for example with `runner reject`), it expired, or the export failed or was stopped. Nothing was changed."
	}
	return v
}

func pastTense(d string) string {
	switch d {
	case "approve":
		return "approved"
	case "reject":
		return "rejected"
	}
	return "decided"
}

func byWhom(approver string) string {
	if approver == "" {
		return ""
	}
	return " by " + approver
}

// approverOf is who decided: the authenticated principal when there is
// one, with the typed name beside it; otherwise the typed name.
func approverOf(principal, typed string) string {
	typed = clean(typed, MaxApproverChars, false)
	switch {
	case principal == "":
		return typed
	case typed == "" || typed == principal:
		return principal
	}
	return typed + " (" + principal + ")"
}

// clean trims s, drops control characters (keeping newlines and tabs when
// multiline) and cuts it to n characters.
func clean(s string, n int, multiline bool) string {
	var b strings.Builder
	k := 0
	for _, r := range strings.TrimSpace(s) {
		if k == n {
			break
		}
		if r == '\r' || (unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t'))) || r == unicode.ReplacementChar {
			continue
		}
		b.WriteRune(r)
		k++
	}
	return b.String()
}

// validExecution reports whether name can be an execution name in a key.
func validExecution(name string) bool {
	return name != "" && len(name) <= 80 && !strings.ContainsAny(name, "/\\*?#%") && name != "." && name != ".."
}

// render writes the page.
func (p *Page) render(w http.ResponseWriter, status int, v view) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, v); err != nil {
		p.log().Error("approval: render", "error", err)
		http.Error(w, "the approval page could not be shown", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	io.Copy(w, &buf)
}
