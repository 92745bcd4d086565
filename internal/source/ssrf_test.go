package source

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// publicHop stands in for a public server that answers every request with a
// redirect to location, without a connection (tests have no public
// address); every other request goes through the download client's real
// transport, whose connect-time check is under test.
type publicHop struct {
	location string
	next     http.RoundTripper
}

func (p publicHop) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != "public.example" {
		return p.next.RoundTrip(r)
	}
	h := http.Header{"Location": {p.location}}
	return &http.Response{StatusCode: http.StatusFound, Header: h, Body: http.NoBody, Request: r}, nil
}

// redirectedGet fetches http://public.example/img, which redirects to
// location, with the client a download of policy uses.
func redirectedGet(t *testing.T, allowPrivate bool, location string) error {
	t.Helper()
	client := newClient(newPolicy(allowPrivate), nil, 5*time.Second)
	client.Transport = publicHop{location: location, next: client.Transport}
	client.Timeout = 10 * time.Second
	resp, err := client.Get("http://public.example/img")
	if err == nil {
		resp.Body.Close()
	}
	return err
}

// listen serves on network address addr and counts connections; ok is
// false when the address is not available on this machine.
func listen(t *testing.T, addr string) (url string, conns *atomic.Int32, ok bool) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, false
	}
	conns = &atomic.Int32{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("internal data"))
	}))
	srv.Listener = l
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, conns, true
}

// TestRedirectsToForbiddenAddressesAreRefused follows a public server's
// redirect to loopback, the host's IPv6 loopback, a name resolving to
// loopback, cloud metadata, private and unspecified addresses and other
// schemes: each is refused before any connection, on the hop itself.
func TestRedirectsToForbiddenAddressesAreRefused(t *testing.T) {
	v4, v4conns, _ := listen(t, "127.0.0.1:0")
	port := v4[strings.LastIndex(v4, ":")+1:]
	// Positive control: with --insecure-allow-private-sources the very
	// same redirect reaches the loopback server, so the refusals below are
	// the policy's and not a broken test set-up.
	if err := redirectedGet(t, true, v4+"/x"); err != nil || v4conns.Load() != 1 {
		t.Fatalf("control: redirect to loopback with allowPrivate: %v, %d connections", err, v4conns.Load())
	}
	v4conns.Store(0)

	cases := []struct {
		location     string
		allowPrivate bool
		want         error
	}{
		{v4 + "/x", false, ErrForbiddenAddress},
		{"http://localhost:" + port + "/x", false, ErrForbiddenAddress},
		// Short and decimal IPv4 forms: Go resolves them as names (and finds
		// none); any error will do as long as nothing connects.
		{"http://127.1:" + port + "/x", false, nil},
		{"http://2130706433:" + port + "/x", false, nil},
		{"http://[::ffff:127.0.0.1]:" + port + "/x", false, ErrForbiddenAddress},
		{"http://169.254.169.254/latest/meta-data/iam/security-credentials/", false, ErrForbiddenAddress},
		{"http://169.254.169.254/latest/meta-data/", true, ErrForbiddenAddress},
		{"http://[fd00:ec2::254]/latest/meta-data/", false, ErrForbiddenAddress},
		{"http://[fe80::a9fe:a9fe]/", true, ErrForbiddenAddress},
		{"http://10.0.0.1/", false, ErrForbiddenAddress},
		{"http://192.168.1.1/", false, ErrForbiddenAddress},
		{"http://172.16.0.1/", false, ErrForbiddenAddress},
		{"http://100.64.0.1/", false, ErrForbiddenAddress},
		{"http://0.0.0.0:" + port + "/x", true, ErrForbiddenAddress},
		{"http://[::]:" + port + "/x", true, ErrForbiddenAddress},
		{"http://224.0.0.1/", true, ErrForbiddenAddress},
		{"file:///etc/passwd", false, ErrInvalidURL},
		{"file:///etc/passwd", true, ErrInvalidURL},
		{"ftp://127.0.0.1/x", true, ErrInvalidURL},
		{"gopher://127.0.0.1:" + port + "/_x", true, ErrInvalidURL},
	}
	if v6, v6conns, ok := listen(t, "[::1]:0"); ok {
		cases = append(cases, struct {
			location     string
			allowPrivate bool
			want         error
		}{v6 + "/x", false, ErrForbiddenAddress})
		defer func() {
			if n := v6conns.Load(); n != 0 {
				t.Errorf("the [::1] server received %d connections", n)
			}
		}()
	}
	for _, c := range cases {
		err := redirectedGet(t, c.allowPrivate, c.location)
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("redirect to %s (allowPrivate %v): %v, want %v", c.location, c.allowPrivate, err, c.want)
		}
	}
	if n := v4conns.Load(); n != 0 {
		t.Errorf("the loopback server received %d connections through refused redirects", n)
	}
}
