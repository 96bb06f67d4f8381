package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	svggraph "github.com/stepwise-dev/stepwise/statemachine/graph"
	"github.com/stepwise-dev/stepwise/statemachine/validate"
)

func newGraphCmd() *command {
	return &command{
		name: "graph", args: "<asl-file> [--format mermaid|dot|svg]",
		summary: "Validate, then draw a state machine as Mermaid or Graphviz DOT: conditions on Choice edges, Default, Catch, nested branches.",
		examples: []string{
			"runner graph statemachine/export.asl.json > export.mmd",
			"runner graph statemachine/export.asl.json --format dot | dot -Tsvg > export.svg",
		},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			format := fs.String("format", "mermaid", "mermaid, dot or svg")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 1, 1, "ASL file"); err != nil {
					return err
				}
				if *format != "mermaid" && *format != "dot" && *format != "svg" {
					return usagef("--format must be mermaid, dot or svg, not %q", *format)
				}
				file := args[0]
				data, err := os.ReadFile(file)
				if err != nil {
					return err
				}
				// Draw only what would deploy: the same checks and the same
				// diagnostics as 'runner validate' (an edge to a state that
				// does not exist is a bug to fix, not a line to draw).
				rendered := renderForValidation(data)
				ds := validate.Report(rendered, validate.Options{CheckJSONata: checkJSONata, Source: data})
				if validate.HasErrors(ds) {
					for _, d := range ds {
						fmt.Fprintln(a.stderr, formatDiagnostic(file, d))
					}
					return &exitStatus{code: exitError, msg: fmt.Sprintf("%s: not a valid state machine (%s); nothing drawn", file, plural(len(ds), "problem"))}
				}
				var m aslMachine
				dec := json.NewDecoder(bytes.NewReader(rendered))
				dec.UseNumber() // choice labels show numbers as written
				if err := dec.Decode(&m); err != nil {
					return fmt.Errorf("%s: %v", file, err)
				}
				g := buildGraph(&m)
				switch *format {
				case "svg":
					// The web console's renderer: Map and Parallel
					// branches drawn as frames, states keyed by name.
					sg, err := svggraph.FromASL(rendered)
					if err != nil {
						return fmt.Errorf("%s: %v", file, err)
					}
					return sg.Layout().WriteSVG(a.stdout)
				case "dot":
					g.writeDOT(a.stdout)
				default:
					g.writeMermaid(a.stdout)
				}
				return nil
			}
		},
	}
}

// aslMachine is the part of an ASL document a graph needs.
type aslMachine struct {
	StartAt string               `json:"StartAt"`
	States  map[string]*aslState `json:"States"`
}

type aslState struct {
	Type    string           `json:"Type"`
	Next    string           `json:"Next"`
	End     bool             `json:"End"`
	Default string           `json:"Default"`
	Choices []map[string]any `json:"Choices"`
	Catch   []struct {
		ErrorEquals []string `json:"ErrorEquals"`
		Next        string   `json:"Next"`
	} `json:"Catch"`
	Branches      []*aslMachine `json:"Branches"`
	ItemProcessor *aslMachine   `json:"ItemProcessor"`
	Iterator      *aslMachine   `json:"Iterator"`
}

type graphNode struct {
	id, label, shape string
}

// Kinds of edges; each is drawn its own way in both formats.
const (
	edgeNext    = iota // Next, End, Choice rules: solid
	edgeDefault        // a Choice's Default: thick (bold)
	edgeCatch          // Catch: dashed and red, labelled with the error names
	edgeBranch         // into a Parallel branch or Map processor: dotted
)

type graphEdge struct {
	from, to, label string
	kind            int
}

type graphCluster struct {
	id, label string
	nodes     []graphNode
	clusters  []*graphCluster
}

type graph struct {
	root  graphCluster
	edges []graphEdge
	n     int
}

func buildGraph(m *aslMachine) *graph {
	g := &graph{}
	g.root.nodes = append(g.root.nodes, graphNode{id: "begin", label: "Start", shape: "circle"}, graphNode{id: "finish", label: "End", shape: "circle"})
	first := g.addMachine(&g.root, m, "finish")
	g.edges = append(g.edges, graphEdge{from: "begin", to: first})
	return g
}

