package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stepwise-dev/stepwise/local/console/approval"
	"github.com/stepwise-dev/stepwise/statemachine/graph"
	"github.com/stepwise-dev/stepwise/steps/export"
)

// history reads an execution's whole history (at most maxHistory events,
// Step Functions' own limit) in pages of 1000.
func (h *Handler) history(ctx context.Context, arn string) ([]types.HistoryEvent, error) {
	var all []types.HistoryEvent
	in := &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000, IncludeExecutionData: aws.Bool(true)}
	for len(all) < maxHistory+1000 {
		page, err := h.opts.SFN.GetExecutionHistory(ctx, in)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Events...)
		if page.NextToken == nil {
			break
		}
		in.NextToken = page.NextToken
	}
	return all, nil
}

// graphSVG draws a definition with the states coloured as rv says (nil:
// no execution).
func graphSVG(definition string, rv *runView, status types.ExecutionStatus) (template.HTML, error) {
	g, err := graph.FromASL([]byte(definition))
	if err != nil {
		return "", err
	}
	if rv != nil {
		st := nodeStatuses(g, rv, status)
		for i, n := range g.Nodes {
			g.Nodes[i].Status, g.Nodes[i].Detail = st[n.ID].Status, st[n.ID].Detail
		}
	}
	var b bytes.Buffer
	if err := g.Layout().WriteSVG(&b); err != nil {
		return "", err
	}
	// The SVG writer escapes every label: it is safe to embed as it is.
	return template.HTML(b.String()), nil
}

// nodeStatuses are the nodes' colours and detail lines: a state's own outcome;
// the states inside a distributed Map (they run in child executions) take
// the outcome of its Map Run; Start and End show how far the execution got.
func nodeStatuses(g *graph.Graph, rv *runView, status types.ExecutionStatus) map[string]liveStatus {
	out := map[string]liveStatus{}
	for _, n := range g.Nodes {
		if s := rv.States[n.ID]; s != nil {
			out[n.ID] = liveStatus{s.Status, s.Detail}
			continue
		}
		if p := rv.States[n.Group]; p != nil && p.Items != nil {
			it := p.Items
			switch {
			case it.Failed+it.Aborted+it.TimedOut > 0:
				out[n.ID] = liveStatus{Status: graph.StatusFailed, Detail: fmt.Sprintf("%d items failed", it.Failed+it.Aborted+it.TimedOut)}
			case it.Total > 0 && it.Succeeded == it.Total:
				out[n.ID] = liveStatus{Status: graph.StatusSucceeded}
			case it.Running+it.Pending > 0:
				out[n.ID] = liveStatus{Status: graph.StatusRunning}
			}
		}
	}
	out[graph.StartID] = liveStatus{Status: graph.StatusSucceeded}
	if status == types.ExecutionStatusSucceeded {
		out[graph.EndID] = liveStatus{Status: graph.StatusSucceeded}
	}
	return out
}

// timelineSVG draws one bar per state visit (at most maxTimelineRows),
// from entry to exit (or to now while open), with its duration.
func timelineSVG(rv *runView, start, end time.Time) template.HTML {
	visits := rv.Visits
	more := 0
	if len(visits) > maxTimelineRows {
		more = len(visits) - maxTimelineRows
		visits = visits[:maxTimelineRows]
	}
	const labelW, barW, rowH = 150, 400, 18
	total := end.Sub(start)
	if total <= 0 {
		total = time.Millisecond
	}
	var b bytes.Buffer
	height := rowH*len(visits) + 8
	if more > 0 {
		height += rowH
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="%d" height="%d" font-family="sans-serif" font-size="11">`, labelW+barW+70, height)
	for i, v := range visits {
		y := 4 + i*rowH
		left := v.Left
		if left.IsZero() {
			left = end
		}
		x := labelW + int(float64(barW)*float64(v.Entered.Sub(start))/float64(total))
		w := max(2, int(float64(barW)*float64(left.Sub(v.Entered))/float64(total)))
		fmt.Fprintf(&b, `<text x="0" y="%d"><title>%s</title>%s</text>`, y+12, html.EscapeString(v.Name), html.EscapeString(clipRunes(v.Name, 22)))
		fmt.Fprintf(&b, `<rect class="bar st-%s" x="%d" y="%d" width="%d" height="%d" rx="2"/>`, statusClassOf(v.Status), x, y+2, w, rowH-5)
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#555">%s</text>`, min(x+w+4, labelW+barW+4), y+12, html.EscapeString(duration(left.Sub(v.Entered))))
	}
	if more > 0 {
		fmt.Fprintf(&b, `<text x="0" y="%d" fill="#555">… and %d more state visits (see the event table)</text>`, 4+len(visits)*rowH+12, more)
	}
	b.WriteString("</svg>")
	return template.HTML(b.String())
}

