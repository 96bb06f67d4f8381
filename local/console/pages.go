package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// API is the part of the Step Functions client the console calls.
type API interface {
	ListStateMachines(context.Context, *sfn.ListStateMachinesInput, ...func(*sfn.Options)) (*sfn.ListStateMachinesOutput, error)
	DescribeStateMachine(context.Context, *sfn.DescribeStateMachineInput, ...func(*sfn.Options)) (*sfn.DescribeStateMachineOutput, error)
	DescribeStateMachineForExecution(context.Context, *sfn.DescribeStateMachineForExecutionInput, ...func(*sfn.Options)) (*sfn.DescribeStateMachineForExecutionOutput, error)
	ListStateMachineVersions(context.Context, *sfn.ListStateMachineVersionsInput, ...func(*sfn.Options)) (*sfn.ListStateMachineVersionsOutput, error)
	ListStateMachineAliases(context.Context, *sfn.ListStateMachineAliasesInput, ...func(*sfn.Options)) (*sfn.ListStateMachineAliasesOutput, error)
	ListExecutions(context.Context, *sfn.ListExecutionsInput, ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error)
	DescribeExecution(context.Context, *sfn.DescribeExecutionInput, ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	GetExecutionHistory(context.Context, *sfn.GetExecutionHistoryInput, ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error)
	DescribeMapRun(context.Context, *sfn.DescribeMapRunInput, ...func(*sfn.Options)) (*sfn.DescribeMapRunOutput, error)
	StopExecution(context.Context, *sfn.StopExecutionInput, ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error)
	RedriveExecution(context.Context, *sfn.RedriveExecutionInput, ...func(*sfn.Options)) (*sfn.RedriveExecutionOutput, error)
	SendTaskSuccess(context.Context, *sfn.SendTaskSuccessInput, ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
}

var _ API = (*sfn.Client)(nil)

// Limits that keep pages fast whatever the size of the account.
const (
	pageSize        = 50    // executions per page
	searchPages     = 20    // ListExecutions pages (of 1000) a name search reads per page shown
	eventsPerPage   = 1000  // rows of the event table
	maxHistory      = 25000 // Step Functions' own limit
	maxTimelineRows = 300
	maxMachines     = 500
	foldAt          = 2048 // payloads longer than this are folded
)

var funcs = template.FuncMap{
	"pretty":   prettyJSON,
	"big":      func(s string) bool { return len(s) > foldAt },
	"when":     when,
	"lower":    func(s any) string { return strings.ToLower(fmt.Sprint(s)) },
	"add":      func(a, b int) int { return a + b },
	"deref":    aws.ToString,
	"derefInt": func(p *int32) int32 { return aws.ToInt32(p) },
	"short":    func(arn string) string { return arn[strings.LastIndexAny(arn, "/:")+1:] },
	"seq":      func(n int) []int { return make([]int, n) },
	// dict is the argument of the "approval" template: the record, and
	// the decision link of its notification when there is one.
	"dict": func(csrf string, rec any, link ...string) map[string]any {
		return map[string]any{"CSRF": csrf, "Rec": rec, "Link": strings.Join(link, "")}
	},
}

// when formats a time (or *time.Time) for a page; zero is "".
func when(v any) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x != nil {
			t = *x
		}
	}
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func itoa(n int) string { return strconv.Itoa(n) }

// prettyJSON indents a JSON text; other text is returned as it is.
func prettyJSON(s string) string {
	var b bytes.Buffer
	if json.Indent(&b, []byte(s), "", "  ") != nil {
		return s
	}
	return b.String()
}

type layout struct {
	Title string
	CSRF  string
	Err   string
}

func (h *Handler) render(w http.ResponseWriter, name string, data any) {
	var b bytes.Buffer
	if err := h.pages.ExecuteTemplate(&b, name, data); err != nil {
		http.Error(w, "console: render "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b.Bytes())
}

// fail answers an API error as a page that says which call failed.
func (h *Handler) fail(w http.ResponseWriter, what string, err error) {
	status := http.StatusBadGateway
	var nf interface{ ErrorCode() string }
	if errors.As(err, &nf) && strings.Contains(nf.ErrorCode(), "DoesNotExist") {
		status = http.StatusNotFound
	}
	w.WriteHeader(status)
	h.render(w, "error.html", map[string]any{"L": layout{Title: "Error"}, "What": what, "Err": err.Error()})
}

type machineRow struct {
	Name, Arn, Type string
	Created         *time.Time
	Versions        int
	Aliases         []string
	Last            *types.ExecutionListItem
	Known           *WorkflowInfo
}

func (h *Handler) workflows(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var rows []machineRow
	p := sfn.NewListStateMachinesPaginator(h.opts.SFN, &sfn.ListStateMachinesInput{})
	for p.HasMorePages() && len(rows) < maxMachines {
		page, err := p.NextPage(ctx)
		if err != nil {
			h.fail(w, "ListStateMachines", err)
			return
		}
		for _, sm := range page.StateMachines {
			row := machineRow{Name: aws.ToString(sm.Name), Arn: aws.ToString(sm.StateMachineArn), Type: string(sm.Type), Created: sm.CreationDate}
			if k, ok := h.opts.Known[row.Arn]; ok {
				row.Known = &k
			}
			rows = append(rows, row)
		}
	}
	for i := range rows {
		row := &rows[i]
		arn := aws.String(row.Arn)
		if ex, err := h.opts.SFN.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: arn, MaxResults: 1}); err == nil && len(ex.Executions) > 0 {
			row.Last = &ex.Executions[0]
		}
		if v, err := h.opts.SFN.ListStateMachineVersions(ctx, &sfn.ListStateMachineVersionsInput{StateMachineArn: arn}); err == nil {
			row.Versions = len(v.StateMachineVersions)
		}
		if a, err := h.opts.SFN.ListStateMachineAliases(ctx, &sfn.ListStateMachineAliasesInput{StateMachineArn: arn}); err == nil {
			for _, al := range a.StateMachineAliases {
				arn := aws.ToString(al.StateMachineAliasArn)
				row.Aliases = append(row.Aliases, arn[strings.LastIndex(arn, ":")+1:])
			}
		}
	}
	h.render(w, "workflows.html", map[string]any{"L": layout{Title: "Workflows"}, "Rows": rows})
}

