// Package approval is the decision side of an export's human approval: the
// signed link an approver receives, the small page behind it, and the
// notifications (the first and the reminder carry the link; the expiry
// notice says it no longer works).
//
// A link never carries the task token. It names the pending approval (the
// execution name, whose record is approvals/pending/<execution>.json), binds
// itself to that one approval request with a digest of the execution's ARN
// and redrive count ([RequestDigest]), and says until when it works. An
// HMAC-SHA256 over those three, under a key only the deployment has, makes
// every field tamper-evident; the signature is compared in constant time.
//
// The link is not bound to the task token because the token changes while
// the request stays the same: at half the expiry the workflow re-requests
// the approval with a new token to send a reminder, and the link of the
// first notification must keep working. The page answers with the token of
// the record pending now. A redriven export asks again under a new redrive
// count, so a link from before the redrive decides nothing.
//
// Opening a link only shows the approval. Deciding is a POST that must carry
// the form token of the page, an HMAC of the link's signature under the same
// key, so a mail scanner or a chat preview that fetches the link decides
// nothing.
package approval

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Query parameter names of a decision link.
const (
	ParamExecution = "a"
	ParamRequest   = "r"
	ParamExpires   = "e"
	ParamSignature = "s"
)

// Why a link is refused. Verify wraps one of these in a *LinkError.
var (
	ErrMalformed    = errors.New("the link is incomplete or garbled")
	ErrBadSignature = errors.New("the link's signature does not match (altered, or signed with another key)")
	ErrExpired      = errors.New("the link has expired")
)

// Link is what a decision link names.
type Link struct {
	// Execution is the execution that waits for the decision.
	Execution string
	// Request is [RequestDigest] of the execution run that asks.
	Request string
	// Expires is when the link stops working (whole seconds).
	Expires time.Time
}

// LinkError says which field of which link was refused and why.
type LinkError struct {
	Field string // the query parameter at fault, "" for the link as a whole
	Err   error  // ErrMalformed, ErrBadSignature or ErrExpired
	Msg   string // what is wrong, for the page
}

func (e *LinkError) Error() string {
	if e.Msg == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.Msg
}

func (e *LinkError) Unwrap() error { return e.Err }

// RequestDigest names one approval request of one execution run: 16 bytes
// of the SHA-256 of the execution's ARN (its name when the ARN is unknown)
// and its redrive count ($$.Execution.RedriveCount). The first wait and its
// reminder share it; a redrive does not.
func RequestDigest(execution string, redriveCount int) string {
	sum := sha256.Sum256([]byte("stepwise-approval-request-v1\n" + execution + "\n" + strconv.Itoa(redriveCount)))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// MinKeyBytes is the shortest key Sign and Verify accept.
const MinKeyBytes = 32

// message is what the signature covers. Each field is length-prefixed, so
// no two different links share a message.
func (l Link) message() []byte {
	exp := strconv.FormatInt(l.Expires.Unix(), 10)
	var b []byte
	b = append(b, "stepwise-approval-link-v2"...)
	for _, f := range []string{l.Execution, l.Request, exp} {
		b = strconv.AppendInt(append(b, '\n'), int64(len(f)), 10)
		b = append(append(b, ':'), f...)
	}
	return b
}

func mac(key []byte, parts ...[]byte) []byte {
	h := hmac.New(sha256.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func checkKey(key []byte) error {
	if len(key) < MinKeyBytes {
		return fmt.Errorf("approval: the signing key has %d bytes, want at least %d", len(key), MinKeyBytes)
	}
	return nil
}

// Sign returns the query string of l's decision link.
func Sign(key []byte, l Link) (url.Values, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if l.Execution == "" || l.Request == "" {
		return nil, errors.New("approval: a link needs an execution and a request digest")
	}
	l.Expires = l.Expires.Truncate(time.Second)
	q := url.Values{}
	q.Set(ParamExecution, l.Execution)
	q.Set(ParamRequest, l.Request)
	q.Set(ParamExpires, strconv.FormatInt(l.Expires.Unix(), 10))
	q.Set(ParamSignature, base64.RawURLEncoding.EncodeToString(mac(key, l.message())))
	return q, nil
}

// Verify checks a link's query at time now and returns what it names.
// The signature is checked before the expiry, so an altered expiry reads as
// an altered link, not as an expired one.
func Verify(key []byte, q url.Values, now time.Time) (Link, error) {
	if err := checkKey(key); err != nil {
		return Link{}, err
	}
	var l Link
	for _, p := range []string{ParamExecution, ParamRequest, ParamExpires, ParamSignature} {
		if len(q[p]) != 1 || q[p][0] == "" {
			return Link{}, &LinkError{Field: p, Err: ErrMalformed, Msg: fmt.Sprintf("want exactly one non-empty %q parameter, got %d", p, len(q[p]))}
		}
	}
	l.Execution, l.Request = q.Get(ParamExecution), q.Get(ParamRequest)
	exp, err := strconv.ParseInt(q.Get(ParamExpires), 10, 64)
	if err != nil || exp <= 0 {
		return Link{}, &LinkError{Field: ParamExpires, Err: ErrMalformed, Msg: fmt.Sprintf("%q is not a time in Unix seconds", q.Get(ParamExpires))}
	}
	l.Expires = time.Unix(exp, 0).UTC()
	sig, err := base64.RawURLEncoding.DecodeString(q.Get(ParamSignature))
	if err != nil {
		return Link{}, &LinkError{Field: ParamSignature, Err: ErrMalformed, Msg: "not base64url"}
	}
	if !hmac.Equal(sig, mac(key, l.message())) {
		return Link{}, &LinkError{Err: ErrBadSignature}
	}
	if !now.Before(l.Expires) {
		return Link{}, &LinkError{Field: ParamExpires, Err: ErrExpired, Msg: "it worked until " + l.Expires.Format(time.RFC3339)}
	}
	return l, nil
}

// FormToken is the token the decision page puts in its form for link q:
// an HMAC of the link's signature, so only someone who was shown the page
// (not a prefetcher of the link, nor another site) can post a decision.
func FormToken(key []byte, q url.Values) string {
	return base64.RawURLEncoding.EncodeToString(mac(key, []byte("stepwise-approval-form-v1\n"), []byte(q.Get(ParamSignature))))
}

// CheckFormToken reports whether token is FormToken(key, q), in constant time.
func CheckFormToken(key []byte, q url.Values, token string) bool {
	got, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return false
	}
	want := mac(key, []byte("stepwise-approval-form-v1\n"), []byte(q.Get(ParamSignature)))
	return hmac.Equal(got, want)
}
