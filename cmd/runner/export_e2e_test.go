package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestExportMatchesSequentialReference runs the whole export workflow on
// the embedded local stack (real engine, local S3 server, in-process Go
// steps, Distributed Map over the part manifest) through the runner, with
// a filter and a projection with a rename, small parts so that several run
// in parallel, and compares the downloaded result row for row with a
// reference computed here by one sequential encoding/csv pass.
func TestExportMatchesSequentialReference(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: runs the local stack")
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("STEPWISE_REPO", repo)
	source := filepath.Join(repo, "testdata", "orders.csv")
	out := filepath.Join(t.TempDir(), "out.csv")
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{
		"export", source,
		"--where", `total > 100 && country != "US"`,
		"--columns", "order_id,country:land,total,notes",
		"--part-size", "8KiB", "--max-concurrency", "4",
		"--yes", "--out", out, "--data-dir", filepath.Join(t.TempDir(), ".stepwise"),
	}, strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("runner export exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}

	// The reference: read the source once, filter and project by hand.
	f, err := os.Open(source)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[h] = i
	}
	want := [][]string{{"order_id", "land", "total", "notes"}}
	for _, r := range records[1:] {
		total, err := strconv.ParseFloat(r[col["total"]], 64)
		if err != nil || !(total > 100) || r[col["country"]] == "US" {
			continue
		}
		want = append(want, []string{r[col["order_id"]], r[col["country"]], r[col["total"]], r[col["notes"]]})
	}
	if len(want) < 100 {
		t.Fatalf("reference has only %d rows: the sample data changed?", len(want)-1)
	}

	g, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	got, err := csv.NewReader(g).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("export has %d rows, reference %d", len(got)-1, len(want)-1)
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("row %d differs:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
	if !strings.Contains(stdout.String(), "exported "+strconv.Itoa(len(want)-1)+" rows") {
		t.Errorf("stdout does not report %d rows: %s", len(want)-1, stdout.String())
	}
}
