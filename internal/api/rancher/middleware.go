package rancher

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"runtime/debug"
	"strings"
	"time"
)

// Middleware wraps a handler with one cross-cutting concern.
type Middleware func(http.Handler) http.Handler

// Log logs one line per request after it completes: method, path (never
// the query string, which may carry secrets; never bodies), route, status,
// bytes and duration. 5xx replies log at Error level, 4xx at Info and the
// rest at Debug (a UI polling the API would otherwise flood the log).
// Errors written through WriteErr are logged with the same logger.
func Log(logger *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			w, rec, r := track(w, r)
			rec.logger = logger
			defer func() {
				level := slog.LevelDebug
				switch {
				case rec.code() >= http.StatusInternalServerError:
					level = slog.LevelError
				case rec.code() >= http.StatusBadRequest:
					level = slog.LevelInfo
				}
				logger.LogAttrs(r.Context(), level, "http request",
					slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.String("route", routeLabel(rec, r)), slog.Int("status", rec.code()),
					slog.Int64("bytes", rec.bytes), slog.Duration("duration", time.Since(start)))
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// Recover turns a handler panic into a logged 500 error envelope, so the
// client gets an answer and the server keeps serving. If the reply had
// already started, the connection is aborted instead (http.ErrAbortHandler),
// so the client cannot mistake a truncated reply for a complete one.
func Recover(logger *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w, rec, r := track(w, r)
			if rec.logger == nil {
				rec.logger = logger
			}
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler { // net/http compares it the same way
					panic(v)
				}
				logger.Error("handler panicked", "method", r.Method, "path", r.URL.Path,
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rec.wroteHeader() {
					panic(http.ErrAbortHandler)
				}
				clear(w.Header())
				WriteError(w, r, http.StatusInternalServerError,
					"internal server error: the request handler failed unexpectedly; the server log has the details")
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// HealthPath is exempt from token authentication, for load balancers and
// orchestrators probing liveness.
const HealthPath = "/healthz"

// TokenCookie is the cookie the web UI keeps the API token in: a browser
// cannot add an Authorization header to EventSource or to its page loads.
// The UI sets it with SameSite=Strict, so other sites cannot use it.
const TokenCookie = "plinth_token"

// RequireToken rejects requests that do not present token with a 401 error
// envelope. The token is accepted as "Authorization: Bearer <token>", as
// the password of HTTP basic auth (any user), which is how Rancher-style
// clients send their secret key, or as the TokenCookie cookie (the web UI).
// Comparison is constant-time. HealthPath and the UI's static files (GET /
// and /ui/...), which hold no data, are exempt. An empty token disables the
// check: the server decides when a token is mandatory (listening beyond
// loopback).
func RequireToken(token string) Middleware {
	if token == "" {
		return func(next http.Handler) http.Handler { return next }
	}
	want := sha256.Sum256([]byte(token))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == HealthPath || isStaticUI(r) || tokenMatches(r, want) {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="plinth"`)
			WriteError(w, r, http.StatusUnauthorized,
				"missing or wrong API token: send the server's token as \"Authorization: Bearer <token>\"")
		})
	}
}

// isStaticUI reports whether r fetches the web UI's page or assets. Only
// clean paths count: "/ui/../v1/secrets" (or its %2e%2e form) needs the
// token, so whatever the mux or a handler later makes of it, no path
// trick turns an exempt request into an API one.
func isStaticUI(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	if p != "/" && (!strings.HasPrefix(p, "/ui/") || strings.TrimSuffix(p, "/") != path.Clean(p)) {
		return false
	}
	return true
}

// tokenMatches compares hashes, so neither the content nor the length of
// the token leaks through timing.
func tokenMatches(r *http.Request, want [32]byte) bool {
	var got string
	auth := r.Header.Get("Authorization")
	if scheme, rest, ok := strings.Cut(auth, " "); ok && strings.EqualFold(scheme, "Bearer") {
		got = strings.TrimSpace(rest)
	} else if _, pass, ok := r.BasicAuth(); ok {
		got = pass
	} else if c, err := r.Cookie(TokenCookie); err == nil {
		got, _ = url.QueryUnescape(c.Value)
	}
	if got == "" {
		return false
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], want[:]) == 1
}
