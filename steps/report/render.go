package report

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Header returns the output column names: the group-by columns, then one
// per aggregate ("count", "sum(amount)", ...).
func Header(groupBy []string, aggs []Aggregate) []string {
	h := slices.Clone(groupBy)
	for _, a := range aggs {
		if a.Column == "" {
			h = append(h, a.Op)
		} else {
			h = append(h, a.Op+"("+a.Column+")")
		}
	}
	return h
}

// Rows returns one row per group, ordered by keys.
func (p *Partial) Rows() [][]string {
	var out [][]string
	for _, g := range p.SortedGroups() {
		row := slices.Clone(g.Keys)
		for i := range p.Aggs {
			row = append(row, g.Value(p.Aggs, i))
		}
		out = append(out, row)
	}
	return out
}

// WriteCSV writes the header and the groups as RFC 4180 CSV.
func (p *Partial) WriteCSV(w io.Writer, groupBy []string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Header(groupBy, p.Aggs)); err != nil {
		return err
	}
	if err := cw.WriteAll(p.Rows()); err != nil {
		return fmt.Errorf("report csv: %w", err)
	}
	return nil
}

type bar struct {
	Label       string
	Y, W, TextX int
	Value       string
}

var page = template.Must(template.New("report").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px}</style>
</head><body><h1>{{.Title}}</h1>
<svg xmlns="http://www.w3.org/2000/svg" width="640" height="{{.Height}}" role="img" aria-label="top groups by {{.Measure}}">
{{range .Bars}}<text x="0" y="{{.Y}}" dy="14" font-size="12">{{.Label}}</text><rect x="200" y="{{.Y}}" width="{{.W}}" height="18" fill="#4a7bb7"/><text x="{{.TextX}}" y="{{.Y}}" dy="14" font-size="12">{{.Value}}</text>
{{end}}</svg>
<table><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table></body></html>
`))

// WriteHTML writes a self-contained page (no external assets): a bar chart
// of the top groups by the first aggregate, then the table of every group.
func (p *Partial) WriteHTML(w io.Writer, title string, groupBy []string, top int) error {
	rows := p.Rows()
	n := len(groupBy)
	byMeasure := slices.Clone(rows)
	// The chart is a picture only; the table and the CSV carry exact values.
	num := func(r []string) float64 { f, _ := strconv.ParseFloat(r[n], 64); return f }
	slices.SortStableFunc(byMeasure, func(a, b []string) int { return -cmpFloat(num(a), num(b)) })
	if len(p.Aggs) == 0 {
		top = 0
	}
	byMeasure = byMeasure[:min(top, len(byMeasure))]
	var maxV float64
	for _, r := range byMeasure {
		maxV = max(maxV, num(r))
	}
	var bars []bar
	for i, r := range byMeasure {
		wdt := 0
		if maxV > 0 {
			wdt = int(num(r) / maxV * 380)
		}
		bars = append(bars, bar{Label: barLabel(r[:n]), Y: i * 22, W: max(wdt, 0), TextX: 205 + max(wdt, 0), Value: r[n]})
	}
	header := Header(groupBy, p.Aggs)
	measure := ""
	if len(p.Aggs) > 0 {
		measure = header[n]
	}
	return page.Execute(w, map[string]any{
		"Title": title, "Header": header, "Rows": rows, "Bars": bars,
		"Height": len(bars)*22 + 4, "Measure": measure,
	})
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// barLabel names a group in the chart: its keys joined by " / ", an empty
// key shown as "(empty)".
func barLabel(keys []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		if k == "" {
			k = "(empty)"
		}
		parts[i] = k
	}
	if len(parts) == 0 {
		return "(all rows)"
	}
	return strings.Join(parts, " / ")
}
