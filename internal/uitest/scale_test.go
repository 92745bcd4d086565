package uitest

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// thousandImages replaces the page's fetch of /v1/backingimages with a
// collection of 1,000 images, so the list's rendering is measured without
// making the server download 1,000 images.
const thousandImages = `(() => {
  const real = window.fetch;
  const data = Array.from({ length: 1000 }, (_, i) => ({
    type: 'backingImage', name: 'img-' + String(i).padStart(4, '0'), uuid: 'u' + i, sourceType: 'download',
    parameters: { url: 'http://mirror.example/img-' + i + '.qcow2' }, size: (i + 1) * 1048576, virtualSize: 10737418240,
    dataEngine: 'v1', minNumberOfCopies: 1, created: '2026-01-01T00:00:00Z', actions: {}, links: {},
    diskFileStatusMap: { d1: { state: i % 10 === 0 ? 'in-progress' : 'ready', progress: i % 100, message: '' } },
  }));
  window.fetch = (url, init) => (String(url) === '/v1/backingimages' && (!init || init.method === 'GET'))
    ? Promise.resolve(new Response(JSON.stringify({ type: 'collection', data })))
    : real(url, init);
})()`

// TestListOfThousandImages renders the list with 1,000 images, selects
// them all and filters them, and logs how long each took.
func TestListOfThousandImages(t *testing.T) {
	p := startPlinth(t)
	b := newBrowser(t, p.URL)
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: thousandImages}); err != nil {
		t.Fatalf("install the synthetic image list: %v", err)
	}
	start := time.Now()
	b.open("#/images")
	b.wait("1,000 rows", `document.querySelectorAll('main tbody tr[data-key]').length === 1000`, 30*time.Second)
	t.Logf("first render of 1,000 images: %s", time.Since(start))

	ms := eval[float64](b, `(() => { const t0 = performance.now(); document.querySelector('main [data-all]').click();
		return performance.now() - t0; })()`)
	b.wait("all selected", `document.querySelector('[data-bulk=backup]').textContent === 'Backup (1000)'`, 10*time.Second)
	t.Logf("select all 1,000 rows: %.1f ms", ms)
	ms = eval[float64](b, `(async () => { const live = await import('/ui/live.js'); const t0 = performance.now();
		await live.reload('backingimages'); return performance.now() - t0; })()`)
	t.Logf("live refresh of 1,000 images (fetch, decode, render): %.1f ms", ms)

	b.fill("main [data-filter]", "img-09")
	b.wait("filtered to 100 rows", `document.querySelectorAll('main tbody tr[data-key]').length === 100`, 10*time.Second)
	b.click("main [data-bulk=backup]")
	b.wait("dialog lists 900 ready images to back up", `document.querySelector('dialog h3')?.textContent === 'Will be backed up (900)'`, 10*time.Second)
}
