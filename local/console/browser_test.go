package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/chromedp/chromedp"
)

// Environment variables of the browser tests.
const (
	// envChromium names the browser binary; default: chromium,
	// chromium-browser or google-chrome on PATH.
	envChromium = "STEPWISE_CHROMIUM"
	// envArtifacts is the directory screenshots go to; default a new
	// temporary directory, named in the test log.
	envArtifacts = "STEPWISE_CONSOLE_ARTIFACTS"
	// envReadmeShot, when set, is where the execution page screenshot
	// of the README is written (docs/console-execution.png).
	envReadmeShot = "STEPWISE_CONSOLE_README_SHOT"
)

// hostileText is what a user (or a data file) could put in a name, an
// input, a cause or a CSV cell. If any of it ran, window.pwned would be set.
const hostileText = `<script>window.pwned=1</script><img src=x onerror="window.pwned=2">"onmouseover="window.pwned=3`

// browser is a headless Chromium driven by chromedp.
type browser struct {
	ctx       context.Context
	artifacts string
	t         *testing.T
}

func findChromium(t *testing.T) string {
	if p := os.Getenv(envChromium); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skipf("SKIP (loud): no Chromium found (install Debian's `chromium`, or set %s); the browser tests of the console did not run", envChromium)
	return ""
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := findChromium(t)
	dir := os.Getenv(envArtifacts)
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "stepwise-console-screens-"); err != nil {
			t.Fatal(err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.WindowSize(1280, 900), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return &browser{ctx: ctx, artifacts: dir, t: t}
}

// do runs actions with a time limit, failing the test with what it was
// doing (and a screenshot of it).
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.shot("failed-" + strings.Map(func(r rune) rune {
			if r == ' ' || r == '/' || r == '?' {
				return '-'
			}
			return r
		}, what))
		b.t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action that returns a value.
func get[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// shot saves a screenshot of the viewport as NAME.png in the artifacts.
func (b *browser) shot(name string) []byte {
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return nil
	}
	if err := os.WriteFile(filepath.Join(b.artifacts, name+".png"), png, 0o644); err != nil {
		b.t.Log(err)
	}
	return png
}

func (b *browser) eval(js string) any {
	b.t.Helper()
	return get(b, "evaluate "+js, chromedp.Evaluate[any](js))
}

func node(state, status string) chromedp.CSS {
	return chromedp.CSS(fmt.Sprintf(`svg.graph g.state.st-%s[data-state=%q]`, status, state))
}

// TestBrowser drives the console in a real headless Chromium against a
// local stack running the export workflow.
func TestBrowser(t *testing.T) {
	ts := openStack(t, true) // skips with -short
	b := newBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	t.Run("workflows page", func(t *testing.T) {
		b.t = t
		b.do("open workflows", chromedp.Navigate(ts.url+"/"), chromedp.WaitVisible(css(`table.list a[href^="/workflow?arn="]`)))
		if got := get(b, "read workflows", chromedp.Text(css(`table.list`))); !strings.Contains(got, "stepwise-export") {
			t.Errorf("workflows page: %q", got)
		}
		b.shot("workflows")
	})

	t.Run("export turns green live and is approved", func(t *testing.T) {
		b.t = t
		arn := ts.start(t, "nightly-orders", request(t, nil))
		execURL := ts.url + "/execution?arn=" + url.QueryEscape(arn)
		// Plan is held at its gate: the page opens on a running export.
		b.do("open the running execution", chromedp.Navigate(execURL), chromedp.WaitReady(node("Plan", "running")))
		b.eval(`window.noReload = "still the same page"`)
		b.shot("export-running")
		close(ts.gate)
		b.do("watch the states turn green",
			chromedp.WaitReady(node("Plan", "succeeded")),
			chromedp.WaitReady(node("ExportParts", "succeeded")),
			chromedp.WaitReady(node("Merge", "succeeded")),
			chromedp.WaitReady(node("RequestApproval", "waiting")),
			chromedp.WaitVisible(css(`#approval-link`)))
		if got := b.eval(`window.noReload`); got != "still the same page" {
			t.Fatalf("the page reloaded (window.noReload = %v): updates must be live", got)
		}
		b.shot("export-waiting-approval")
		b.do("open the approval", chromedp.Click(css(`#approval-link a`)),
			chromedp.WaitVisible(css(`.approval[data-execution="nightly-orders"] table.sample`)))
		b.shot("approval")
		b.do("approve with a comment",
			chromedp.SendKeys(css(`.approval[data-execution="nightly-orders"] input[name=comment]`), "numbers checked"),
			chromedp.Click(css(`.approval[data-execution="nightly-orders"] button.approve`)),
			chromedp.WaitVisible(css(`#status .s-succeeded`)),
			chromedp.WaitVisible(css(`#published`)),
			chromedp.WaitReady(node("Publish", "succeeded")))
		published := get(b, "read the published path", chromedp.Text(css(`#published`)))
		if !strings.HasPrefix(published, "s3://stepwise/exports/nightly-orders/") {
			t.Errorf("published path %q", published)
		}
		// Open it afresh, as the README's screenshot shows it.
		b.do("reopen the execution", chromedp.Navigate(execURL), chromedp.WaitVisible(css(`#status .s-succeeded`)), chromedp.WaitReady(node("Publish", "succeeded")))
		png := b.shot("export-succeeded")
		if out := os.Getenv(envReadmeShot); out != "" {
			if err := os.WriteFile(out, png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("failed execution shows the error on its state", func(t *testing.T) {
		b.t = t
		bad := ts.start(t, "bad-where", request(t, func(r map[string]any) { r["where"] = "total >" }))
		ts.waitFor(t, bad, ended)
		b.do("open the failed execution", chromedp.Navigate(ts.url+"/execution?arn="+url.QueryEscape(bad)),
			chromedp.WaitVisible(css(`#status .s-failed`)))
		detail := get(b, "read the error on the graph", chromedp.TextContent(css(`svg.graph g.state[data-state="Plan"] text.detail`)))
		if detail != "InvalidExportRequest" {
			t.Errorf("the failing state shows %q on the graph, want InvalidExportRequest", detail)
		}
		b.do("open the failing state", chromedp.Click(css(`svg.graph g.state[data-state="Plan"] rect`)),
			chromedp.WaitVisible(css(`details.state-detail[data-name="Plan"][open] pre.error`)))
		b.shot("export-failed")
	})

	t.Run("hostile text renders as text", func(t *testing.T) {
		b.t = t
		csv := "order_id,customer,total\n1,\"" + strings.ReplaceAll(hostileText, `"`, `""`) + "\",10\n"
		if _, err := ts.s3.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String("stepwise"), Key: aws.String("uploads/hostile.csv"), Body: strings.NewReader(csv)}); err != nil {
			t.Fatal(err)
		}
		name := "hostile-input" // execution names are [0-9A-Za-z_-] on the API; see TestHostileExecutionName
		hostileArn := ts.start(t, name, fmt.Sprintf(`{"request": {"name": %q, "source": {"bucket": "stepwise", "key": "uploads/hostile.csv"}, "output": {"format": "csv"}, "approval": {"required": true}}}`, hostileText))
		ts.waitPending(t, hostileArn)
		badCause := ts.start(t, "hostile-cause", request(t, func(r map[string]any) { r["where"] = hostileText }))
		ts.waitFor(t, badCause, ended)
		for _, page := range []string{"/execution?arn=" + url.QueryEscape(hostileArn), "/approvals", "/execution?arn=" + url.QueryEscape(badCause)} {
			b.do("open "+page, chromedp.Navigate(ts.url+page), chromedp.WaitReady(css(`main`)))
			b.eval(`for (const el of document.querySelectorAll("*")) el.dispatchEvent(new MouseEvent("mouseover", {bubbles: true})); 0`)
			state := b.eval(`JSON.stringify({pwned: window.pwned === undefined ? null : window.pwned, handlers: document.querySelectorAll("[onmouseover],[onerror]").length, scripts: document.scripts.length, text: document.body.textContent.includes("<script>window.pwned=1</script>")})`)
			if state != `{"pwned":null,"handlers":0,"scripts":1,"text":true}` {
				t.Errorf("%s: %v (want no script run, no handler attributes, one script, the payload shown as text)", page, state)
			}
		}
		b.shot("hostile")
	})

	t.Run("cross-origin approve is refused", func(t *testing.T) { crossOriginRefused(t, b, ts) })
}

// crossOriginRefused: a page of another origin that posts an approval to
// the console — even with the CSRF token, as if it leaked — is refused,
// and the export stays waiting.
func crossOriginRefused(t *testing.T, b *browser, ts *testStack) {
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	b.t = t
	victim := ts.start(t, "victim", request(t, nil))
	ts.waitPending(t, victim)
	b.do("open approvals", chromedp.Navigate(ts.url+"/approvals"), chromedp.WaitReady(css(`input[name=csrf]`)))
	token := get(b, "read the token", chromedp.AttributeValue(css(`input[name=csrf]`), "value")).Value
	// Even with the token (as if leaked), another origin cannot decide.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/go.js" {
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, `document.forms[0].submit();`)
			return
		}
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/actions/decide"><input name="csrf" value="%s"><input name="execution" value="%s"><input name="decision" value="approve"></form><script src="/go.js"></script>`, ts.url, token, victim)
	}))
	defer evil.Close()
	b.do("post from another origin", chromedp.Navigate(evil.URL))
	get(b, "wait for the answer", chromedp.Poll[bool](`location.href.includes("/actions/decide") && document.readyState === "complete"`, chromedp.WithPollingTimeout(20*time.Second)))
	body := get(b, "read the answer", chromedp.Text(css(`body`)))
	b.shot("cross-origin-refused")
	if !strings.Contains(body, "refused") {
		t.Errorf("cross-origin approve answered %q", body)
	}
	d := ts.waitFor(t, victim, func(*sfn.DescribeExecutionOutput) bool { return true })
	if d.Status != types.ExecutionStatusRunning || !ts.pending(victim) {
		t.Errorf("after a cross-origin approve the export is %s, pending %v", d.Status, ts.pending(victim))
	}
}
