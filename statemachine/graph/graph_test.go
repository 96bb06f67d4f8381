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

func TestFromASL(t *testing.T) {
	def := `{"StartAt":"C","States":{
	  "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":100,"Next":"P"},
	       {"And":[{"Variable":"$.k","StringEquals":"a"},{"Not":{"Variable":"$.x","IsPresent":true}}],"Next":"F"}],"Default":"M"},
	  "P":{"Type":"Parallel","Branches":[{"StartAt":"B1","States":{"B1":{"Type":"Pass","End":true}}},
	       {"StartAt":"B2","States":{"B2":{"Type":"Pass","End":true}}}],"Next":"M"},
	  "M":{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Task","Resource":"x","End":true}}},
	       "Catch":[{"ErrorEquals":["States.ALL"],"Next":"F"}],"End":true},
	  "F":{"Type":"Fail"}}}`
	g, err := FromASL([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]string{}
	for _, n := range g.Nodes {
		groups[n.ID] = n.Group
	}
	if groups["B1"] != "P" || groups["B2"] != "P" || groups["I"] != "M" || groups["C"] != "" {
		t.Errorf("groups = %v", groups)
	}
	var labels []string
	for _, e := range g.Edges {
		labels = append(labels, e.Kind+":"+e.From+">"+e.To+":"+e.Label)
	}
	got := strings.Join(labels, "\n")
	for _, want := range []string{
		"choice:C>P:$.n > 100", `choice:C>F:$.k == "a" && !($.x is present)`, "default:C>M:Default",
		"catch:M>F:catch States.ALL", "branch:P>B1:", "branch:B1>M:", "branch:M>I:", "branch:I>" + EndID + ":",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no edge %q in\n%s", want, got)
		}
	}
	l := g.Layout()
	if len(l.Groups) != 2 {
		t.Fatalf("groups %+v", l.Groups)
	}
	y := map[string]int{}
	for _, b := range l.Boxes {
		y[b.ID] = b.Y
	}
	if !(y["P"] < y["B1"] && y["B1"] < y["M"] && y["M"] < y["I"]) {
		t.Errorf("branch states are not between their Parallel and what follows: %v", y)
	}
	if _, err := FromASL([]byte(`{"States":{}}`)); err == nil {
		t.Error("no error for a definition without StartAt")
	}
}
