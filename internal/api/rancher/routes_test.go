package rancher

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestUnmatchedRoutesAnswerJSON(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/backingimages/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /v1/backingimages/{name}", func(w http.ResponseWriter, r *http.Request) {})
	h := Routes(mux)

	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodGet, "/v1/nothing", http.StatusNotFound, ""},
		{http.MethodPost, "/v1/backingimages/a", http.StatusMethodNotAllowed, "DELETE, GET, HEAD"},
	} {
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, httptest.NewRequest(tc.method, tc.path, nil))
		m := decode(t, rr.Body)
		if rr.Code != tc.status || m["type"] != "error" || m["status"] != float64(tc.status) {
			t.Errorf("%s %s: %d %v", tc.method, tc.path, rr.Code, m)
		}
		if got := rr.Header().Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
		if ct := rr.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: content type %q", tc.method, tc.path, ct)
		}
	}

	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/v1/backingimages/a", nil))
	if rr.Code != http.StatusNoContent {
		t.Errorf("matched route: %d", rr.Code)
	}
	rr = httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/v1/../v1/backingimages/a", nil))
	if rr.Code != http.StatusTemporaryRedirect {
		t.Errorf("unclean path should still redirect: %d", rr.Code)
	}
}