// clipRunes shortens s to n characters, ending a cut text in "…".
func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func statusClassOf(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	}
	return d.Round(time.Second).String()
}

// eventRow is one row of the event table.
type eventRow struct {
	ID      int64  `json:"id"`
	Type    string `json:"type"`
	At      string `json:"at"` // since the start of the execution
	State   string `json:"state"`
	Summary string `json:"summary"`
}

func eventRows(events []types.HistoryEvent, rv *runView, start time.Time) []eventRow {
	rows := make([]eventRow, len(events))
	for i := range events {
		e := &events[i]
		state := ""
		if v := rv.Owner[e.Id]; v != nil {
			state = v.Name
		}
		rows[i] = eventRow{ID: e.Id, Type: string(e.Type), At: "+" + duration(aws.ToTime(e.Timestamp).Sub(start)), State: state, Summary: clipText(eventSummary(e), 300)}
	}
	return rows
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// published is where an export's output says it was published.
func published(output string) string {
	var out struct{ Bucket, Key string }
	if json.Unmarshal([]byte(output), &out) != nil || out.Bucket == "" || out.Key == "" {
		return ""
	}
	return "s3://" + out.Bucket + "/" + out.Key
}

// execView is everything the execution page and its JSON endpoint show.
type execView struct {
	MapRuns []mapRunRow
	Desc    *sfn.DescribeExecutionOutput
	Def     string
	DefErr  error
	Events  []types.HistoryEvent
	Run     *runView
	Start   time.Time
	End     time.Time
	Pending *export.ApprovalRecord
}

func (h *Handler) loadExecution(ctx context.Context, arn string) (*execView, string, error) {
	d, err := h.opts.SFN.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		return nil, "DescribeExecution " + arn, err
	}
	events, err := h.history(ctx, arn)
	if err != nil {
		return nil, "GetExecutionHistory " + arn, err
	}
	v := &execView{Desc: d, Events: events, Run: derive(events, d.Status), Start: aws.ToTime(d.StartDate), End: time.Now()}
	if d.StopDate != nil {
		v.End = *d.StopDate
	}
	v.MapRuns = h.mapRuns(ctx, v.Run)
	if def, err := h.opts.SFN.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String(arn)}); err == nil {
		v.Def = aws.ToString(def.Definition)
	} else {
		v.DefErr = err
	}
	if d.Status == types.ExecutionStatusRunning && h.opts.S3 != nil && h.opts.Bucket != "" {
		for _, s := range v.Run.States {
			if s.Status == graph.StatusWaiting {
				if rec, err := approval.Read(ctx, h.opts.S3, h.opts.Bucket, approval.Key(h.opts.ApprovalsPrefix, arn), 1<<20); err == nil && (rec.ExecutionID == "" || rec.ExecutionID == arn) {
					v.Pending = rec
				}
				break
			}
		}
	}
	return v, "", nil
}

type stateRow struct {
	*stateSummary
	Anchor string
}

type mapRunRow struct {
	Arn    string
	Status string
	Items  *types.MapRunItemCounts
}

// mapRuns describes the Map Runs of the execution (at most 10) and puts
// the item counts of each Map state, distributed or inline, on its node.
func (h *Handler) mapRuns(ctx context.Context, rv *runView) []mapRunRow {
	var runs []mapRunRow
	for _, name := range sortedStates(rv) {
		s := rv.States[name]
		if it := s.Last.Items; it != nil && s.Detail == "" && s.Last.MapRunArn == "" {
			s.Detail = fmt.Sprintf("%d/%d items ok", it.Succeeded, it.Total)
		}
		if s.Last.MapRunArn == "" || len(runs) == 10 {
			continue
		}
		row := mapRunRow{Arn: s.Last.MapRunArn}
		if d, err := h.opts.SFN.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: aws.String(row.Arn)}); err == nil {
			row.Status, row.Items, s.Items = string(d.Status), d.ItemCounts, d.ItemCounts
			if it := d.ItemCounts; it != nil && s.Detail == "" {
				s.Detail = fmt.Sprintf("%d/%d items ok", it.Succeeded, it.Total)
				if it.Failed > 0 {
					s.Detail += fmt.Sprintf(", %d failed", it.Failed)
				}
			}
		}
		runs = append(runs, row)
	}
	return runs
}

func sortedStates(rv *runView) []string {
	names := make([]string, 0, len(rv.States))
	for n := range rv.States {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return rv.States[names[i]].Last.EnteredID < rv.States[names[j]].Last.EnteredID })
	return names
}

