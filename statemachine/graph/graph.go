// Package graph lays out a state machine's states in layers and draws them as
// SVG. It knows nothing about HTTP: callers build a [Graph] of nodes and
// edges (the runner from an ASL file, the console from a DescribeStateMachine
// answer, both through [FromASL] or by hand) and may colour nodes by status.
//
// It imports only the standard library, like the rest of statemachine/.
package graph

import (
	"fmt"
	"html"
	"io"
	"sort"
)

// Edge kinds, drawn differently.
const (
	EdgeNext    = "next"
	EdgeChoice  = "choice"
	EdgeDefault = "default"
	EdgeCatch   = "catch"
	EdgeBranch  = "branch" // into and out of a Parallel branch or a Map's processor
)

// Node statuses, as the console derives them from an execution's history.
// The empty status is "not reached".
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusCaught    = "caught"
	StatusRetried   = "retried"
	StatusRunning   = "running"
	StatusWaiting   = "waiting"
)

// Node is one state.
type Node struct {
	ID    string
	Label string
	// Group is the ID of the Map or Parallel node whose branch holds this
	// node; "" at the top level. Members of a group are drawn inside a box.
	Group string
	// Status colours the node: one of the Status constants or "".
	Status string
	// Detail is a second, smaller line of text (an error name).
	Detail string
}

// Edge joins two nodes; Label is shown beside it (a Choice condition).
type Edge struct {
	From, To, Kind, Label string
}

// Graph is the input of [Graph.Layout].
type Graph struct {
	Nodes []Node
	Edges []Edge
}

// Box is a laid-out node.
type Box struct {
	Node
	X, Y, W, H int
}

// GroupBox is the frame drawn around the members of a group.
type GroupBox struct {
	ID, Label  string
	X, Y, W, H int
}

// Layout is the result of [Graph.Layout].
type Layout struct {
	Boxes         []Box
	Groups        []GroupBox
	Edges         []Edge
	Width, Height int
}

const (
	boxW, boxH = 168, 40
	gapX, gapY = 32, 56
	margin     = 24
	groupPad   = 10
)

// Layout assigns each node a layer (longest path from a root over forward
// edges, back edges of loops ignored) and a column within its layer. Boxes
// never overlap: each layer is one row and columns are spaced by box width;
// within a row the members of one group sit side by side.
func (g *Graph) Layout() *Layout {
	index := map[string]int{}
	for i, n := range g.Nodes {
		index[n.ID] = i
	}
	out := make([][]int, len(g.Nodes))
	for _, e := range g.Edges {
		f, ok1 := index[e.From]
		t, ok2 := index[e.To]
		if ok1 && ok2 {
			out[f] = append(out[f], t)
		}
	}
	back := backEdges(out)
	order := topoOrder(out, back)
	layer := make([]int, len(g.Nodes))
	for _, v := range order {
		for _, w := range out[v] {
			if !back[[2]int{v, w}] && layer[w] < layer[v]+1 {
				layer[w] = layer[v] + 1
			}
		}
	}
	rows := map[int][]int{}
	maxLayer := 0
	for v := range g.Nodes {
		rows[layer[v]] = append(rows[layer[v]], v)
		maxLayer = max(maxLayer, layer[v])
	}
	l := &Layout{Edges: g.Edges}
	for y := 0; y <= maxLayer; y++ {
		row := rows[y]
		sort.SliceStable(row, func(i, j int) bool {
			gi, gj := g.groupPath(row[i], index), g.groupPath(row[j], index)
			if gi != gj {
				return gi < gj
			}
			return row[i] < row[j]
		})
		for x, v := range row {
			b := Box{Node: g.Nodes[v], X: margin + x*(boxW+gapX), Y: margin + y*(boxH+gapY), W: boxW, H: boxH}
			l.Boxes = append(l.Boxes, b)
			l.Width = max(l.Width, b.X+b.W+margin)
			l.Height = max(l.Height, b.Y+b.H+margin)
		}
	}
	l.Groups = g.groupBoxes(l.Boxes, index)
	return l
}

// backEdges marks the edges that close a loop, found by a depth-first
// search from every node in order.
func backEdges(out [][]int) map[[2]int]bool {
	state := make([]int, len(out))
	back := map[[2]int]bool{}
	var visit func(int)
	visit = func(v int) {
		state[v] = 1
		for _, w := range out[v] {
			switch state[w] {
			case 0:
				visit(w)
			case 1:
				back[[2]int{v, w}] = true
			}
		}
		state[v] = 2
	}
	for v := range out {
		if state[v] == 0 {
			visit(v)
		}
	}
	return back
}

