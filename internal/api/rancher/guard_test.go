package rancher

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// guardedStack serves a mux whose handlers count the requests that reach
// them, through Stack with the guard built from o.
func guardedStack(t *testing.T, o GuardOptions) (http.Handler, *atomic.Int64) {
	t.Helper()
	guard, err := Guard(o)
	if err != nil {
		t.Fatal(err)
	}
	var reached atomic.Int64
	ok := func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		WriteJSON(w, r, http.StatusOK, map[string]string{"ok": "yes"})
	}
	mux := http.NewServeMux()
	for _, p := range []string{"GET /v1/backingimages", "POST /v1/backingimages", "DELETE /v1/backingimages/{name}",
		"POST /v1/backingimages/{name}", "PUT /v1/settings/{name}", "GET /v1/ws/{type}", "GET /healthz"} {
		mux.HandleFunc(p, ok)
	}
	return Stack(mux, StackOptions{Logger: slog.New(slog.DiscardHandler), Guard: guard}), &reached
}

type guardCase struct {
	name   string
	method string
	path   string
	host   string // default 127.0.0.1:9500
	hdr    map[string]string
	body   string
	status int
	// inMsg must appear in the error message of a refusal.
	inMsg string
}

const (
	own     = "http://127.0.0.1:9500"
	evil    = "http://evil.example"
	jsonCT  = "application/json"
	created = `{"name":"x","sourceType":"download","parameters":{"url":"http://e.example/x"}}`
)