// addMachine adds m's states to c, wires terminal states to exit, and
// returns the node id of m's StartAt state.
func (g *graph) addMachine(c *graphCluster, m *aslMachine, exit string) string {
	g.n++
	prefix := fmt.Sprintf("s%d_", g.n)
	id := func(name string) string { return prefix + sanitizeID(name) }
	names := make([]string, 0, len(m.States))
	for name := range m.States {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := m.States[name]
		label := name + "\n" + s.Type
		shape := "box"
		switch s.Type {
		case "Choice":
			shape = "diamond"
		case "Succeed", "Fail":
			shape = "stadium"
		}
		type sub struct {
			label string
			m     *aslMachine
		}
		var nested []sub
		for i, b := range s.Branches {
			nested = append(nested, sub{fmt.Sprintf("%s branch %d", name, i+1), b})
		}
		if p := s.ItemProcessor; p != nil {
			nested = append(nested, sub{name + " (per item)", p})
		} else if p := s.Iterator; p != nil {
			nested = append(nested, sub{name + " (per item)", p})
		}
		c.nodes = append(c.nodes, graphNode{id: id(name), label: label, shape: shape})
		for _, n := range nested {
			cl := &graphCluster{id: fmt.Sprintf("%scluster_%d", prefix, len(c.clusters)), label: n.label}
			c.clusters = append(c.clusters, cl)
			start := g.addMachine(cl, n.m, id(name))
			g.edges = append(g.edges, graphEdge{from: id(name), to: start, label: "runs", kind: edgeBranch})
		}
		switch {
		case s.Type == "Choice":
			for _, rule := range s.Choices {
				next, _ := rule["Next"].(string)
				g.edges = append(g.edges, graphEdge{from: id(name), to: id(next), label: truncateLabel(choiceLabel(rule), maxLabel)})
			}
			if s.Default != "" {
				g.edges = append(g.edges, graphEdge{from: id(name), to: id(s.Default), label: "default", kind: edgeDefault})
			}
		case s.Next != "":
			g.edges = append(g.edges, graphEdge{from: id(name), to: id(s.Next)})
		case s.End || s.Type == "Succeed" || s.Type == "Fail":
			if s.Type != "Fail" {
				label := ""
				if exit != "finish" {
					label = "done"
				}
				g.edges = append(g.edges, graphEdge{from: id(name), to: exit, label: label})
			}
		}
		for _, ct := range s.Catch {
			g.edges = append(g.edges, graphEdge{from: id(name), to: id(ct.Next), label: truncateLabel("catch "+strings.Join(ct.ErrorEquals, ", "), maxLabel), kind: edgeCatch})
		}
	}
	return id(m.StartAt)
}

// maxLabel is the most characters an edge label shows; longer conditions
// end in "…" (the file has the rest).
const maxLabel = 60

// truncateLabel shortens s to at most n characters, cutting at a blank
// when one is in the second half so that no word is cut in two.
func truncateLabel(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := n - 1
	for i := cut; i > n/2; i-- {
		if r[i] == ' ' {
			cut = i
			break
		}
	}
	return strings.TrimRight(string(r[:cut]), " ") + "…"
}

// choiceOps are the infix forms of the Choice comparison operators.
var choiceOps = map[string]string{
	"Equals": "==", "LessThan": "<", "GreaterThan": ">", "LessThanEquals": "<=", "GreaterThanEquals": ">=",
}

// choiceLabel writes a Choice rule compactly: "$.total > 100",
// "$.x == \"a\"", "$.a >= $.b", "$.x is present", "!($.x == 1)",
// "$.a > 1 && ($.b == 2 || $.c == 3)"; a JSONata Condition as its
// expression text with blanks collapsed.
func choiceLabel(rule map[string]any) string {
	if c, ok := rule["Condition"]; ok {
		if s, ok := c.(string); ok {
			s = strings.TrimSpace(s)
			if strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}") {
				s = s[2 : len(s)-2]
			}
			return strings.Join(strings.Fields(s), " ")
		}
		return fmt.Sprint(c)
	}
	if list, ok := rule["And"].([]any); ok {
		return joinRules(list, " && ")
	}
	if list, ok := rule["Or"].([]any); ok {
		return joinRules(list, " || ")
	}
	if not, ok := rule["Not"].(map[string]any); ok {
		return "!(" + choiceLabel(not) + ")"
	}
	v, _ := rule["Variable"].(string)
	for op, operand := range rule {
		switch op {
		case "Variable", "Next", "Comment", "Assign":
			continue
		case "StringMatches":
			return v + " matches " + operandText(operand)
		case "IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp":
			what := strings.ToLower(strings.TrimPrefix(op, "Is"))
			if b, _ := operand.(bool); b {
				return v + " is " + what
			}
			return v + " is not " + what
		}
		base := strings.TrimSuffix(op, "Path")
		for _, typ := range []string{"String", "Numeric", "Boolean", "Timestamp"} {
			if sym, ok := choiceOps[strings.TrimPrefix(base, typ)]; ok && strings.HasPrefix(base, typ) {
				if base != op { // a *Path operator compares with another path
					s, _ := operand.(string)
					return v + " " + sym + " " + s
				}
				return v + " " + sym + " " + operandText(operand)
			}
		}
	}
	return v
}