// topoOrder orders the nodes so that every forward edge goes from an
// earlier to a later node.
func topoOrder(out [][]int, back map[[2]int]bool) []int {
	state := make([]bool, len(out))
	var post []int
	var visit func(int)
	visit = func(v int) {
		state[v] = true
		for _, w := range out[v] {
			if !state[w] && !back[[2]int{v, w}] {
				visit(w)
			}
		}
		post = append(post, v)
	}
	for v := range out {
		if !state[v] {
			visit(v)
		}
	}
	for i, j := 0, len(post)-1; i < j; i, j = i+1, j-1 {
		post[i], post[j] = post[j], post[i]
	}
	return post
}

// groupPath is the chain of groups holding node v, outermost first, as one
// sortable string.
func (g *Graph) groupPath(v int, index map[string]int) string {
	path := ""
	for n, seen := g.Nodes[v], 0; n.Group != "" && seen < len(g.Nodes); seen++ {
		path = n.Group + "\x00" + path
		p, ok := index[n.Group]
		if !ok {
			break
		}
		n = g.Nodes[p]
	}
	return path
}

// groupBoxes frames each group around its members and nested groups.
func (g *Graph) groupBoxes(boxes []Box, index map[string]int) []GroupBox {
	type rect struct{ x0, y0, x1, y1 int }
	frames := map[string]*rect{}
	var ids []string
	grow := func(id string, r rect) {
		f := frames[id]
		if f == nil {
			f = &rect{r.x0, r.y0, r.x1, r.y1}
			frames[id] = f
			ids = append(ids, id)
		}
		f.x0, f.y0, f.x1, f.y1 = min(f.x0, r.x0), min(f.y0, r.y0), max(f.x1, r.x1), max(f.y1, r.y1)
	}
	for _, b := range boxes {
		r := rect{b.X - groupPad, b.Y - groupPad - 12, b.X + b.W + groupPad, b.Y + b.H + groupPad}
		for grp, depth := b.Group, 1; grp != "" && depth < len(boxes); depth++ {
			grow(grp, rect{r.x0 - (depth-1)*4, r.y0 - (depth-1)*4, r.x1 + (depth-1)*4, r.y1 + (depth-1)*4})
			p, ok := index[grp]
			if !ok {
				break
			}
			grp = g.Nodes[p].Group
		}
	}
	sort.Strings(ids)
	out := make([]GroupBox, 0, len(ids))
	for _, id := range ids {
		f := frames[id]
		label := id
		if p, ok := index[id]; ok {
			label = g.Nodes[p].Label
		}
		out = append(out, GroupBox{ID: id, Label: label, X: f.x0, Y: f.y0, W: f.x1 - f.x0, H: f.y1 - f.y0})
	}
	// Outer frames first, so inner ones are drawn on top.
	sort.SliceStable(out, func(i, j int) bool { return out[i].W*out[i].H > out[j].W*out[j].H })
	return out
}

var statusFill = map[string]string{
	StatusSucceeded: "#c8e6c9", StatusFailed: "#ffcdd2", StatusCaught: "#ffe0b2", StatusRetried: "#fff59d",
	StatusRunning: "#bbdefb", StatusWaiting: "#e1bee7", "": "#f5f5f5",
}

