package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestPprofOnlyWhenAsked: the profiles are served with --pprof and absent
// without it (the UI's routes are there either way).
func TestPprofOnlyWhenAsked(t *testing.T) {
	for _, on := range []bool{false, true} {
		mux := http.NewServeMux()
		extraRoutes(Options{Pprof: on})(mux)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/pprof/", nil))
		if got := rec.Code == http.StatusOK; got != on {
			t.Fatalf("pprof %v: GET /debug/pprof/ gave %d", on, rec.Code)
		}
	}
}
