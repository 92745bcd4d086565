package rancher

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plinth-storage/plinth/internal/errkind"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// stackServer serves a small API through Stack on a real loopback server.
func stackServer(t *testing.T, token string) (*httptest.Server, *syncBuffer, *prometheus.Registry) {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	reg := prometheus.NewRegistry()
	metrics, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	longhornSchemas().Register(mux)
	mux.HandleFunc("GET /v1/backingimages/{name}", func(w http.ResponseWriter, r *http.Request) {
		WriteErr(w, r, errkind.NotFound("backing image %q not found", r.PathValue("name")))
	})
	mux.HandleFunc("GET /v1/panic", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		panic("boom")
	})
	mux.HandleFunc("GET /v1/panic-late", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "partial")
		panic("late boom")
	})
	mux.HandleFunc("GET /v1/fail", func(w http.ResponseWriter, r *http.Request) {
		WriteErr(w, r, io.ErrUnexpectedEOF)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	srv := httptest.NewServer(Stack(mux, StackOptions{Logger: logger, Metrics: metrics, Token: token}))
	t.Cleanup(srv.Close)
	return srv, logs, reg
}

func do(t *testing.T, method, url string, hdr map[string]string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestPanicRecovery(t *testing.T) {
	srv, logs, _ := stackServer(t, "")
	resp, body, err := do(t, http.MethodGet, srv.URL+"/v1/panic", nil)
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, bytes.NewReader(body))
	if resp.StatusCode != 500 || m["type"] != "error" || m["status"] != 500.0 {
		t.Errorf("panic reply: %d %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q: headers set before the panic must not leak", ct)
	}
	if strings.Contains(string(body), "boom") {
		t.Errorf("panic value leaked to the client: %s", body)
	}
	if !strings.Contains(logs.String(), `"panic":"boom"`) {
		t.Errorf("panic not logged: %s", logs)
	}

	// A panic after the reply started aborts that connection only.
	if _, _, err := do(t, http.MethodGet, srv.URL+"/v1/panic-late", nil); err == nil {
		t.Error("late panic: want a broken reply, got a complete one")
	}
	// The server keeps serving.
	resp, _, err = do(t, http.MethodGet, srv.URL+"/v1/schemas", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("after panics: %v %v", resp, err)
	}
}

func TestRequestLogOmitsQuery(t *testing.T) {
	srv, logs, _ := stackServer(t, "")
	if _, _, err := do(t, http.MethodGet, srv.URL+"/v1/backingimages/bi-a?secretKey=hunter2", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := do(t, http.MethodGet, srv.URL+"/v1/fail", nil); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if strings.Contains(out, "hunter2") || strings.Contains(out, "secretKey") {
		t.Errorf("query string logged: %s", out)
	}
	for _, want := range []string{
		`"path":"/v1/backingimages/bi-a"`, `"route":"/v1/backingimages/{name}"`, `"status":404`, `"duration":`,
		`"level":"ERROR","msg":"request failed"`, `"error":"unexpected EOF"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s: %s", want, out)
		}
	}
}

func TestMetricsCountedByPattern(t *testing.T) {
	srv, _, reg := stackServer(t, "")
	for _, name := range []string{"a", "b", "c"} {
		if _, _, err := do(t, http.MethodGet, srv.URL+"/v1/backingimages/"+name, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{"/v1/x1", "/v1/x2"} {
		if _, _, err := do(t, http.MethodGet, srv.URL+path, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := do(t, http.MethodPost, srv.URL+"/v1/backingimages/a", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := do(t, http.MethodGet, srv.URL+"/v1/panic", nil); err != nil {
		t.Fatal(err)
	}
	checkSeries(t, reg, "plinth_api_requests_total", map[string]float64{
		"code=404,method=GET,route=/v1/backingimages/{name}": 3,
		"code=404,method=GET,route=unmatched":                2,
		"code=405,method=POST,route=unmatched":               1,
		"code=500,method=GET,route=/v1/panic":                1,
	})
	checkSeries(t, reg, "plinth_api_request_duration_seconds", map[string]float64{
		"method=GET,route=/v1/backingimages/{name}": 3,
		"method=GET,route=unmatched":                2,
		"method=POST,route=unmatched":               1,
		"method=GET,route=/v1/panic":                1,
	})
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering the metrics twice should fail")
	}
}

func TestRequireToken(t *testing.T) {
	srv, _, reg := stackServer(t, "s3cret-token")
	for _, tc := range []struct {
		name   string
		path   string
		hdr    map[string]string
		status int
	}{
		{"no token", "/v1/schemas", nil, http.StatusUnauthorized},
		{"longhorn client empty basic", "/v1/schemas", map[string]string{"Authorization": "Basic Og=="}, http.StatusUnauthorized},
		{"wrong bearer", "/v1/schemas", map[string]string{"Authorization": "Bearer nope"}, http.StatusUnauthorized},
		{"bearer", "/v1/schemas", map[string]string{"Authorization": "Bearer s3cret-token"}, http.StatusOK},
		{"bearer lower-case scheme", "/v1/schemas", map[string]string{"Authorization": "bearer s3cret-token"}, http.StatusOK},
		// base64("access:s3cret-token")
		{"basic password", "/v1/schemas", map[string]string{"Authorization": "Basic YWNjZXNzOnMzY3JldC10b2tlbg=="}, http.StatusOK},
		{"healthz exempt", "/healthz", nil, http.StatusOK},
		{"ui cookie", "/v1/schemas", map[string]string{"Cookie": TokenCookie + "=s3cret-token"}, http.StatusOK},
		{"wrong cookie", "/v1/schemas", map[string]string{"Cookie": TokenCookie + "=nope"}, http.StatusUnauthorized},
	} {
		resp, body, err := do(t, http.MethodGet, srv.URL+tc.path, tc.hdr)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		if tc.status == http.StatusUnauthorized {
			m := decode(t, bytes.NewReader(body))
			if m["type"] != "error" || strings.Contains(string(body), "s3cret") {
				t.Errorf("%s: body %s", tc.name, body)
			}
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: no WWW-Authenticate", tc.name)
			}
		}
	}
	// 401s count under their route, not as "unmatched".
	checkSeries(t, reg, "plinth_api_requests_total", map[string]float64{
		"code=200,method=GET,route=/healthz":    1,
		"code=200,method=GET,route=/v1/schemas": 4,
		"code=401,method=GET,route=/v1/schemas": 4,
	})
}

func TestStaticUIIsExemptFromToken(t *testing.T) {
	h := RequireToken("tok")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for path, want := range map[string]int{"/": 200, "/ui/app.js": 200, "/v1/backingimages": 401} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("GET %s without a token: %d, want %d", path, rec.Code, want)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/ui/x", nil))
	if rec.Code != 401 {
		t.Errorf("POST /ui/x without a token: %d, want 401", rec.Code)
	}
}

func TestRequireTokenEmptyDisables(t *testing.T) {
	h := RequireToken("")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/v1/schemas", nil))
	if rr.Code != http.StatusOK {
		t.Errorf("status %d", rr.Code)
	}
}

// TestMiddlewareWithoutStack checks that Metrics and Recover work when
// composed by hand around a plain ServeMux, using the pattern net/http sets.
func TestMiddlewareWithoutStack(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/things/{id}", func(w http.ResponseWriter, r *http.Request) { panic("x") })
	h := m.Middleware(Recover(slog.New(slog.NewTextHandler(io.Discard, nil)))(mux))
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/v1/things/7", nil))
	if rr.Code != http.StatusInternalServerError {
		t.Errorf("status %d", rr.Code)
	}
	checkSeries(t, reg, "plinth_api_requests_total", map[string]float64{
		"code=500,method=GET,route=/v1/things/{id}": 1,
	})
}
