// Package console is the web console: an http.Handler that is a client of
// the Step Functions API (aws-sdk-go-v2's sfn client) and, for export
// approvals, of S3 — so it shows the local stack and AWS alike. It is not
// part of the API server; it only calls it.
//
// Pages: workflows, a workflow (graph + executions, filtered and paged with
// NextToken), an execution (graph coloured by state outcome, timeline,
// events, per-state input/output/error, Map runs; live by polling a JSON
// endpoint), a Map Run, and pending approvals.
//
// Security model: the console binds 127.0.0.1; requests whose Host is not
// an allowed name are refused (DNS rebinding); every state change (approve,
// reject, stop, redrive) is a POST carrying the per-process CSRF token and a
// same-origin Origin (or Referer) header; all user text goes through
// html/template or is escaped by the SVG writer; every response carries a
// Content-Security-Policy without inline script.
package console

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strconv"

	"github.com/stepwise-dev/stepwise/local/console/approval"
)

//go:embed assets templates
var files embed.FS

// CSP forbids inline script and every origin but the console's own.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Options configures [New].
type Options struct {
	// SFN is the Step Functions client; required.
	SFN API
	// S3 and Bucket locate the export approval records; without them the
	// approvals page says approvals are unavailable.
	S3     approval.S3API
	Bucket string
	// ApprovalsPrefix is where pending records live; default
	// approval.DefaultPrefix.
	ApprovalsPrefix string
	// Hosts are Host header names accepted besides localhost, 127.0.0.1
	// and ::1.
	Hosts []string
	// Approver is recorded with decisions made in the console; default
	// "console".
	Approver string
	// Known describes what the Step Functions API cannot tell about a
	// state machine (its S3 trigger and schedules, read from the
	// workflow's files), keyed by state machine ARN; optional.
	Known map[string]WorkflowInfo
}

// WorkflowInfo is what the workflows page shows beside the API's answers
// when the workflow's files are known.
type WorkflowInfo struct {
	Trigger   string   // the trigger file, "" without one
	Schedules []string // "name: expression (timezone)"
}

// Handler serves the console. Create it with [New]; it is safe for
// concurrent use.
type Handler struct {
	opts  Options
	csrf  string
	mux   *http.ServeMux
	pages *template.Template
}

// New returns the console handler with a fresh CSRF token.
func New(opts Options) *Handler {
	if opts.ApprovalsPrefix == "" {
		opts.ApprovalsPrefix = approval.DefaultPrefix
	}
	if opts.Approver == "" {
		opts.Approver = "console"
	}
	b := make([]byte, 32)
	rand.Read(b)
	h := &Handler{opts: opts, csrf: base64.RawURLEncoding.EncodeToString(b)}
	h.pages = template.Must(template.New("").Funcs(funcs).ParseFS(files, "templates/*.html"))
	static, _ := fs.Sub(files, "assets")
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", h.workflows)
	mux.HandleFunc("GET /workflow", h.workflow)
	mux.HandleFunc("GET /execution", h.execution)
	mux.HandleFunc("GET /api/execution", h.executionJSON)
	mux.HandleFunc("GET /maprun", h.mapRun)
	mux.HandleFunc("GET /approvals", h.approvals)
	mux.HandleFunc("POST /actions/decide", h.guard(h.decide))
	mux.HandleFunc("POST /actions/stop", h.guard(h.stop))
	mux.HandleFunc("POST /actions/redrive", h.guard(h.redrive))
	h.mux = mux
	return h
}

// CSRFToken is the token every state-changing request must carry (the
// pages embed it in their forms).
func (h *Handler) CSRFToken() string { return h.csrf }

func (h *Handler) hostAllowed(host string) bool {
	if name, _, err := net.SplitHostPort(host); err == nil {
		host = name
	}
	switch host {
	case "localhost", "127.0.0.1", "::1", "[::1]":
		return true
	}
	for _, a := range h.opts.Hosts {
		if a == host {
			return true
		}
	}
	return false
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.hostAllowed(r.Host) {
		http.Error(w, "console: Host "+strconv.Quote(r.Host)+" is not allowed (DNS rebinding protection); open the console at 127.0.0.1", http.StatusForbidden)
		return
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// guard admits a state-changing request only when it comes from a page of
// this console: same origin (Origin, else Referer, must name this Host)
// and the per-process CSRF token in the form.
func (h *Handler) guard(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if reason := h.refuse(r); reason != "" {
			http.Error(w, "console: refused: "+reason, http.StatusForbidden)
			return
		}
		next(w, r)
	}
}

// refuse says why a POST is refused, or "".
func (h *Handler) refuse(r *http.Request) string {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return "cross-site request (Sec-Fetch-Site: " + site + ")"
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		ref, err := url.Parse(r.Referer())
		if r.Referer() == "" || err != nil {
			return "no Origin or Referer header"
		}
		origin = ref.Scheme + "://" + ref.Host
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host != r.Host || (u.Scheme != "http" && u.Scheme != "https") {
		return "Origin " + strconv.Quote(origin) + " is not this console"
	}
	if err := r.ParseForm(); err != nil {
		return "bad form"
	}
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(h.csrf)) != 1 {
		return "missing or wrong CSRF token (reload the page)"
	}
	return ""
}
