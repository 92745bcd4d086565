package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestServesIndexAndAssetsWithTypes(t *testing.T) {
	mux := http.NewServeMux()
	Register(mux)
	cases := map[string]string{
		"/":            "text/html; charset=utf-8",
		"/ui/app.js":   "text/javascript; charset=utf-8",
		"/ui/app.css":  "text/css; charset=utf-8",
		"/ui/icon.svg": "image/svg+xml",
	}
	for path, want := range cases {
		resp := get(t, mux, path, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Type"); got != want {
			t.Errorf("GET %s: Content-Type %q, want %q", path, got, want)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", path, got)
		}
		if resp.Header.Get("ETag") == "" {
			t.Errorf("GET %s: no ETag", path)
		}
	}
}

func TestRevalidationAnswers304(t *testing.T) {
	mux := http.NewServeMux()
	Register(mux)
	first := get(t, mux, "/ui/app.js", nil)
	etag := first.Header.Get("ETag")
	again := get(t, mux, "/ui/app.js", map[string]string{"If-None-Match": etag})
	if again.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match %s: status %d, want 304", etag, again.StatusCode)
	}
	body, _ := io.ReadAll(again.Body)
	if len(body) != 0 {
		t.Fatalf("304 carried a body of %d bytes", len(body))
	}
}

func TestUnknownAssetIsJSON404(t *testing.T) {
	mux := http.NewServeMux()
	Register(mux)
	resp := get(t, mux, "/ui/nope.js", nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"type":"error"`) {
		t.Fatalf("GET /ui/nope.js: %d %s", resp.StatusCode, body)
	}
}

// TestEveryModuleImportExists catches a renamed module that would leave
// the page blank: every relative import of every script must be served.
func TestEveryModuleImportExists(t *testing.T) {
	files, err := load()
	if err != nil {
		t.Fatal(err)
	}
	imp := regexp.MustCompile(`(?m)^import .*? from '\./([^']+)';$|^import \* as \w+ from '\./([^']+)';$`)
	for name, a := range files {
		if !strings.HasSuffix(name, ".js") {
			continue
		}
		for _, m := range imp.FindAllStringSubmatch(string(a.body), -1) {
			target := m[1] + m[2]
			if files["ui/"+target] == nil {
				t.Errorf("%s imports ./%s, which is not embedded", name, target)
			}
		}
	}
	for _, ref := range regexp.MustCompile(`(?:src|href)="(/ui/[^"]+)"`).FindAllStringSubmatch(string(files["index.html"].body), -1) {
		if files[strings.TrimPrefix(ref[1], "/")] == nil {
			t.Errorf("index.html refers to %s, which is not embedded", ref[1])
		}
	}
}
