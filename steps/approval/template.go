package approval

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/stepwise-dev/stepwise/steps/export"
)

// view is what the page template shows.
type view struct {
	Title     string
	Problem   string // why nothing can be decided (shown as an error)
	Message   string // the outcome of a decision
	Execution string
	Expires   time.Time
	Record    *export.ApprovalRecord
	Pending   bool     // show the form
	Done      *Receipt // the decision, when known
	Action    string   // the form's target: this link's query
	FormToken string
}

// pageStyle is the page's only style sheet. The Content-Security-Policy
// allows exactly this block (by its hash) and no script at all.
const pageStyle = `body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top;white-space:pre-wrap}
dt{font-weight:bold;margin-top:.4rem}.problem{background:#fde8e8;border:1px solid #c33;padding:.8rem}.done{background:#e8f5e8;border:1px solid #393;padding:.8rem}
button{font-size:1.1rem;padding:.4rem 1.2rem;margin-right:1rem}label{display:block;margin-top:.6rem}input,textarea{width:100%;max-width:40rem}`

var contentSecurityPolicy = func() string {
	sum := sha256.Sum256([]byte(pageStyle))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}()

// setSecurityHeaders: no script, no framing, no caching, and no Referer
// (the link's signature must not leak to another site).
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"when":  func(t time.Time) string { return t.UTC().Format(time.RFC1123) },
	"bytes": humanBytes,
	"style": func() template.CSS { return template.CSS(pageStyle) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex,nofollow">
<title>{{.Title}} — Stepwise export approval</title>
<style>{{style}}</style></head>
<body>
<h1>{{.Title}}</h1>
{{with .Problem}}<p class="problem">{{.}}</p>{{end}}
{{with .Message}}<p class="done">{{.}}</p>{{end}}
{{with .Done}}<dl><dt>Decision</dt><dd>{{.Decision}}</dd>{{with .Approver}}<dt>By</dt><dd>{{.}}</dd>{{end}}{{with .Comment}}<dt>Comment</dt><dd>{{.}}</dd>{{end}}{{if not .DecidedAt.IsZero}}<dt>At</dt><dd>{{when .DecidedAt}}</dd>{{end}}</dl>{{end}}
{{with .Record}}
<h2>What is exported</h2>
<dl>
<dt>Export</dt><dd>{{.Execution}}{{with .Name}} ({{.}}){{end}}</dd>
{{with .ExecutionID}}<dt>Started as</dt><dd>{{.}}</dd>{{end}}
{{with .StartedBy}}<dt>Started by</dt><dd>{{.}}</dd>{{end}}
<dt>Sources</dt><dd>{{range .Sources}}{{.}}<br>{{end}}{{if .SourceCount}}({{.SourceCount}} in all){{end}}</dd>
<dt>Filter</dt><dd>{{if .Where}}{{.Where}}{{else}}none: every row{{end}}</dd>
<dt>Columns</dt><dd>{{range $i, $c := .Columns}}{{if $i}}, {{end}}{{$c}}{{end}}{{if .ColumnCount}} ({{.ColumnCount}} in all){{end}}</dd>
<dt>Rows</dt><dd>{{.Rows}} ({{.Rejected}} rejected rows left out)</dd>
<dt>Size</dt><dd>{{bytes .Bytes}}</dd>
<dt>Published to</dt><dd>{{.Output}}</dd>
<dt>Requested</dt><dd>{{when .RequestedAt}}</dd>
<dt>Expires</dt><dd>{{when .ExpiresAt}} — if nobody decides by then, the export ends as rejected by expiry.</dd>
</dl>
<h2>Sample rows</h2>
{{if .SampleRows}}<table><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .SampleRows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>{{else}}<p>The export has no rows.</p>{{end}}
{{range .Truncation}}<p>Shortened: {{.}}</p>{{end}}
{{end}}
{{if .Pending}}
<h2>Decide</h2>
<form method="post" action="{{.Action}}">
<input type="hidden" name="form" value="{{.FormToken}}">
<label>Your name or e-mail (recorded with the decision; optional)<input name="approver" maxlength="200" autocomplete="email"></label>
<label>Comment (optional)<textarea name="comment" rows="3" maxlength="2000"></textarea></label>
<p><button type="submit" name="decision" value="approve">Approve</button><button type="submit" name="decision" value="reject">Reject</button></p>
</form>
<p>Opening this page decides nothing; only these buttons do, once.</p>
{{end}}
</body></html>
`))

// humanBytes is n in B, KiB, MiB, GiB or TiB with one decimal, and exact.
func humanBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n), -1
	for f >= 1024 && i < 3 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s (%d bytes)", f, []string{"KiB", "MiB", "GiB", "TiB"}[i], n)
}
