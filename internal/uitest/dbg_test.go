package uitest

import (
	"net/http"
	"testing"
	"time"
)

func TestDbg(t *testing.T) {
	p := startPlinth(t)
	src := startSources(t)
	b := newBrowser(t, p.URL)
	p.must(http.MethodPost, "/v1/backingimages", map[string]any{"name": "x1", "sourceType": "download", "parameters": map[string]string{"url": src.image(1, 1<<20)}})
	p.waitImageReady("x1", 30*time.Second)
	b.open("#/images")
	b.do("x", )
	t.Log(eval[string](b, `(async () => { window.__errs = []; window.addEventListener('error', (e) => window.__errs.push(String(e.message))); window.addEventListener('unhandledrejection', (e) => window.__errs.push(String(e.reason && e.reason.stack))); return 'ok'; })()`))
	b.click(`main tr[data-key="x1"] input[data-f=check]`)
	b.click("main [data-bulk=backup]")
	time.Sleep(500 * time.Millisecond)
	t.Log(eval[any](b, `[document.querySelectorAll('dialog').length, window.__errs, document.querySelector('[data-bulk=backup]').disabled]`))
	t.Log(eval[any](b, `fetch('/v1/backuptargets').then(r => r.text())`))
}
