package main

import (
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestExportMatchesSequentialReference runs the whole export workflow on
// the embedded local stack (real engine, local S3 server, Distributed Map
// over the part manifest) through the runner, with a filter and a
// projection with a rename, small parts so that several run in parallel,
// and compares the downloaded result row for row with a reference computed
// here by one sequential encoding/csv pass. It runs twice: with the Go
// steps in-process, and with the real cmd/steps bootstrap (the binary
// deployed to Lambda, built for this machine) behind the local Lambda
// Runtime API.
func TestExportMatchesSequentialReference(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: runs the local stack")
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("STEPWISE_REPO", repo)
	t.Run("in-process", func(t *testing.T) { testExportMatchesReference(t, repo) })
	t.Run("bootstrap processes", func(t *testing.T) {
		bootstrap := filepath.Join(t.TempDir(), "bootstrap")
		build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bootstrap, "./cmd/steps")
		build.Dir = repo
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build cmd/steps: %v\n%s", err, out)
		}
		testExportMatchesReference(t, repo, "--bootstrap", bootstrap)
	})
}

func testExportMatchesReference(t *testing.T, repo string, flags ...string) {
	source := filepath.Join(repo, "testdata", "orders.csv")
	out := filepath.Join(t.TempDir(), "out.csv")
	dataDir := filepath.Join(t.TempDir(), ".stepwise")
	var stdout, stderr strings.Builder
	code := run(context.Background(), append([]string{
		"export", source,
		"--where", `total > 100 && country != "US"`,
		"--columns", "order_id,country:land,total,notes",
		"--part-size", "8KiB", "--max-concurrency", "4",
		"--yes", "--out", out, "--data-dir", dataDir,
	}, flags...), strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		log, _ := os.ReadFile(filepath.Join(dataDir, "steps.log"))
		t.Fatalf("runner export exited %d\nstdout:\n%s\nstderr:\n%s\nsteps.log:\n%s", code, stdout.String(), stderr.String(), log)
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
