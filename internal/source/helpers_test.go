package source

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// memSink is a Sink in memory that counts Resets.
type memSink struct {
	buf    bytes.Buffer
	resets int
}

func (m *memSink) Write(p []byte) (int, error) { return m.buf.Write(p) }
func (m *memSink) Written() int64              { return int64(m.buf.Len()) }
func (m *memSink) Reset() error                { m.buf.Reset(); m.resets++; return nil }

// testServer serves h on 127.0.0.1 and counts requests.
func testServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// fastOptions are download options for tests on 127.0.0.1.
func fastOptions() Options {
	return Options{AllowPrivate: true, StallTimeout: 2 * time.Second, Attempts: 4, Backoff: 10 * time.Millisecond}
}

// patterned returns n bytes that differ at every offset.
func patterned(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + i>>8)
	}
	return b
}

// serveHalfThenDrop writes the headers and half of data, then kills the
// connection (the client sees an unexpected EOF).
func serveHalfThenDrop(w http.ResponseWriter, data []byte) {
	w.Header().Set("Content-Length", itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data[:len(data)/2])
	w.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}