// executionPage is one page of a state machine's executions.
type executionPage struct {
	Rows     []types.ExecutionListItem
	Next     string // token of the next page, "" on the last
	Scanned  int    // executions read to fill the page (a name search reads more)
	Searched bool
}

// listExecutions reads one page: one ListExecutions call of pageSize
// executions, or for a name search, pages of 1000 until pageSize match
// (at most searchPages pages; Next continues the search).
func (h *Handler) listExecutions(ctx context.Context, arn, status, search, next string) (*executionPage, error) {
	in := &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), MaxResults: pageSize}
	if status != "" {
		in.StatusFilter = types.ExecutionStatus(status)
	}
	if next != "" {
		in.NextToken = aws.String(next)
	}
	out := &executionPage{Searched: search != ""}
	if search == "" {
		page, err := h.opts.SFN.ListExecutions(ctx, in)
		if err != nil {
			return nil, err
		}
		out.Rows, out.Next, out.Scanned = page.Executions, aws.ToString(page.NextToken), len(page.Executions)
		return out, nil
	}
	in.MaxResults = 1000
	needle := strings.ToLower(search)
	for range searchPages {
		page, err := h.opts.SFN.ListExecutions(ctx, in)
		if err != nil {
			return nil, err
		}
		out.Scanned += len(page.Executions)
		for _, e := range page.Executions {
			if strings.Contains(strings.ToLower(aws.ToString(e.Name)), needle) {
				out.Rows = append(out.Rows, e)
			}
		}
		out.Next = aws.ToString(page.NextToken)
		if out.Next == "" || len(out.Rows) >= pageSize {
			break
		}
		in.NextToken = page.NextToken
	}
	return out, nil
}

var statuses = []string{"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"}

func (h *Handler) workflow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	arn := r.URL.Query().Get("arn")
	q := r.URL.Query()
	status, search, next := q.Get("status"), q.Get("q"), q.Get("next")
	if status != "" && !contains(statuses, status) {
		http.Error(w, "console: status must be one of "+strings.Join(statuses, ", "), http.StatusBadRequest)
		return
	}
	sm, err := h.opts.SFN.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		h.fail(w, "DescribeStateMachine "+arn, err)
		return
	}
	svg, gerr := graphSVG(aws.ToString(sm.Definition), nil, "")
	page, err := h.listExecutions(ctx, arn, status, search, next)
	if err != nil {
		h.fail(w, "ListExecutions "+arn, err)
		return
	}
	h.render(w, "workflow.html", map[string]any{
		"L": layout{Title: aws.ToString(sm.Name)}, "SM": sm, "Graph": svg, "GraphErr": gerr,
		"Page": page, "Status": status, "Search": search, "Statuses": statuses, "First": next == "",
	})
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
