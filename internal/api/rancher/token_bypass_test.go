package rancher

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestTokenBypassAttempts sends path and credential tricks, byte for byte
// (a raw connection, so no client cleans the path), to a token-protected
// stack whose secrets handler and UI handler both hold data. Every one
// must be refused with a 401 and reach no handler.
func TestTokenBypassAttempts(t *testing.T) {
	var reached atomic.Int64
	leak := func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		_, _ = io.WriteString(w, `{"data":[{"name":"top-secret"}]}`)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/secrets", leak)
	mux.HandleFunc("GET /v1/secrets/{name}", leak)
	mux.HandleFunc("GET /v1/backingimages", leak)
	mux.HandleFunc("POST /v1/backingimages", leak)
	mux.HandleFunc("GET /ui/", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ui") })
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	srv := httptest.NewServer(Stack(mux, StackOptions{Logger: slog.New(slog.DiscardHandler), Token: "s3cret-token"}))
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "http://")

	for _, tc := range []struct {
		name, method, target string
		hdr                  []string
	}{
		{"double slash", "GET", "//v1/backingimages", nil},
		{"dot-dot in API path", "GET", "/v1/../v1/secrets", nil},
		{"dot-dot from the UI", "GET", "/ui/../v1/secrets", nil},
		{"dot-dot from the UI, trailing", "GET", "/ui/../v1/secrets/", nil},
		{"dot segment in the UI", "GET", "/ui/./../v1/secrets", nil},
		{"dot-dot from healthz", "GET", "/healthz/../v1/secrets", nil},
		{"encoded dot-dot", "GET", "/%2e%2e/v1/secrets", nil},
		{"encoded dot-dot from the UI", "GET", "/ui/%2e%2e/v1/secrets", nil},
		{"encoded slash", "GET", "/v1/secrets%2f", nil},
		{"encoded slash from the UI", "GET", "/ui%2f..%2fv1/secrets", nil},
		{"upper-case UI", "GET", "/UI/", nil},
		{"upper-case UI to API", "GET", "/UI/../v1/secrets", nil},
		{"HEAD on an API path", "HEAD", "/v1/secrets", nil},
		{"POST to the UI prefix", "POST", "/ui/x", nil},
		{"absolute-form target", "GET", "http://" + addr + "/v1/secrets", nil},
		{"basic auth, empty password", "GET", "/v1/secrets", []string{"Authorization: Basic " + basic("admin", "")}},
		{"basic auth, token as user", "GET", "/v1/secrets", []string{"Authorization: Basic " + basic("s3cret-token", "")}},
		{"Longhorn client's empty basic", "GET", "/v1/secrets", []string{"Authorization: Basic Og=="}},
		{"empty bearer", "GET", "/v1/secrets", []string{"Authorization: Bearer "}},
		{"bearer of spaces", "GET", "/v1/secrets", []string{"Authorization: Bearer    "}},
		{"bearer prefix of the token", "GET", "/v1/secrets", []string{"Authorization: Bearer s3cret"}},
		{"token in the query string", "GET", "/v1/secrets?token=s3cret-token&access_token=s3cret-token", nil},
		{"empty cookie", "GET", "/v1/secrets", []string{"Cookie: " + TokenCookie + "="}},
		{"token in another cookie", "GET", "/v1/secrets", []string{"Cookie: token=s3cret-token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := reached.Load()
			status, body := rawRequest(t, addr, tc.method, tc.target, tc.hdr)
			if status != http.StatusUnauthorized {
				t.Errorf("%s %s: status %d, want 401: %s", tc.method, tc.target, status, body)
			}
			if reached.Load() != before || strings.Contains(body, "top-secret") {
				t.Errorf("%s %s reached a protected handler: %s", tc.method, tc.target, body)
			}
		})
	}
}

func basic(user, pass string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, pass)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

// rawRequest writes one HTTP/1.1 request line and headers exactly as
// given and returns the reply's status and body.
func rawRequest(t *testing.T, addr, method, target string, hdr []string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, addr)
	for _, h := range hdr {
		head += h + "\r\n"
	}
	if _, err := io.WriteString(conn, head+"\r\n"); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, "/", nil)
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("%s %s: reading the reply: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
