package uitest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// attackPage is what a site on another origin serves to a plinth user:
// text/plain forms that smuggle JSON (the finding of issue 9), no-cors
// fetches (one with an untyped body, so no Content-Type at all) and a
// websocket to the event stream. %[1]s is plinth's URL, %[2]s its host.
const attackPage = `<!doctype html><html><body>
<iframe name="f1"></iframe><iframe name="f2"></iframe>
<form id="retarget" method="POST" enctype="text/plain" target="f1"
  action="%[1]s/v1/backuptargets/keep?action=backupTargetUpdate">
  <input name='{"backupTargetURL":"file:///tmp/evil","x":"' value='"}'></form>
<form id="secret" method="POST" enctype="text/plain" target="f2" action="%[1]s/v1/secrets">
  <input name='{"name":"forged","data":{"K":"v"},"x":"' value='"}'></form>
<script>
document.getElementById('retarget').submit();
document.getElementById('secret').submit();
fetch('%[1]s/v1/backingimages', {method: 'POST', mode: 'no-cors',
  body: JSON.stringify({name: 'forged', sourceType: 'upload'})}).catch(() => {});
fetch('%[1]s/v1/secrets', {method: 'POST', mode: 'no-cors',
  body: new Blob([JSON.stringify({name: 'forged-blob', data: {K: 'v'}})])}).catch(() => {});
const ws = new WebSocket('ws://%[2]s/v1/ws/backingimages');
ws.onopen = () => { window.wsOpened = true; };
ws.onclose = () => { window.wsClosed = true; };
</script></body></html>`

// TestCrossOriginPageChangesNothing opens, in headless Chromium, a page
// served from another origin that auto-submits forged writes to plinth
// and opens its websocket. plinth must see and refuse every one (its
// metrics count the 403s, so the attack did reach it) and nothing may
// change: no secret or image created, the target's URL kept.
func TestCrossOriginPageChangesNothing(t *testing.T) {
	p := startPlinth(t)
	keep := "file://" + t.TempDir()
	p.addTarget("keep", keep, "")
	host := strings.TrimPrefix(p.URL, "http://")
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, attackPage, p.URL, host)
	}))
	t.Cleanup(attacker.Close)
	if attacker.URL == p.URL {
		t.Fatal("the attacker's page must be on another origin")
	}

	b := newBrowser(t, p.URL)
	b.do("open the attacker's page", chromedp.Navigate(attacker.URL+"/"))
	want := map[string]int{
		`code="403",method="POST",route="/v1/backuptargets/{name}"`: 1,
		`code="403",method="POST",route="/v1/secrets"`:              2,
		`code="403",method="POST",route="/v1/backingimages"`:        1,
		`code="403",method="GET",route="/v1/ws/{type}"`:             1,
	}
	p.waitFor("/healthz", 15*time.Second, "plinth to refuse every forged request", func(int, map[string]any) bool {
		return metricsReached(t, p, want)
	})
	// Polled only now: while the forms' frames load, the page's contexts churn.
	b.wait("the websocket attempt to end", `window.wsClosed === true || window.wsOpened === true`, 15*time.Second)
	if eval[bool](b, `window.wsOpened === true`) {
		t.Error("a page on another origin opened plinth's websocket")
	}

	for _, path := range []string{"/v1/secrets/forged", "/v1/secrets/forged-blob", "/v1/backingimages/forged"} {
		if code, m := p.call(http.MethodGet, path, nil); code != http.StatusNotFound {
			t.Errorf("GET %s: %d %v: the page on another origin created it", path, code, m)
		}
	}
	if bt := p.must(http.MethodGet, "/v1/backuptargets/keep", nil); bt["backupTargetURL"] != keep {
		t.Errorf("the page on another origin changed the target's URL to %v", bt["backupTargetURL"])
	}
	// The UI itself, on plinth's own origin, still writes.
	b.open("#/targets")
	if got := eval[float64](b, `import('/ui/api.js').then((api) => api.post('/v1/secrets', {name: 'own', data: {K: 'v'}})).then(() => 1, () => 0)`); got != 1 {
		t.Error("the UI's own origin could not create a secret")
	}
	p.must(http.MethodGet, "/v1/secrets/own", nil)
}

var metricLine = regexp.MustCompile(`(?m)^plinth_api_requests_total\{(.*)\} (\d+)$`)

// metricsReached reports whether every labelled request counter in want
// has reached its count.
func metricsReached(t *testing.T, p *plinth, want map[string]int) bool {
	t.Helper()
	resp, err := http.Get(p.URL + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	got := map[string]int{}
	for _, m := range metricLine.FindAllStringSubmatch(string(body), -1) {
		got[m[1]], _ = strconv.Atoi(m[2])
	}
	for labels, n := range want {
		if got[labels] < n {
			t.Logf("not yet %s >= %d; request counts: %v", labels, n, got)
			return false
		}
	}
	return true
}
