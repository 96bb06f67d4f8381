package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Report aggregates case results in the format the issue defines.
type Report struct {
	Total      int                       `json:"total"`
	Passed     int                       `json:"passed"`
	Categories map[string]*CategoryCount `json:"categories"`
	Failures   []Failure                 `json:"failures"`
	// patterns is not part of the JSON report; it feeds the grouping.
	patterns map[string]string
}

// CategoryCount is one category's totals.
type CategoryCount struct {
	Total  int `json:"total"`
	Passed int `json:"passed"`
}

// Rate is the pass rate in [0, 1]; an empty category counts as 1.
func (c *CategoryCount) Rate() float64 {
	if c.Total == 0 {
		return 1
	}
	return float64(c.Passed) / float64(c.Total)
}

// Failure is one failed case in the JSON report.
type Failure struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// NewReport returns an empty report.
func NewReport() *Report {
	return &Report{Categories: map[string]*CategoryCount{}, Failures: []Failure{}, patterns: map[string]string{}}
}

// Add records one result.
func (r *Report) Add(res Result) {
	r.Total++
	cc := r.Categories[res.Category]
	if cc == nil {
		cc = &CategoryCount{}
		r.Categories[res.Category] = cc
	}
	cc.Total++
	if res.Passed {
		r.Passed++
		cc.Passed++
		return
	}
	r.Failures = append(r.Failures, Failure{Name: res.ID, Reason: res.Reason})
	r.patterns[res.ID] = res.Pattern
}

// Sort orders failures by name, for stable output.
func (r *Report) Sort() {
	sort.Slice(r.Failures, func(i, j int) bool { return r.Failures[i].Name < r.Failures[j].Name })
}

// WriteJSON writes the machine-readable report.
func (r *Report) WriteJSON(w io.Writer) error {
	r.Sort()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Table renders the per-category table as Markdown.
func (r *Report) Table() string {
	var b strings.Builder
	cats := make([]string, 0, len(r.Categories))
	for c := range r.Categories {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	fmt.Fprintf(&b, "| category | passed | total | rate |\n|---|---:|---:|---:|\n")
	for _, c := range cats {
		cc := r.Categories[c]
		fmt.Fprintf(&b, "| %s | %d | %d | %.1f%% |\n", c, cc.Passed, cc.Total, 100*cc.Rate())
	}
	all := CategoryCount{Total: r.Total, Passed: r.Passed}
	fmt.Fprintf(&b, "| **all** | %d | %d | %.1f%% |\n", r.Passed, r.Total, 100*all.Rate())
	return b.String()
}

// Subtotal adds up the categories for which keep returns true.
func (r *Report) Subtotal(keep func(category string) bool) CategoryCount {
	var sum CategoryCount
	for c, cc := range r.Categories {
		if keep(c) {
			sum.Total += cc.Total
			sum.Passed += cc.Passed
		}
	}
	return sum
}

// Group is a set of failures that share a reason pattern.
type Group struct {
	Pattern  string
	Failures []Failure
}

// Groups returns failures grouped by pattern, most frequent first.
func (r *Report) Groups() []Group {
	r.Sort()
	idx := map[string]int{}
	var groups []Group
	for _, f := range r.Failures {
		p := r.patterns[f.Name]
		if p == "" {
			p = f.Reason
		}
		i, ok := idx[p]
		if !ok {
			i = len(groups)
			idx[p] = i
			groups = append(groups, Group{Pattern: p})
		}
		groups[i].Failures = append(groups[i].Failures, f)
	}
	sort.SliceStable(groups, func(i, j int) bool { return len(groups[i].Failures) > len(groups[j].Failures) })
	return groups
}

// WriteMarkdown writes the team-facing summary: the table, then the
// failure groups (most frequent first) with up to two examples each.
func (r *Report) WriteMarkdown(w io.Writer, header string) error {
	var b strings.Builder
	b.WriteString(header)
	b.WriteString("\n## Per category\n\n")
	b.WriteString(r.Table())
	groups := r.Groups()
	fmt.Fprintf(&b, "\n## Failures grouped by reason (%d failures, %d groups)\n\n", len(r.Failures), len(groups))
	for _, g := range groups {
		fmt.Fprintf(&b, "### %d × %s\n", len(g.Failures), g.Pattern)
		for i, f := range g.Failures {
			if i == 2 {
				break
			}
			fmt.Fprintf(&b, "- `%s`: %s\n", f.Name, f.Reason)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
