package syncbench

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

// wireCounter is an HTTP reverse proxy on 127.0.0.1 in front of an S3
// server. It counts the S3 requests that pass by operation and records the
// prefix of every object listing: what the s3 driver really sends, where
// Counting sees one Walk for every page of a listing.
type wireCounter struct {
	srv *httptest.Server

	mu       sync.Mutex
	ops      map[string]int64
	listings []wireListing
}

// wireListing is one object-listing request's scope.
type wireListing struct {
	Prefix  string
	MaxKeys string // "" when the request set none (the server's 1,000)
}

// newWireCounter starts a proxy to the server at endpoint (http://host:port)
// and stops it when tb ends. The Host header is passed through unchanged,
// so SigV4 signatures made for the proxy's address stay valid.
func newWireCounter(tb testing.TB, endpoint string) *wireCounter {
	tb.Helper()
	backend, err := url.Parse(endpoint)
	if err != nil {
		tb.Fatalf("parse S3 endpoint %q: %v", endpoint, err)
	}
	w := &wireCounter{ops: make(map[string]int64)}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(backend)
			r.Out.Host = r.In.Host
		},
		Transport: &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 128},
	}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.record(r)
		proxy.ServeHTTP(rw, r)
	}))
	tb.Cleanup(w.srv.Close)
	return w
}

// URL is the proxy's endpoint, to use as AWS_ENDPOINTS.
func (w *wireCounter) URL() string { return w.srv.URL }

func (w *wireCounter) record(r *http.Request) {
	op := s3Op(r)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ops[op]++
	if op == "ListObjectsV2" || op == "ListObjects" {
		q := r.URL.Query()
		w.listings = append(w.listings, wireListing{Prefix: q.Get("prefix"), MaxKeys: q.Get("max-keys")})
	}
}

// Calls returns the requests per S3 operation since the last reset.
func (w *wireCounter) Calls() map[string]int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.ops)
}

// Listings returns the scope of every object listing since the last reset.
func (w *wireCounter) Listings() []wireListing {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.listings)
}

func (w *wireCounter) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	clear(w.ops)
	w.listings = nil
}

// s3Op names the S3 operation of a path-style request.
func s3Op(r *http.Request) string {
	_, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	onBucket := key == ""
	switch {
	case r.Method == http.MethodGet && onBucket && q.Get("list-type") == "2":
		return "ListObjectsV2"
	case r.Method == http.MethodGet && onBucket && (len(q) == 0 || q.Has("prefix")):
		return "ListObjects"
	case r.Method == http.MethodGet && !onBucket:
		return "GetObject"
	case r.Method == http.MethodHead && onBucket:
		return "HeadBucket"
	case r.Method == http.MethodHead:
		return "HeadObject"
	case r.Method == http.MethodPut && !onBucket:
		return "PutObject"
	case r.Method == http.MethodDelete && !onBucket:
		return "DeleteObject"
	case r.Method == http.MethodPost && q.Has("delete"):
		return "DeleteObjects"
	}
	return r.Method + " " + r.URL.Path
}
