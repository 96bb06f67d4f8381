package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stepwise-dev/stepwise/local/console/approval"
	"github.com/stepwise-dev/stepwise/steps/export"
)

func backTo(w http.ResponseWriter, r *http.Request, arn string) {
	if !strings.HasPrefix(arn, "arn:") {
		http.Redirect(w, r, "/approvals", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/execution?arn="+url.QueryEscape(arn), http.StatusSeeOther)
}

// decide approves or rejects an export waiting at its approval: the token
// is read server-side from the execution's pending record (it never goes
// to the browser) and sent with SendTaskSuccess, as `runner approve` does.
func (h *Handler) decide(w http.ResponseWriter, r *http.Request) {
	arn := r.PostForm.Get("execution")
	d := export.Decision{Decision: r.PostForm.Get("decision"), Approver: h.opts.Approver, Comment: strings.TrimSpace(r.PostForm.Get("comment"))}
	if d.Decision != "approve" && d.Decision != "reject" {
		http.Error(w, "console: decision must be approve or reject", http.StatusBadRequest)
		return
	}
	if h.opts.S3 == nil || h.opts.Bucket == "" {
		http.Error(w, "console: approvals are not available: the console was started without the export bucket", http.StatusBadRequest)
		return
	}
	rec, err := approval.Read(r.Context(), h.opts.S3, h.opts.Bucket, approval.Key(h.opts.ApprovalsPrefix, arn), 64<<20)
	if errors.Is(err, approval.ErrNoRecord) || err == nil && rec.ExecutionID != "" && rec.ExecutionID != arn {
		http.Error(w, "console: no pending approval for "+arn+" (decided, expired or stopped meanwhile)", http.StatusConflict)
		return
	}
	if err != nil {
		http.Error(w, "console: read the approval record: "+err.Error(), http.StatusBadGateway)
		return
	}
	if err := approval.Send(r.Context(), h.opts.SFN, rec.TaskToken, d); err != nil {
		http.Error(w, "console: "+err.Error(), http.StatusBadGateway)
		return
	}
	backTo(w, r, arn)
}

func (h *Handler) stop(w http.ResponseWriter, r *http.Request) {
	arn := r.PostForm.Get("execution")
	_, err := h.opts.SFN.StopExecution(r.Context(), &sfn.StopExecutionInput{ExecutionArn: aws.String(arn),
		Error: aws.String("StoppedFromConsole"), Cause: aws.String("stopped by " + h.opts.Approver + " in the web console")})
	if err != nil {
		http.Error(w, "console: StopExecution: "+err.Error(), http.StatusBadGateway)
		return
	}
	backTo(w, r, arn)
}

func (h *Handler) redrive(w http.ResponseWriter, r *http.Request) {
	arn := r.PostForm.Get("execution")
	if _, err := h.opts.SFN.RedriveExecution(r.Context(), &sfn.RedriveExecutionInput{ExecutionArn: aws.String(arn)}); err != nil {
		http.Error(w, "console: RedriveExecution: "+err.Error(), http.StatusBadGateway)
		return
	}
	backTo(w, r, arn)
}

func (h *Handler) approvals(w http.ResponseWriter, r *http.Request) {
	data := map[string]any{"L": layout{Title: "Approvals", CSRF: h.csrf}}
	if h.opts.S3 == nil || h.opts.Bucket == "" {
		data["Unavailable"] = true
		h.render(w, "approvals.html", data)
		return
	}
	list, skipped, err := approval.List(r.Context(), h.opts.S3, h.opts.Bucket, h.opts.ApprovalsPrefix, 1<<20)
	if err != nil {
		h.fail(w, "list approvals", err)
		return
	}
	links := map[string]string{}
	for _, p := range list {
		if l := approval.NotificationLink(r.Context(), h.opts.S3, h.opts.Bucket, p.Key); l != "" {
			links[p.Execution] = l
		}
	}
	data["List"], data["Skipped"], data["Bucket"], data["Links"] = list, skipped, h.opts.Bucket, links
	h.render(w, "approvals.html", data)
}
