package uitest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser is one headless Chromium tab, driven for one test.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string // the plinth server's URL

	mu     sync.Mutex
	errors []string // uncaught page exceptions
}

// chromiumPath finds Debian's Chromium.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatalf("chromium not found at /usr/bin/chromium or in PATH: apt-get install chromium")
	return ""
}

// newBrowser starts headless Chromium with a fresh profile and opens a
// tab; the browser is closed when the test ends. Uncaught JavaScript
// exceptions fail the test.
func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx, base: base}
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.errors = append(b.errors, exceptionText(ev))
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.errors {
			t.Errorf("uncaught JavaScript exception in the UI: %s", e)
		}
	})
	return b
}

func exceptionText(ev runtime.EventExceptionThrown) string {
	d := ev.ExceptionDetails
	msg := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		msg = d.Exception.Description
	}
	return fmt.Sprintf("%s (%s:%d)", msg, d.URL, d.LineNumber)
}

// do runs steps, failing the test with what on error.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to the UI route hash (e.g. "#/images") and waits for the
// page to render.
func (b *browser) open(hash string) {
	b.t.Helper()
	b.do("open "+hash, chromedp.Navigate(b.base+"/"+hash))
	b.wait("page "+hash+" rendered", `document.querySelector('main h1, main .empty-state') !== null`, 15*time.Second)
}

// eval evaluates a JavaScript expression and decodes its JSON value into T.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		b.t.Fatalf("evaluate %s: decode %s: %v", expr, raw, err)
	}
	return v
}

// wait polls the JavaScript condition cond until it is truthy (an
// exception counts as false), failing after timeout with what and the
// page's visible text.
func (b *browser) wait(what, cond string, timeout time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout+5*time.Second)
	defer cancel()
	guarded := fmt.Sprintf(`(() => { try { return !!(%s); } catch { return false; } })()`, cond)
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](guarded,
		chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		b.shot("failed-" + slug(b.t.Name()))
		b.t.Fatalf("waiting for %s: %v\npage text:\n%s", what, err, b.pageText())
	}
}

// pageText returns the page's visible text (for failure messages).
func (b *browser) pageText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText + '\n[focus: ' +
		(document.activeElement?.outerHTML.slice(0, 200) ?? 'none') + ']\n[menu open: ' + !!document.querySelector('.menu') + ']'`))
	if err != nil {
		return "(unavailable: " + err.Error() + ")"
	}
	return s
}

// click clicks the first element matching the CSS selector once visible.
// A live update can re-render the element between finding and clicking
// it (the node id goes stale); the click is then tried again on the new
// element, as a user would click the row that is now there.
func (b *browser) click(sel string) {
	b.t.Helper()
	var err error
	for range 3 {
		ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
		err = chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
		cancel()
		if err == nil || !strings.Contains(err.Error(), "given id") {
			break
		}
	}
	if err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
}

// clickText clicks the visible button or link inside scope (CSS) whose
// text starts with text.
func (b *browser) clickText(scope, text string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const el = [...document.querySelectorAll(%q)].flatMap((s) => [...s.querySelectorAll('button, a')])
		.find((e) => e.offsetParent !== null && e.textContent.trim().startsWith(%q)); if (el) el.click(); return !!el; })()`, scope, text)
	b.wait(fmt.Sprintf("a %q control in %s", text, scope), js, 15*time.Second)
}

// fill replaces the value of the input matching sel.
func (b *browser) fill(sel, value string) {
	b.t.Helper()
	b.do("fill "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Clear(chromedp.CSS(sel)),
		chromedp.SendKeys(chromedp.CSS(sel), value))
}

// choose sets a <select> (or radio) value and fires change, as a user would.
func (b *browser) choose(sel, value string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return false;
		el.value = %q; el.dispatchEvent(new Event('change', {bubbles: true})); return el.value === %q; })()`, sel, value, value)
	b.wait(fmt.Sprintf("select %s = %s", sel, value), js, 10*time.Second)
}

// text returns the trimmed text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%q)?.innerText ?? '').trim()`, sel))
}

// screenshotDir is test-artifacts/screenshots at the repository root.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the test's directory: cannot place screenshots")
		}
		dir = parent
	}
	out := filepath.Join(dir, "test-artifacts", "screenshots")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatalf("create %s: %v", out, err)
	}
	return out
}

// shot saves a full-page PNG screenshot as NAME.png in screenshotDir.
func (b *browser) shot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	// Toasts come and go with timing; the page under them is the subject.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('toasts')?.replaceChildren()`)); err != nil {
		b.t.Errorf("clear toasts before screenshot %s: %v", name, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(screenshotDir(b.t), name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Errorf("save screenshot %s: %v", p, err)
	}
}

func slug(s string) string {
	return strings.NewReplacer("/", "-", " ", "-").Replace(s)
}