func guardCases() []guardCase {
	h := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	up := "/v1/backingimages/x?action=upload&size=3"
	return []guardCase{
		// Cross-site request forgery.
		{"cross-origin text/plain POST", "POST", "/v1/backingimages", "", h("Origin", evil, "Content-Type", "text/plain"), created, 403, "--allowed-origins"},
		{"cross-origin form POST", "POST", "/v1/backingimages/x?action=backupTargetUpdate", "", h("Origin", evil, "Content-Type", "application/x-www-form-urlencoded"), "a=b", 403, "--allowed-origins"},
		{"cross-origin JSON POST", "POST", "/v1/backingimages", "", h("Origin", evil, "Content-Type", jsonCT), created, 403, "--allowed-origins"},
		{"cross-origin multipart upload", "POST", up, "", h("Origin", evil, "Content-Type", "multipart/form-data; boundary=x"), "abc", 403, "--allowed-origins"},
		{"DELETE with foreign Origin", "DELETE", "/v1/backingimages/x", "", h("Origin", evil), "", 403, "--allowed-origins"},
		{"PUT with foreign Origin", "PUT", "/v1/settings/s", "", h("Origin", evil, "Content-Type", jsonCT), `{"value":"1"}`, 403, "--allowed-origins"},
		{"Origin null", "POST", "/v1/backingimages", "", h("Origin", "null", "Content-Type", jsonCT), created, 403, "--allowed-origins"},
		{"Sec-Fetch-Site cross-site", "POST", "/v1/backingimages", "", h("Sec-Fetch-Site", "cross-site", "Content-Type", jsonCT), created, 403, "--allowed-origins"},
		{"Sec-Fetch-Site same-site", "DELETE", "/v1/backingimages/x", "", h("Sec-Fetch-Site", "same-site"), "", 403, "--allowed-origins"},
		{"foreign Origin, other port", "POST", "/v1/backingimages", "", h("Origin", "http://127.0.0.1:8080", "Content-Type", jsonCT), created, 403, "--allowed-origins"},
		{"foreign-origin websocket upgrade", "GET", "/v1/ws/backingimages", "", h("Origin", evil, "Upgrade", "websocket", "Connection", "Upgrade"), "", 403, "--allowed-origins"},
		{"websocket upgrade, Sec-Fetch-Site cross-site", "GET", "/v1/ws/backingimages", "", h("Sec-Fetch-Site", "cross-site", "Upgrade", "WebSocket"), "", 403, "--allowed-origins"},
		// What browsers, CLIs and scripts legitimately send.
		{"same-origin JSON", "POST", "/v1/backingimages", "", h("Origin", own, "Content-Type", jsonCT), created, 200, ""},
		{"same-origin JSON, Sec-Fetch-Site", "POST", "/v1/backingimages", "", h("Origin", own, "Sec-Fetch-Site", "same-origin", "Content-Type", "application/json; charset=utf-8"), created, 200, ""},
		{"same-origin DELETE", "DELETE", "/v1/backingimages/x", "", h("Origin", own, "Sec-Fetch-Site", "same-origin"), "", 200, ""},
		{"no Origin JSON", "POST", "/v1/backingimages", "", h("Content-Type", jsonCT), created, 200, ""},
		{"no Origin, no Content-Type (Longhorn client)", "POST", "/v1/backingimages", "", nil, created, 200, ""},
		{"no Origin DELETE", "DELETE", "/v1/backingimages/x", "", nil, "", 200, ""},
		{"Sec-Fetch-Site none", "POST", "/v1/backingimages", "", h("Sec-Fetch-Site", "none", "Content-Type", jsonCT), created, 200, ""},
		{"allowed origin", "POST", "/v1/backingimages", "", h("Origin", "https://ui.example:8443", "Sec-Fetch-Site", "cross-site", "Content-Type", jsonCT), created, 200, ""},
		{"allowed origin, default port", "DELETE", "/v1/backingimages/x", "", h("Origin", "https://admin.example"), "", 200, ""},
		{"allowed-origin websocket", "GET", "/v1/ws/backingimages", "", h("Origin", "https://ui.example:8443", "Upgrade", "websocket"), "", 200, ""},
		{"same-origin websocket", "GET", "/v1/ws/backingimages", "", h("Origin", own, "Upgrade", "websocket"), "", 200, ""},
		{"foreign-origin plain GET is a read", "GET", "/v1/backingimages", "", h("Origin", evil), "", 200, ""},
		{"empty body, text/plain claimed", "POST", "/v1/backingimages/x?action=backingImageCleanup", "", h("Content-Type", "text/plain"), "", 200, ""},
		{"multipart upload", "POST", up, "", h("Content-Type", "multipart/form-data; boundary=x"), "abc", 200, ""},
		{"octet-stream upload", "POST", up, "", h("Content-Type", "application/octet-stream"), "abc", 200, ""},
		{"same-origin upload", "POST", up, "", h("Origin", own, "Content-Type", "multipart/form-data; boundary=x"), "abc", 200, ""},
		// Wrong content types from clients that pass the origin check.
		{"no Origin text/plain", "POST", "/v1/backingimages", "", h("Content-Type", "text/plain"), created, 415, "application/json"},
		{"curl -d (form type)", "POST", "/v1/backingimages", "", h("Content-Type", "application/x-www-form-urlencoded"), created, 415, "application/json"},
		{"same-origin text/plain", "POST", "/v1/backingimages", "", h("Origin", own, "Content-Type", "text/plain;charset=UTF-8"), created, 415, "application/json"},
		{"multipart on a JSON write", "POST", "/v1/backingimages", "", h("Content-Type", "multipart/form-data; boundary=x"), created, 415, "application/json"},
		{"text/plain upload", "POST", up, "", h("Content-Type", "text/plain"), "abc", 415, "multipart/form-data"},
		{"malformed Content-Type", "PUT", "/v1/settings/s", "", h("Content-Type", "application/json; =x"), `{}`, 415, "application/json"},
		// DNS rebinding.
		{"foreign Host", "GET", "/v1/backingimages", "evil.example:9500", nil, "", 421, "--allowed-hosts"},
		{"foreign Host POST", "POST", "/v1/backingimages", "rebind.evil.example:9500", h("Origin", "http://rebind.evil.example:9500", "Content-Type", jsonCT), created, 421, "--allowed-hosts"},
		{"foreign Host on healthz", "GET", "/healthz", "evil.example", nil, "", 421, "--allowed-hosts"},
		{"allowed host", "GET", "/v1/backingimages", "plinth.example:9500", nil, "", 200, ""},
		{"allowed host, case and dot", "GET", "/v1/backingimages", "PLINTH.Example.:443", nil, "", 200, ""},
		{"allowed host, same-origin POST", "POST", "/v1/backingimages", "plinth.example", h("Origin", "https://plinth.example", "Content-Type", jsonCT), created, 200, ""},
		{"listen name", "GET", "/v1/backingimages", "plinth-box:9500", nil, "", 200, ""},
		{"localhost", "GET", "/v1/backingimages", "localhost:9500", nil, "", 200, ""},
		{"IPv4 literal", "GET", "/v1/backingimages", "10.1.2.3:9500", nil, "", 200, ""},
		{"IPv6 literal", "GET", "/healthz", "[::1]:9500", nil, "", 200, ""},
		{"name under localhost", "GET", "/v1/backingimages", "evil.localhost.example", nil, "", 421, "--allowed-hosts"},
	}
}

