package uitest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"

	"github.com/plinth-storage/plinth/web"
)

// frontUI is a temporary front for development until the server wires web.Register.
func frontUI(t *testing.T, backend string) string {
	u, _ := url.Parse(backend)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	mux := http.NewServeMux()
	web.Register(mux)
	mux.Handle("/", rp)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}
var devFront = true
