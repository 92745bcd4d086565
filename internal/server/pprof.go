package server

import (
	"net/http"
	"net/http/pprof"

	"github.com/plinth-storage/plinth/web"
)

// extraRoutes registers the web UI and, with --pprof, Go's profiles (CPU,
// heap, goroutines, execution trace) under /debug/pprof/. They sit behind
// the API's middleware like every route, so the token guards them.
func extraRoutes(opts Options) func(mux *http.ServeMux) {
	return func(mux *http.ServeMux) {
		web.Register(mux)
		if !opts.Pprof {
			return
		}
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
}