func joinRules(list []any, sep string) string {
	parts := make([]string, 0, len(list))
	for _, r := range list {
		m, _ := r.(map[string]any)
		p := choiceLabel(m)
		if _, and := m["And"]; and {
			p = "(" + p + ")"
		} else if _, or := m["Or"]; or {
			p = "(" + p + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, sep)
}

// operandText writes a literal operand as JSON: strings quoted, numbers as
// written in the file.
func operandText(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// sanitizeID turns a state name into a node id both formats accept
// unquoted: letters and digits stay, "_" doubles and any other character
// becomes "_hex_", so that distinct names never share a node ("a b" is
// a_20_b, "a_20_b" is a__20__b).
func sanitizeID(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '_':
			b.WriteString("__")
		case (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'):
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "_%x_", r)
		}
	}
	return b.String()
}

// mermaidText escapes text for a double-quoted Mermaid label. Mermaid
// reads "#name;" and "#code;" as entities, renders labels as HTML and ends
// an edge label at '|', so those characters become entity codes; a line
// break becomes <br/>.
var mermaidText = strings.NewReplacer(
	"#", "#35;", `"`, "#quot;", "<", "#lt;", ">", "#gt;", "&", "#amp;",
	"|", "#124;", "`", "#96;", "\n", "<br/>",
).Replace

// dotQuote writes text as a double-quoted DOT string: backslashes and
// quotes escaped (DOT reads \n, \l and \r as line breaks, so a literal
// backslash must be doubled), line breaks as \n.
func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", "").Replace(s) + `"`
}

func (g *graph) writeMermaid(w io.Writer) {
	fmt.Fprintln(w, "flowchart TD")
	var cluster func(c *graphCluster, indent string)
	cluster = func(c *graphCluster, indent string) {
		for _, n := range c.nodes {
			open, close := "[", "]"
			switch n.shape {
			case "diamond":
				open, close = "{", "}"
			case "circle":
				open, close = "((", "))"
			case "stadium":
				open, close = "([", "])"
			}
			fmt.Fprintf(w, "%s%s%s\"%s\"%s\n", indent, n.id, open, mermaidText(n.label), close)
		}
		for _, sub := range c.clusters {
			fmt.Fprintf(w, "%ssubgraph %s[\"%s\"]\n", indent, sub.id, mermaidText(sub.label))
			cluster(sub, indent+"  ")
			fmt.Fprintf(w, "%send\n", indent)
		}
	}
	cluster(&g.root, "  ")
	var catches []string
	for i, e := range g.edges {
		arrow := "-->"
		switch e.kind {
		case edgeDefault:
			arrow = "==>"
		case edgeCatch:
			arrow = "-.->"
			catches = append(catches, fmt.Sprint(i))
		case edgeBranch:
			arrow = "-.->"
		}
		if e.label != "" {
			fmt.Fprintf(w, "  %s %s|\"%s\"| %s\n", e.from, arrow, mermaidText(e.label), e.to)
		} else {
			fmt.Fprintf(w, "  %s %s %s\n", e.from, arrow, e.to)
		}
	}
	if len(catches) > 0 {
		// Catch edges in red, so that they stand apart from the dotted
		// edges into branches.
		fmt.Fprintf(w, "  linkStyle %s stroke:#c0392b,color:#c0392b\n", strings.Join(catches, ","))
	}
}

func (g *graph) writeDOT(w io.Writer) {
	fmt.Fprintln(w, "digraph statemachine {")
	fmt.Fprintln(w, "  node [fontname=\"Helvetica\"];")
	fmt.Fprintln(w, "  edge [fontname=\"Helvetica\"];")
	var cluster func(c *graphCluster, indent string)
	cluster = func(c *graphCluster, indent string) {
		for _, n := range c.nodes {
			shape := map[string]string{"box": "box", "diamond": "diamond", "circle": "circle", "stadium": "box"}[n.shape]
			style := ""
			if n.shape == "stadium" {
				style = ", style=rounded"
			}
			fmt.Fprintf(w, "%s%s [label=%s, shape=%s%s];\n", indent, n.id, dotQuote(n.label), shape, style)
		}
		for _, sub := range c.clusters {
			fmt.Fprintf(w, "%ssubgraph cluster_%s {\n%s  label=%s;\n", indent, sub.id, indent, dotQuote(sub.label))
			cluster(sub, indent+"  ")
			fmt.Fprintf(w, "%s}\n", indent)
		}
	}
	cluster(&g.root, "  ")
	for _, e := range g.edges {
		var attrs []string
		if e.label != "" {
			attrs = append(attrs, "label="+dotQuote(e.label))
		}
		switch e.kind {
		case edgeDefault:
			attrs = append(attrs, "style=bold")
		case edgeCatch:
			attrs = append(attrs, "style=dashed", `color="#c0392b"`, `fontcolor="#c0392b"`)
		case edgeBranch:
			attrs = append(attrs, "style=dotted")
		}
		if len(attrs) > 0 {
			fmt.Fprintf(w, "  %s -> %s [%s];\n", e.from, e.to, strings.Join(attrs, ", "))
		} else {
			fmt.Fprintf(w, "  %s -> %s;\n", e.from, e.to)
		}
	}
	fmt.Fprintln(w, "}")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