// WriteSVG draws the layout. All labels are escaped. Each node is a
// <g class="state st-STATUS" data-state="ID" id="node-N"> so that a page's
// style sheet and script can recolour it.
func (l *Layout) WriteSVG(w io.Writer) error {
	pos := map[string]Box{}
	for _, b := range l.Boxes {
		pos[b.ID] = b
	}
	width := l.Width
	for _, e := range l.Edges {
		a, ok1 := pos[e.From]
		b, ok2 := pos[e.To]
		if off := detour(a, b); ok1 && ok2 && off > 0 {
			width = max(width, a.X+a.W+off+margin, b.X+b.W+off*3/4+margin+140) // room for a label
		}
	}
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="%d" height="%d" viewBox="0 0 %[1]d %[2]d" font-family="sans-serif" font-size="12">`+"\n", width, l.Height)
	p(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z"/></marker></defs>` + "\n")
	for _, gb := range l.Groups {
		p(`<g class="group"><rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="none" stroke="#90a4ae" stroke-dasharray="4,3"/>`, gb.X, gb.Y, gb.W, gb.H)
		p(`<text x="%d" y="%d" font-size="10" fill="#546e7a">%s</text></g>`+"\n", gb.X+6, gb.Y+11, html.EscapeString(gb.Label))
	}
	for _, e := range l.Edges {
		a, ok1 := pos[e.From]
		b, ok2 := pos[e.To]
		if !ok1 || !ok2 {
			continue
		}
		l.writeEdge(w, e, a, b)
	}
	for i, b := range l.Boxes {
		p(`<g class="state st-%s" data-state="%s" id="node-%d"><title>%s</title><rect x="%d" y="%d" width="%d" height="%d" rx="6" fill="%s" stroke="#555"/>`,
			statusClass(b.Status), html.EscapeString(b.ID), i, html.EscapeString(b.Label), b.X, b.Y, b.W, b.H, statusFill[b.Status])
		// The label sits a little high, leaving room for a detail line
		// that a page's script may fill in later.
		ty := b.Y + b.H/2 - 1
		p(`<text x="%d" y="%d" text-anchor="middle">%s</text>`, b.X+b.W/2, ty, html.EscapeString(clip(b.Label, 26)))
		detailFill := "#37474f"
		if b.Status == StatusFailed || b.Status == StatusCaught {
			detailFill = "#b71c1c"
		}
		p(`<text class="detail" x="%d" y="%d" text-anchor="middle" font-size="10" fill="%s">%s</text></g>`+"\n", b.X+b.W/2, ty+14, detailFill, html.EscapeString(clip(b.Detail, 30)))
	}
	_, err := fmt.Fprintln(w, "</svg>")
	return err
}

func (l *Layout) writeEdge(w io.Writer, e Edge, a, b Box) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	style := ` stroke="#333"`
	switch e.Kind {
	case EdgeCatch:
		style = ` stroke-dasharray="6,4" stroke="#c62828"`
	case EdgeDefault:
		style = ` stroke-width="2.5" stroke="#333"`
	case EdgeBranch:
		style = ` stroke-dasharray="2,3" stroke="#78909c"`
	}
	x1, y1, x2, y2 := a.X+a.W/2, a.Y+a.H, b.X+b.W/2, b.Y
	if off := detour(a, b); off > 0 {
		// A loop back up, or an edge over more than one layer: route it
		// around the right side of the boxes in between, further out
		// the longer it is.
		xa, xb, ya, yb := a.X+a.W, b.X+b.W, a.Y+a.H/2, b.Y+b.H/2
		p(`<path class="edge %s" d="M%d,%d C%d,%d %d,%d %d,%d" fill="none"%s marker-end="url(#arrow)"/>`+"\n",
			e.Kind, xa, ya, xa+off, ya, xb+off, yb, xb, yb, style)
		x1, y1, x2, y2 = xa+off*3/4, ya, xb+off*3/4, yb
	} else {
		p(`<line class="edge %s" x1="%d" y1="%d" x2="%d" y2="%d"%s marker-end="url(#arrow)"/>`+"\n", e.Kind, x1, y1, x2, y2, style)
	}
	label := e.Label
	if e.Kind == EdgeDefault && label == "" {
		label = "Default"
	}
	if label != "" {
		fill := "#333"
		if e.Kind == EdgeCatch {
			fill = "#c62828"
		}
		p(`<text class="edge-label" x="%d" y="%d" font-size="10" fill="%s">%s</text>`+"\n", (x1+x2)/2+4, (y1+y2)/2, fill, html.EscapeString(clip(label, 40)))
	}
}

// detour is how far right of its boxes an edge is routed, 0 for a
// straight edge to the next layer.
func detour(a, b Box) int {
	span := (b.Y - a.Y) / (boxH + gapY)
	if b.Y > a.Y && span <= 1 {
		return 0
	}
	return 2 * (gapX/2 + 8 + 5*min(abs(span), 8))
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// statusClass is the CSS class suffix of a status ("none" when not reached).
func statusClass(s string) string {
	if _, ok := statusFill[s]; !ok || s == "" {
		return "none"
	}
	return s
}

// clip shortens s to n characters, ending a cut text in "…".
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
