package rancher

import (
	"fmt"
	"log/slog"
	"net/http"
)

// Routes serves mux, but answers requests that match no route with JSON
// error envelopes instead of net/http's text/plain ones, which
// Rancher-style clients cannot parse: 404 for an unknown path, 405 (with
// an Allow header) for a known path and a wrong method.
func Routes(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if rec := recorderFrom(r); rec != nil && pattern != "" {
			rec.route = pattern
		}
		if pattern == "" {
			// Ask the mux's own handler why, without letting it write.
			probe := &probeWriter{header: http.Header{}}
			h.ServeHTTP(probe, r)
			switch probe.status {
			case http.StatusNotFound:
				WriteError(w, r, http.StatusNotFound, fmt.Sprintf(
					"no API route for %s %s: GET /v1/schemas lists the resource types", r.Method, r.URL.Path))
				return
			case http.StatusMethodNotAllowed:
				allow := probe.header.Get("Allow")
				w.Header().Set("Allow", allow)
				WriteError(w, r, http.StatusMethodNotAllowed, fmt.Sprintf(
					"method %s is not allowed on %s: use one of %s", r.Method, r.URL.Path, allow))
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// probeWriter captures the status and headers of the mux's not-found and
// method-not-allowed handlers and discards their text body.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header { return p.header }

func (p *probeWriter) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

func (p *probeWriter) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}

// StackOptions configures Stack. A nil Logger means slog.Default(); a nil
// Metrics records none; an empty Token disables authentication; a nil
// Guard checks no Host, Origin or Content-Type (see Guard).
type StackOptions struct {
	Logger  *slog.Logger
	Metrics *Metrics
	Token   string
	Guard   Middleware
}

// Stack wraps mux with the API's middleware, outermost first:
//
//  1. route naming: the matched pattern is recorded before anything else
//     runs, so even a 401 is counted under its route;
//  2. metrics, which see the final status of everything below;
//  3. request logging, which also sees 500s made from panics;
//  4. panic recovery, inside logging so a panic is one logged 500;
//  5. the guard (Host, Origin, Content-Type), so a forged request is
//     refused whether or not a token is set;
//  6. token authentication, before any handler runs;
//  7. Routes: JSON 404/405 for unmatched requests, then mux.
func Stack(mux *http.ServeMux, o StackOptions) http.Handler {
	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}
	h := Routes(mux)
	h = RequireToken(o.Token)(h)
	if o.Guard != nil {
		h = o.Guard(h)
	}
	h = Recover(logger)(h)
	h = Log(logger)(h)
	if o.Metrics != nil {
		h = o.Metrics.Middleware(h)
	}
	return nameRoute(mux, h)
}

// nameRoute creates the request's recorder and records the pattern mux
// will match.
func nameRoute(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, rec, r := track(w, r)
		_, rec.route = mux.Handler(r)
		next.ServeHTTP(w, r)
	})
}
