// Package servertest starts the real plinth daemon (server.Run) in-process
// for tests of the layers above the API: the client, the CLI and the
// contract suite that holds the client's fake to the real server.
package servertest

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/server"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// Server is a running in-process daemon.
type Server struct {
	// URL is the API's base URL, e.g. http://127.0.0.1:PORT.
	URL string
	// DataDir is the daemon's data directory (a t.TempDir).
	DataDir string
}

// Start runs server.Run on 127.0.0.1 with a fresh data directory, the node
// ID "n1", private download sources allowed (tests serve sources on
// loopback) and warn-level logs; edit may change those options (Listen
// and DataDir are chosen here). It returns once /healthz answers 200 and
// stops the daemon when t ends, failing t if it does not stop within 15 s.
// A daemon that exits early fails t with its error.
func Start(t testing.TB, edit ...func(*server.Options)) *Server {
	t.Helper()
	opts := server.Options{
		DataDir: t.TempDir(), NodeID: "n1", InsecureAllowPrivateSources: true, LogLevel: "warn",
	}
	for _, e := range edit {
		e(&opts)
	}
	opts.Listen = fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, opts) }()
	stopped := false
	t.Cleanup(func() {
		cancel()
		if stopped {
			return
		}
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Errorf("plinth server on %s did not stop within 15 s of its context ending", opts.Listen)
		}
	})
	base := "http://" + opts.Listen
	hc := &http.Client{Timeout: 2 * time.Second}
	testenv.Eventually(t, 30*time.Second, "plinth server to answer "+base+"/healthz", func() (bool, string) {
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("plinth server on %s exited before it was healthy: %v", opts.Listen, err)
		default:
		}
		req, err := http.NewRequest(http.MethodGet, base+"/healthz", nil)
		if err != nil {
			return false, err.Error()
		}
		if opts.Token != "" {
			req.Header.Set("Authorization", "Bearer "+opts.Token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return &Server{URL: base, DataDir: opts.DataDir}
}
