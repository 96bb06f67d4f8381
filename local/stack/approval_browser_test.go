package stack

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/chromedp/chromedp"

	"github.com/stepwise-dev/stepwise/steps/export"
)

// TestApprovalInChromium opens the link of an outbox notification in a
// headless Chromium, as an approver's mail client would, types a name and
// a comment and clicks Approve: the export succeeds and its manifest names
// them. The page runs no script (its CSP allows none), so this is the
// plain HTML form an e-mail client opens.
func TestApprovalInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the export workflow and a browser; skipped with -short")
	}
	path := os.Getenv("STEPWISE_CHROMIUM")
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path != "" {
			break
		}
		path, _ = exec.LookPath(name)
	}
	if path == "" {
		t.Skip("SKIP (loud): no Chromium found (install Debian's `chromium`, or set STEPWISE_CHROMIUM); the approval page was not clicked in a browser")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := startApprovalExports(ctx, t, "click-me")
	link := e.links["requests/click-me.json"]

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(what string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Text(css(`body`)))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(link), chromedp.WaitVisible(css(`button[value="approve"]`))); err != nil {
		t.Fatalf("open the link: %v", err)
	}
	before := text("read the page")
	if err := chromedp.Do(bctx,
		chromedp.SendKeys(css(`input[name="approver"]`), "ana@example.com"),
		chromedp.SendKeys(css(`textarea[name="comment"]`), "checked in the browser"),
		chromedp.Click(css(`button[value="approve"]`)),
		chromedp.WaitVisible(css(`p.done`)),
	); err != nil {
		t.Fatalf("approve: %v", err)
	}
	after := text("read the result")
	if !strings.Contains(before, "Approve this export?") || !strings.Contains(before, "orders-de-over-100") {
		t.Fatalf("the page before the click:\n%s", before)
	}
	if !strings.Contains(after, "Approved") || !strings.Contains(after, "ana@example.com") {
		t.Fatalf("the page after the click:\n%s", after)
	}
	d := waitForEnd(ctx, t, e.c, e.execs["requests/click-me.json"], e.st.Endpoints.StateMachineArn)
	if d.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("export %s %s", d.Status, aws.ToString(d.Error))
	}
	b, err := e.get("exports/click-me.csv.manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var man export.Manifest
	json.Unmarshal(b, &man)
	if man.Approval == nil || man.Approval.Approver != "ana@example.com" || man.Approval.Comment != "checked in the browser" {
		t.Fatalf("manifest approval %+v", man.Approval)
	}
}