func TestGuard(t *testing.T) {
	h, reached := guardedStack(t, GuardOptions{
		ListenHost:     "plinth-box",
		AllowedOrigins: []string{"https://ui.example:8443", "HTTPS://Admin.Example:443/"},
		AllowedHosts:   []string{"plinth.example"},
	})
	for _, tc := range guardCases() {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req := httptest.NewRequest(tc.method, tc.path, body)
			req.Host = "127.0.0.1:9500"
			if tc.host != "" {
				req.Host = tc.host
			}
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
			before := reached.Load()
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, req)
			if rr.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rr.Code, tc.status, rr.Body)
			}
			passed := reached.Load() > before
			if passed != (tc.status == 200) {
				t.Fatalf("handler reached: %v, want %v", passed, tc.status == 200)
			}
			if tc.status == 200 {
				return
			}
			m := decode(t, rr.Body)
			msg, _ := m["message"].(string)
			if m["type"] != "error" || m["status"] != float64(tc.status) || !strings.Contains(msg, tc.inMsg) {
				t.Errorf("error envelope %v: want type error, status %d and a message naming %s", m, tc.status, tc.inMsg)
			}
		})
	}
}

func TestGuardRefusesRegardlessOfToken(t *testing.T) {
	guard, err := Guard(GuardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/secrets", func(w http.ResponseWriter, r *http.Request) { t.Error("handler reached") })
	h := Stack(mux, StackOptions{Logger: slog.New(slog.DiscardHandler), Token: "tok", Guard: guard})
	req := httptest.NewRequest(http.MethodPost, "/v1/secrets", strings.NewReader(`{}`))
	req.Host = "127.0.0.1:9500"
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Origin", evil)
	req.Header.Set("Content-Type", "text/plain")
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	if rr.Code != http.StatusForbidden {
		t.Errorf("forged request carrying a valid token: status %d, want 403", rr.Code)
	}
}

func TestGuardOptionErrors(t *testing.T) {
	for _, o := range []GuardOptions{
		{AllowedOrigins: []string{"ui.example"}},
		{AllowedOrigins: []string{"ftp://ui.example"}},
		{AllowedOrigins: []string{"https://ui.example/path"}},
		{AllowedOrigins: []string{"https://user@ui.example"}},
		{AllowedOrigins: []string{""}},
		{AllowedHosts: []string{""}},
		{AllowedHosts: []string{"http://plinth.example"}},
		{AllowedHosts: []string{"*.example"}},
	} {
		_, err := Guard(o)
		if err == nil {
			t.Errorf("Guard(%+v): want an error", o)
			continue
		}
		if !strings.Contains(err.Error(), "--allowed-") {
			t.Errorf("Guard(%+v): error %q does not name the flag", o, err)
		}
	}
	h, _ := guardedStack(t, GuardOptions{AllowedHosts: []string{"*"}})
	req := httptest.NewRequest(http.MethodGet, "/v1/backingimages", nil)
	req.Host = "anything.example"
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	if rr.Code != http.StatusOK {
		t.Errorf("--allowed-hosts '*': status %d, want 200", rr.Code)
	}
}
