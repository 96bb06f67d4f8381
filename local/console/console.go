// Package console is the web console: an http.Handler that is a client of
// the Step Functions API (aws-sdk-go-v2's sfn client), so it shows the local
// stack and AWS alike. It is not part of the API server; it only calls it.
//
// Security: requests whose Host is not an allowed name are refused (DNS
// rebinding); every page carries a Content-Security-Policy that forbids
// inline script; all user text goes through html/template.
package console

import (
	"context"
	"html/template"
	"net"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// API is the part of the Step Functions client the console calls.
type API interface {
	ListStateMachines(context.Context, *sfn.ListStateMachinesInput, ...func(*sfn.Options)) (*sfn.ListStateMachinesOutput, error)
}

var _ API = (*sfn.Client)(nil)

// Handler serves the console pages.
type Handler struct {
	API API
	// Hosts are the Host header names accepted besides localhost and 127.0.0.1.
	Hosts []string
}

const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

var workflowsPage = template.Must(template.New("w").Parse(`<!doctype html><html><head><meta charset="utf-8"><title>Stepwise — workflows</title></head>
<body><h1>Workflows</h1><table><tr><th>Name</th><th>ARN</th><th>Created</th></tr>
{{range .}}<tr><td>{{.Name}}</td><td>{{.StateMachineArn}}</td><td>{{.CreationDate}}</td></tr>{{end}}
</table></body></html>`))

func (h *Handler) hostAllowed(host string) bool {
	if name, _, err := net.SplitHostPort(host); err == nil {
		host = name
	}
	if host == "localhost" || host == "127.0.0.1" || host == "::1" {
		return true
	}
	for _, a := range h.Hosts {
		if a == host {
			return true
		}
	}
	return false
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.hostAllowed(r.Host) {
		http.Error(w, "console: Host "+r.Host+" is not allowed (DNS rebinding protection); open the console at 127.0.0.1", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Security-Policy", csp)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet || r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	out, err := h.API.ListStateMachines(r.Context(), &sfn.ListStateMachinesInput{})
	if err != nil {
		http.Error(w, "console: ListStateMachines: "+err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = workflowsPage.Execute(w, out.StateMachines)
}
