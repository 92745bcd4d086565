package azblob

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/target"
)

// silentServer accepts TCP connections, reads what the client sends and
// answers with reply (possibly nothing), then never says another word.
func silentServer(t *testing.T, reply string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				buf := make([]byte, 4096)
				if _, err := c.Read(buf); err == nil && reply != "" {
					_, _ = io.WriteString(c, reply)
				}
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// stalledDriver returns a driver for a server at endpoint, with request
// timeouts shortened for the test.
func stalledDriver(t *testing.T, endpoint string) *Driver {
	t.Helper()
	u, _ := url.Parse("azblob://c/x")
	cfg, err := parseConfig(u, map[string]string{SecretAccountName: "acct", SecretAccountKey: "a2V5", SecretEndpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	cfg.timeouts = timeouts{responseHeader: 300 * time.Millisecond, try: time.Second}
	d, err := newDriver(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// checkBounded runs call under a context without deadline (the backup
// controller's) and a generous guard, and wants it to fail by itself,
// quickly, with a transient error naming the timeout.
func checkBounded(t *testing.T, what string, call func(ctx context.Context) error) {
	t.Helper()
	guard, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	err := call(guard)
	took := time.Since(start)
	if guard.Err() != nil {
		t.Fatalf("%s against a server that never answers ran until the test's %s guard: %v", what, 20*time.Second, err)
	}
	if err == nil || !target.IsTransient(err) || !strings.Contains(err.Error(), "did not answer in time") {
		t.Fatalf("%s against a silent server = %v (kind %v), want a transient timeout error", what, err, target.KindOf(err))
	}
	if took > 10*time.Second {
		t.Fatalf("%s took %s to give up with 300 ms/1 s timeouts", what, took)
	}
}

// A server that accepts the connection and never answers fails every call
// (the SDK's two tries each end at the response header timeout) instead of
// hanging the operation forever.
func TestSilentServerTimesOut(t *testing.T) {
	d := stalledDriver(t, silentServer(t, ""))
	checkBounded(t, "Put", func(ctx context.Context) error { return d.Put(ctx, "k", []byte("v")) })
	checkBounded(t, "Stat", func(ctx context.Context) error { _, err := d.Stat(ctx, "k"); return err })
	checkBounded(t, "Walk", func(ctx context.Context) error {
		return d.Walk(ctx, "", func(target.Entry) error { return nil })
	})
}

// A server that sends the response headers and then stalls the body is
// cut off by the per-try timeout.
func TestStalledBodyTimesOut(t *testing.T) {
	reply := "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\npartial"
	d := stalledDriver(t, silentServer(t, reply))
	checkBounded(t, "Get", func(ctx context.Context) error { _, err := d.Get(ctx, "k"); return err })
}

// New bounds requests by default as the S3 driver does.
func TestDefaultTimeouts(t *testing.T) {
	u, _ := url.Parse("azblob://c/x")
	cfg, err := parseConfig(u, map[string]string{SecretAccountName: "acct", SecretAccountKey: "a2V5"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.timeouts != defaultTimeouts || defaultTimeouts.responseHeader != 2*time.Minute || defaultTimeouts.try <= 0 {
		t.Fatalf("timeouts %+v, want the defaults with a 2 min response header timeout", cfg.timeouts)
	}
	hc, err := cfg.httpClient()
	if err != nil {
		t.Fatal(err)
	}
	if tr := hc.Transport.(*http.Transport); tr.ResponseHeaderTimeout != 2*time.Minute {
		t.Fatalf("transport response header timeout %s, want 2m", tr.ResponseHeaderTimeout)
	}
}
