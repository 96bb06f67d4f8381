package graph

import (
	"fmt"
	"strings"
	"testing"
)

func TestHundredStatesDoNotOverlap(t *testing.T) {
	var g Graph
	for i := 0; i < 100; i++ {
		g.Nodes = append(g.Nodes, Node{ID: fmt.Sprint("S", i), Label: fmt.Sprint("State ", i)})
		if i > 0 {
			g.Edges = append(g.Edges, Edge{From: fmt.Sprint("S", i/3), To: fmt.Sprint("S", i), Kind: EdgeNext})
		}
	}
	g.Edges = append(g.Edges, Edge{From: "S99", To: "S0", Kind: EdgeCatch}) // a loop
	l := g.Layout()
	if len(l.Boxes) != 100 {
		t.Fatalf("got %d boxes, want 100", len(l.Boxes))
	}
	for i, a := range l.Boxes {
		for _, b := range l.Boxes[i+1:] {
			if a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H {
				t.Fatalf("%s at (%d,%d) overlaps %s at (%d,%d)", a.ID, a.X, a.Y, b.ID, b.X, b.Y)
			}
		}
	}
}

func TestSVGEscapesLabels(t *testing.T) {
	g := Graph{Nodes: []Node{{ID: "a", Label: `<script>x</script>`}, {ID: "b", Label: `"onmouseover=`}},
		Edges: []Edge{{From: "a", To: "b", Kind: EdgeChoice, Label: `$.x == "<b>"`}}}
	var sb strings.Builder
	if err := g.Layout().WriteSVG(&sb); err != nil {
		t.Fatal(err)
	}
	s := sb.String()
	for _, bad := range []string{"<script>", `"onmouseover=`, "<b>"} {
		if strings.Contains(s, bad) {
			t.Errorf("SVG contains unescaped %q", bad)
		}
	}
}
