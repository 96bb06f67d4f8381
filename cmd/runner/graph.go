package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

func init() {
	register(&command{
		name: "graph", args: "<asl-file> [--format mermaid|dot]",
		summary: "Draw a state machine as a Mermaid or Graphviz DOT graph, with Choice, Default, Catch and End edges and nested Parallel/Map states.",
		examples: []string{
			"runner graph statemachine/export.asl.json > export.mmd",
			"runner graph statemachine/export.asl.json --format dot | dot -Tsvg > export.svg",
		},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			format := fs.String("format", "mermaid", "mermaid or dot")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 1, 1, "ASL file"); err != nil {
					return err
				}
				if *format != "mermaid" && *format != "dot" {
					return usagef("--format must be mermaid or dot, not %q", *format)
				}
				data, err := os.ReadFile(args[0])
				if err != nil {
					return err
				}
				var m aslMachine
				if err := json.Unmarshal(data, &m); err != nil {
					return fmt.Errorf("%s: not an ASL JSON document: %v", args[0], err)
				}
				if m.StartAt == "" || len(m.States) == 0 {
					return fmt.Errorf("%s: no StartAt or States (run 'runner validate %s')", args[0], args[0])
				}
				g := buildGraph(&m)
				if *format == "dot" {
					g.writeDOT(a.stdout)
				} else {
					g.writeMermaid(a.stdout)
				}
				return nil
			}
		},
	})
}

// aslMachine is the part of an ASL document a graph needs.
type aslMachine struct {
	StartAt string               `json:"StartAt"`
	States  map[string]*aslState `json:"States"`
}

type aslState struct {
	Type     string `json:"Type"`
	Next     string `json:"Next"`
	End      bool   `json:"End"`
	Default  string `json:"Default"`
	Resource string `json:"Resource"`
	Choices  []struct {
		Next      string `json:"Next"`
		Variable  string `json:"Variable"`
		Condition string `json:"Condition"`
	} `json:"Choices"`
	Catch []struct {
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

type graphEdge struct {
	from, to, label string
	dashed          bool
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
		label := name + "\\n" + s.Type
		shape := "box"
		switch s.Type {
		case "Choice":
			shape = "diamond"
		case "Succeed", "Fail":
			shape = "stadium"
		}
		var nested [][2]any // (cluster label, machine)
		for i, b := range s.Branches {
			nested = append(nested, [2]any{fmt.Sprintf("%s branch %d", name, i+1), b})
		}
		if p := s.ItemProcessor; p != nil {
			nested = append(nested, [2]any{name + " (per item)", p})
		} else if p := s.Iterator; p != nil {
			nested = append(nested, [2]any{name + " (per item)", p})
		}
		c.nodes = append(c.nodes, graphNode{id: id(name), label: label, shape: shape})
		for _, n := range nested {
			sub := &graphCluster{id: fmt.Sprintf("%scluster_%d", prefix, len(c.clusters)), label: n[0].(string)}
			c.clusters = append(c.clusters, sub)
			start := g.addMachine(sub, n[1].(*aslMachine), id(name))
			g.edges = append(g.edges, graphEdge{from: id(name), to: start, label: "runs", dashed: true})
		}
		switch {
		case s.Type == "Choice":
			for i, ch := range s.Choices {
				cond := ch.Condition
				if cond == "" {
					cond = ch.Variable
				}
				if cond == "" {
					cond = fmt.Sprintf("rule %d", i+1)
				}
				g.edges = append(g.edges, graphEdge{from: id(name), to: id(ch.Next), label: cond})
			}
			if s.Default != "" {
				g.edges = append(g.edges, graphEdge{from: id(name), to: id(s.Default), label: "default"})
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
			g.edges = append(g.edges, graphEdge{from: id(name), to: id(ct.Next), label: "catch " + strings.Join(ct.ErrorEquals, ", "), dashed: true})
		}
	}
	return id(m.StartAt)
}

func sanitizeID(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "_%x_", r)
		}
	}
	return b.String()
}

func (g *graph) writeMermaid(w io.Writer) {
	fmt.Fprintln(w, "flowchart TD")
	var cluster func(c *graphCluster, indent string)
	cluster = func(c *graphCluster, indent string) {
		for _, n := range c.nodes {
			label := strings.ReplaceAll(strings.ReplaceAll(n.label, `"`, "#quot;"), `\n`, "<br/>")
			open, close := "[", "]"
			switch n.shape {
			case "diamond":
				open, close = "{", "}"
			case "circle":
				open, close = "((", "))"
			case "stadium":
				open, close = "([", "])"
			}
			fmt.Fprintf(w, "%s%s%s\"%s\"%s\n", indent, n.id, open, label, close)
		}
		for _, sub := range c.clusters {
			fmt.Fprintf(w, "%ssubgraph %s[\"%s\"]\n", indent, sub.id, strings.ReplaceAll(sub.label, `"`, "#quot;"))
			cluster(sub, indent+"  ")
			fmt.Fprintf(w, "%send\n", indent)
		}
	}
	cluster(&g.root, "  ")
	for _, e := range g.edges {
		arrow := "-->"
		if e.dashed {
			arrow = "-.->"
		}
		if e.label != "" {
			fmt.Fprintf(w, "  %s %s|\"%s\"| %s\n", e.from, arrow, strings.ReplaceAll(e.label, `"`, "#quot;"), e.to)
		} else {
			fmt.Fprintf(w, "  %s %s %s\n", e.from, arrow, e.to)
		}
	}
}

func (g *graph) writeDOT(w io.Writer) {
	fmt.Fprintln(w, "digraph statemachine {")
	fmt.Fprintln(w, "  node [fontname=\"Helvetica\"];")
	var cluster func(c *graphCluster, indent string)
	cluster = func(c *graphCluster, indent string) {
		for _, n := range c.nodes {
			shape := map[string]string{"box": "box", "diamond": "diamond", "circle": "circle", "stadium": "box"}[n.shape]
			style := ""
			if n.shape == "stadium" {
				style = ", style=rounded"
			}
			fmt.Fprintf(w, "%s%s [label=%q, shape=%s%s];\n", indent, n.id, strings.ReplaceAll(n.label, `\n`, "\n"), shape, style)
		}
		for _, sub := range c.clusters {
			fmt.Fprintf(w, "%ssubgraph cluster_%s {\n%s  label=%q;\n", indent, sub.id, indent, sub.label)
			cluster(sub, indent+"  ")
			fmt.Fprintf(w, "%s}\n", indent)
		}
	}
	cluster(&g.root, "  ")
	for _, e := range g.edges {
		attrs := []string{}
		if e.label != "" {
			attrs = append(attrs, fmt.Sprintf("label=%q", e.label))
		}
		if e.dashed {
			attrs = append(attrs, "style=dashed")
		}
		if len(attrs) > 0 {
			fmt.Fprintf(w, "  %s -> %s [%s];\n", e.from, e.to, strings.Join(attrs, ", "))
		} else {
			fmt.Fprintf(w, "  %s -> %s;\n", e.from, e.to)
		}
	}
	fmt.Fprintln(w, "}")
}
