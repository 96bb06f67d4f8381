package sfntest

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/statemachine/graph"
)

// Environment variables read by [Main].
const (
	// EnvCover, when set (to anything but "" or "0"), prints the coverage
	// table after the tests.
	EnvCover = "STEPWISE_COVER"
	// EnvCoverJSON is a file to write the coverage report to, as JSON
	// (relative paths are relative to the package directory go test runs
	// in).
	EnvCoverJSON = "STEPWISE_COVER_JSON"
	// EnvCoverSVG is a directory to draw each workflow's coverage into,
	// as <workflow>.cover.svg.
	EnvCoverSVG = "STEPWISE_COVER_SVG"
)

// Main runs the package's tests and then reports coverage as the
// environment asks ([EnvCover], [EnvCoverJSON], [EnvCoverSVG]). Call it
// from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(sfntest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	if err := Report(os.Stdout, os.Getenv(EnvCover), os.Getenv(EnvCoverJSON), os.Getenv(EnvCoverSVG)); err != nil {
		fmt.Fprintln(os.Stderr, "sfntest:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Report writes the coverage of this process's runs: the table to w when
// table is set (not "" or "0"), JSON to jsonFile and SVG drawings into
// svgDir when they are not "".
func Report(w io.Writer, table, jsonFile, svgDir string) error {
	covs := Coverages()
	if table != "" && table != "0" {
		WriteTable(w, covs)
	}
	if jsonFile != "" {
		f, err := os.Create(jsonFile)
		if err != nil {
			return fmt.Errorf("%s: %w", EnvCoverJSON, err)
		}
		if err := WriteJSON(f, covs); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if svgDir != "" {
		if err := os.MkdirAll(svgDir, 0o755); err != nil {
			return fmt.Errorf("%s: %w", EnvCoverSVG, err)
		}
		for _, c := range covs {
			f, err := os.Create(filepath.Join(svgDir, c.Workflow+".cover.svg"))
			if err != nil {
				return err
			}
			if err := c.WriteSVG(f); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Count is a covered/total pair.
type Count struct {
	Covered int     `json:"covered"`
	Total   int     `json:"total"`
	Percent float64 `json:"percent"`
}

func (c *Count) add(hit bool) {
	c.Total++
	if hit {
		c.Covered++
	}
}

func (c Count) String() string {
	if c.Total == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d %3.0f%%", c.Covered, c.Total, c.Percent)
}

// Summary totals a workflow's coverage by kind.
type Summary struct {
	States   Count `json:"states"`
	Choices  Count `json:"choiceRules"`
	Retries  Count `json:"retriers"`
	Catches  Count `json:"catchers"`
	Branches Count `json:"branches"`
	// Uncovered names what no run exercised ("state Merge", "choice
	// Decision rule 0", "catch Plan[0] (States.ALL)", ...).
	Uncovered []string `json:"uncovered"`
}

// Summary computes the totals and the list of uncovered parts.
func (c *Coverage) Summary() Summary {
	var s Summary
	miss := func(format string, a ...any) { s.Uncovered = append(s.Uncovered, fmt.Sprintf(format, a...)) }
	for _, n := range c.def.order {
		st := c.def.states[n]
		s.States.add(c.States[n] > 0)
		if c.States[n] == 0 {
			miss("state %s", n)
		}
		if counts, ok := c.Choices[n]; ok {
			for k := range st.Choices {
				s.Choices.add(counts[k] > 0)
				if counts[k] == 0 {
					miss("choice %s rule %d (→ %s)", n, k, st.Choices[k])
				}
			}
			if st.Default != "" {
				s.Choices.add(counts[len(st.Choices)] > 0)
				if counts[len(st.Choices)] == 0 {
					miss("choice %s Default (→ %s)", n, st.Default)
				}
			}
		}
		for k, errs := range st.Retry {
			if st.NoRetry[k] {
				continue
			}
			s.Retries.add(c.Retries[n][k] > 0)
			if c.Retries[n][k] == 0 {
				miss("retry %s[%d] (%s)", n, k, strings.Join(errs, ", "))
			}
		}
		for k, ct := range st.Catch {
			s.Catches.add(c.Catches[n][k] > 0)
			if c.Catches[n][k] == 0 {
				miss("catch %s[%d] (%s → %s)", n, k, strings.Join(ct.Errors, ", "), ct.Next)
			}
		}
		for k := range st.Branches {
			s.Branches.add(c.Branches[n][k] > 0)
			if c.Branches[n][k] == 0 {
				if st.Type == "Parallel" {
					miss("branch %s#%d", n, k)
				} else {
					miss("iterations of %s", n)
				}
			}
		}
	}
	for _, x := range []*Count{&s.States, &s.Choices, &s.Retries, &s.Catches, &s.Branches} {
		if x.Total > 0 {
			x.Percent = float64(int(1000*float64(x.Covered)/float64(x.Total))) / 10
		}
	}
	return s
}

// WriteTable prints one line per workflow and the parts no run covered.
func WriteTable(w io.Writer, covs []*Coverage) {
	fmt.Fprintf(w, "\nworkflow coverage (sfntest)\n%-24s %5s  %-13s %-13s %-13s %-13s %-13s\n", "workflow", "runs", "states", "choice rules", "catchers", "retriers", "branches")
	for _, c := range covs {
		s := c.Summary()
		fmt.Fprintf(w, "%-24s %5d  %-13s %-13s %-13s %-13s %-13s\n", c.Workflow, c.Runs, s.States, s.Choices, s.Catches, s.Retries, s.Branches)
		for _, u := range s.Uncovered {
			fmt.Fprintf(w, "    not covered: %s\n", u)
		}
	}
}

// WriteJSON writes the coverage report as JSON:
// {"workflows":[{"workflow","file","runs","summary":{...},"states":{...},...}]}.
func WriteJSON(w io.Writer, covs []*Coverage) error {
	type entry struct {
		*Coverage
		Summary Summary `json:"summary"`
	}
	out := struct {
		Workflows []entry `json:"workflows"`
	}{Workflows: []entry{}}
	for _, c := range covs {
		out.Workflows = append(out.Workflows, entry{c, c.Summary()})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteSVG draws the workflow with statemachine/graph: each state with its
// visit count, green when it and everything in it was covered, orange when
// visited with a Choice rule, retrier or catcher never taken, red when
// never visited; edges carry their counts and the ones never taken are
// marked "✗".
func (c *Coverage) WriteSVG(w io.Writer) error {
	g := &graph.Graph{}
	d := c.def
	for _, n := range d.order {
		st := d.states[n]
		status := "succeeded"
		switch {
		case c.States[n] == 0:
			status = "failed"
		case anyZero(c.Choices[n][:min(len(c.Choices[n]), len(st.Choices))]) || st.Default != "" && c.Choices[n][len(st.Choices)] == 0 ||
			anyZero(c.Retries[n]) || anyZero(c.Catches[n]):
			status = "caught"
		}
		g.Nodes = append(g.Nodes, graph.Node{ID: n, Label: n + " ×" + strconv.Itoa(c.States[n]), Status: status})
	}
	mark := func(n int) string {
		if n == 0 {
			return "✗ "
		}
		return "×" + strconv.Itoa(n) + " "
	}
	for _, n := range d.order {
		st := d.states[n]
		if st.Next != "" {
			g.Edges = append(g.Edges, graph.Edge{From: n, To: st.Next, Kind: graph.EdgeNext})
		}
		for k, next := range st.Choices {
			g.Edges = append(g.Edges, graph.Edge{From: n, To: next, Kind: graph.EdgeChoice, Label: mark(c.Choices[n][k]) + "rule " + strconv.Itoa(k)})
		}
		if st.Default != "" {
			g.Edges = append(g.Edges, graph.Edge{From: n, To: st.Default, Kind: graph.EdgeDefault, Label: mark(c.Choices[n][len(st.Choices)]) + "Default"})
		}
		for k, ct := range st.Catch {
			g.Edges = append(g.Edges, graph.Edge{From: n, To: ct.Next, Kind: graph.EdgeCatch, Label: mark(c.Catches[n][k]) + strings.Join(ct.Errors, ",")})
		}
		for k, b := range st.Branches {
			g.Edges = append(g.Edges, graph.Edge{From: n, To: b.startAt, Kind: graph.EdgeNext, Label: mark(c.Branches[n][k]) + "branch"})
		}
	}
	return g.Layout().WriteSVG(w)
}

func anyZero(v []int) bool {
	for _, x := range v {
		if x == 0 {
			return true
		}
	}
	return false
}
