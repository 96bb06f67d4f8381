package report

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/stepwise-dev/stepwise/steps/objstore"
)

// Outputs are the keys the reduce wrote, in the bucket it was given.
type Outputs struct {
	CSV    string `json:"csv"`
	HTML   string `json:"html"`
	JSON   string `json:"json"`
	Groups int    `json:"groups"`
	// Rows is the number of rows the groups hold (after the filter).
	Rows int64 `json:"rows"`
}

// Limits bound what a partial or the reduce keeps in memory (0: no bound).
type Limits struct {
	Groups   int // distinct groups
	Distinct int // distinct values kept for count_distinct, all groups together
}

// Results is report.json: the report's table as JSON, the values as the
// CSV writes them (exact decimals as strings).
type Results struct {
	Title   string     `json:"title"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// Publish writes the merged partial all as <prefix>report.csv,
// report.html and report.json. Same partial, same bytes, so a retried
// reduce is idempotent.
func Publish(ctx context.Context, st objstore.Store, bucket string, all *Partial, groupBy []string, prefix, title string) (Outputs, error) {
	out := Outputs{CSV: prefix + "report.csv", HTML: prefix + "report.html", JSON: prefix + "report.json", Groups: len(all.Groups)}
	for _, g := range all.Groups {
		out.Rows += g.Count
	}
	var c, h bytes.Buffer
	if err := all.WriteCSV(&c, groupBy); err != nil {
		return Outputs{}, err
	}
	if err := all.WriteHTML(&h, title, groupBy, 20); err != nil {
		return Outputs{}, err
	}
	res := Results{Title: title, Columns: Header(groupBy, all.Aggs), Rows: all.Rows()}
	if res.Rows == nil {
		res.Rows = [][]string{}
	}
	j, err := json.Marshal(res)
	if err != nil {
		return Outputs{}, err
	}
	for _, f := range []struct {
		key, ctype string
		body       []byte
	}{{out.CSV, "text/csv; charset=utf-8", c.Bytes()}, {out.HTML, "text/html; charset=utf-8", h.Bytes()}, {out.JSON, "application/json", j}} {
		if _, err := st.Put(ctx, bucket, f.key, bytes.NewReader(f.body), f.ctype); err != nil {
			return Outputs{}, err
		}
	}
	return out, nil
}
