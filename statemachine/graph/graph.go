// Package graph lays out a state machine's states in layers and draws them as
// SVG. It knows nothing about ASL parsing or HTTP: callers build a [Graph] of
// nodes and edges (the runner from an ASL file, the console from a
// DescribeStateMachine answer) and may colour nodes by status.
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
)

// Node is one state.
type Node struct {
	ID     string
	Label  string
	Status string // optional: succeeded, failed, caught, retried, running, waiting, or "" (not reached)
}

// Edge joins two nodes; Label is shown beside it (a Choice condition).
type Edge struct {
	From, To, Kind, Label string
}

// Graph is the input of [Layout].
type Graph struct {
	Nodes []Node
	Edges []Edge
}

// Box is a laid-out node.
type Box struct {
	Node
	X, Y, W, H int
}

// Layout is the result of [Graph.Layout].
type Layout struct {
	Boxes         []Box
	Edges         []Edge
	Width, Height int
}

const (
	boxW, boxH = 160, 36
	gapX, gapY = 24, 48
	margin     = 16
)

// Layout assigns each node a layer (longest path from a root over forward
// edges, back edges of loops ignored) and a column within its layer. Boxes
// never overlap: each layer is one row and columns are spaced by box width.
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
	// Depth-first order marks back edges (loops) so layering terminates.
	state := make([]int, len(g.Nodes))
	back := map[[2]int]bool{}
	var order []int
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
		order = append(order, v)
	}
	for v := range g.Nodes {
		if state[v] == 0 {
			visit(v)
		}
	}
	layer := make([]int, len(g.Nodes))
	for i := len(order) - 1; i >= 0; i-- { // reverse post-order is topological
		v := order[i]
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
		if layer[v] > maxLayer {
			maxLayer = layer[v]
		}
	}
	l := &Layout{Edges: g.Edges}
	for y := 0; y <= maxLayer; y++ {
		sort.Ints(rows[y])
		for x, v := range rows[y] {
			b := Box{Node: g.Nodes[v], X: margin + x*(boxW+gapX), Y: margin + y*(boxH+gapY), W: boxW, H: boxH}
			l.Boxes = append(l.Boxes, b)
			l.Width = max(l.Width, b.X+b.W+margin)
			l.Height = max(l.Height, b.Y+b.H+margin)
		}
	}
	return l
}

var statusFill = map[string]string{
	"succeeded": "#c8e6c9", "failed": "#ffcdd2", "caught": "#ffe0b2", "retried": "#fff9c4",
	"running": "#bbdefb", "waiting": "#e1bee7", "": "#f5f5f5",
}

// WriteSVG draws the layout. All labels are escaped.
func (l *Layout) WriteSVG(w io.Writer) error {
	pos := map[string]Box{}
	for _, b := range l.Boxes {
		pos[b.ID] = b
	}
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", l.Width, l.Height)
	p(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z"/></marker></defs>` + "\n")
	for _, e := range l.Edges {
		a, ok1 := pos[e.From]
		b, ok2 := pos[e.To]
		if !ok1 || !ok2 {
			continue
		}
		dash := ""
		switch e.Kind {
		case EdgeCatch:
			dash = ` stroke-dasharray="6,4" stroke="#c62828"`
		case EdgeDefault:
			dash = ` stroke-dasharray="2,3" stroke="#333"`
		default:
			dash = ` stroke="#333"`
		}
		x1, y1, x2, y2 := a.X+a.W/2, a.Y+a.H, b.X+b.W/2, b.Y
		if b.Y <= a.Y { // a loop goes back up: route it around the right side
			p(`<path class="edge %s" d="M%d,%d C%d,%d %d,%d %d,%d" fill="none"%s marker-end="url(#arrow)"/>`+"\n",
				e.Kind, a.X+a.W, a.Y+a.H/2, a.X+a.W+60, a.Y, b.X+b.W+60, b.Y+b.H, b.X+b.W, b.Y+b.H/2, dash)
		} else {
			p(`<line class="edge %s" x1="%d" y1="%d" x2="%d" y2="%d"%s marker-end="url(#arrow)"/>`+"\n", e.Kind, x1, y1, x2, y2, dash)
		}
		label := e.Label
		if e.Kind == EdgeDefault && label == "" {
			label = "Default"
		}
		if label != "" {
			p(`<text x="%d" y="%d">%s</text>`+"\n", (x1+x2)/2+4, (y1+y2)/2, html.EscapeString(label))
		}
	}
	for _, b := range l.Boxes {
		p(`<g class="state" data-state="%s"><rect x="%d" y="%d" width="%d" height="%d" rx="6" fill="%s" stroke="#555"/>`,
			html.EscapeString(b.ID), b.X, b.Y, b.W, b.H, statusFill[b.Status])
		p(`<text x="%d" y="%d" text-anchor="middle">%s</text></g>`+"\n", b.X+b.W/2, b.Y+b.H/2+4, html.EscapeString(b.Label))
	}
	_, err := fmt.Fprintln(w, "</svg>")
	return err
}