func (h *Handler) execution(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	arn := r.URL.Query().Get("arn")
	v, what, err := h.loadExecution(ctx, arn)
	if err != nil {
		h.fail(w, what, err)
		return
	}
	svg, gerr := template.HTML(""), v.DefErr
	if gerr == nil {
		svg, gerr = graphSVG(v.Def, v.Run, v.Desc.Status)
	}
	var states []stateRow
	for _, s := range v.Run.States {
		states = append(states, stateRow{s, "state-" + strconv.FormatInt(s.Last.EnteredID, 10)})
	}
	sort.Slice(states, func(i, j int) bool { return states[i].Last.EnteredID < states[j].Last.EnteredID })
	evPage, _ := strconv.Atoi(r.URL.Query().Get("events"))
	n := len(v.Events)
	pages := (n + eventsPerPage - 1) / eventsPerPage
	evPage = max(0, min(evPage, pages-1))
	shown := eventRows(v.Events[min(n, evPage*eventsPerPage):min(n, (evPage+1)*eventsPerPage)], v.Run, v.Start)
	var lastID int64
	if n := len(v.Events); n > 0 {
		lastID = v.Events[n-1].Id
	}
	h.render(w, "execution.html", map[string]any{
		"L": layout{Title: aws.ToString(v.Desc.Name), CSRF: h.csrf}, "E": v.Desc, "Graph": svg, "GraphErr": gerr,
		"Timeline": timelineSVG(v.Run, v.Start, v.End), "States": states, "Events": shown, "EventCount": n,
		"EventPage": evPage, "EventPages": pages, "LastID": lastID, "MapRuns": v.MapRuns, "Pending": v.Pending,
		"Published": published(aws.ToString(v.Desc.Output)), "Live": v.Desc.Status == types.ExecutionStatusRunning,
		"Redrivable": v.Desc.Status == types.ExecutionStatusFailed || v.Desc.Status == types.ExecutionStatusTimedOut || v.Desc.Status == types.ExecutionStatusAborted,
	})
}

// liveState is the JSON the execution page polls while it runs.
type liveState struct {
	Status    string                `json:"status"`
	Output    string                `json:"output,omitempty"`
	Published string                `json:"published,omitempty"`
	Error     string                `json:"error,omitempty"`
	Cause     string                `json:"cause,omitempty"`
	Stopped   string                `json:"stopped,omitempty"`
	States    map[string]liveStatus `json:"states"`
	Events    []eventRow            `json:"events"`
	LastID    int64                 `json:"lastId"`
	Approval  bool                  `json:"approval"`
	Timeline  template.HTML         `json:"timeline"`
}

type liveStatus struct {
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

func (h *Handler) executionJSON(w http.ResponseWriter, r *http.Request) {
	arn := r.URL.Query().Get("arn")
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	v, what, err := h.loadExecution(r.Context(), arn)
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadGateway)
		json.NewEncoder(w).Encode(map[string]string{"error": what + ": " + err.Error()})
		return
	}
	d := v.Desc
	out := liveState{
		Status: string(d.Status), Output: prettyJSON(aws.ToString(d.Output)), Published: published(aws.ToString(d.Output)),
		Error: aws.ToString(d.Error), Cause: aws.ToString(d.Cause), States: map[string]liveStatus{}, Approval: v.Pending != nil,
	}
	if d.StopDate != nil {
		out.Stopped = d.StopDate.Local().Format("2006-01-02 15:04:05")
	}
	out.Timeline = timelineSVG(v.Run, v.Start, v.End)
	if g, err := graph.FromASL([]byte(v.Def)); err == nil {
		out.States = nodeStatuses(g, v.Run, d.Status)
	} else {
		for name, s := range v.Run.States {
			out.States[name] = liveStatus{s.Status, s.Detail}
		}
	}
	first := sort.Search(len(v.Events), func(i int) bool { return v.Events[i].Id > after })
	out.Events = eventRows(v.Events[first:min(len(v.Events), first+eventsPerPage)], v.Run, v.Start)
	out.LastID = after
	if n := len(out.Events); n > 0 {
		out.LastID = out.Events[n-1].ID
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (h *Handler) mapRun(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	arn := r.URL.Query().Get("arn")
	status := r.URL.Query().Get("status")
	d, err := h.opts.SFN.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: aws.String(arn)})
	if err != nil {
		h.fail(w, "DescribeMapRun "+arn, err)
		return
	}
	in := &sfn.ListExecutionsInput{MapRunArn: aws.String(arn), MaxResults: pageSize}
	if status != "" {
		in.StatusFilter = types.ExecutionStatus(status)
	}
	if next := r.URL.Query().Get("next"); next != "" {
		in.NextToken = aws.String(next)
	}
	list, err := h.opts.SFN.ListExecutions(ctx, in)
	if err != nil {
		h.fail(w, "ListExecutions (map run) "+arn, err)
		return
	}
	h.render(w, "maprun.html", map[string]any{"L": layout{Title: "Map Run"}, "M": d, "Rows": list.Executions, "Next": aws.ToString(list.NextToken), "Status": status})
}
