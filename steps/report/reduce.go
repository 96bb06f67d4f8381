package report

import (
	"bytes"
	"context"
	"fmt"

	"github.com/stepwise-dev/stepwise/steps/objstore"
	"github.com/stepwise-dev/stepwise/steps/stepkit"
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

// Reduce merges the partials stored at partKeys (in order; a missing or
// malformed one is an error naming its key), bounded by lim, and
// writes <prefix>report.csv, report.html and report.json (the merged
// partial). Same inputs give the same bytes, so a retried reduce is
// idempotent.
func Reduce(ctx context.Context, st objstore.Store, bucket string, partKeys []string, groupBy []string, aggs []Aggregate, lim Limits, prefix, title string) (Outputs, error) {
	all := NewPartial(aggs, lim.Groups)
	all.MaxDistinct = lim.Distinct
	for _, k := range partKeys {
		var p Partial
		if err := stepkit.ReadJSON(ctx, st, bucket, k, &p); err != nil {
			return Outputs{}, fmt.Errorf("s3://%s/%s: %w", bucket, k, err)
		}
		if err := all.Merge(&p); err != nil {
			return Outputs{}, fmt.Errorf("merging s3://%s/%s: %w", bucket, k, err)
		}
	}
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
	if _, err := st.Put(ctx, bucket, out.CSV, &c, "text/csv; charset=utf-8"); err != nil {
		return Outputs{}, err
	}
	if _, err := st.Put(ctx, bucket, out.HTML, &h, "text/html; charset=utf-8"); err != nil {
		return Outputs{}, err
	}
	if _, err := stepkit.WriteJSON(ctx, st, bucket, out.JSON, all); err != nil {
		return Outputs{}, err
	}
	return out, nil
}
