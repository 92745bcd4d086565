package source

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// maxRedirects bounds redirect chains, as Go's default client does.
const maxRedirects = 10

// newClient builds the HTTP client for one download. Every connection,
// including each redirect hop's, is checked by policy after DNS resolution
// and before connect (the dialer's Control hook sees the literal address),
// so a name that resolves to a forbidden address is refused whatever it
// resolved to earlier. Proxies from the environment are not used: a proxy
// would make the connect-time check see the proxy instead of the target.
// Compression is disabled so the bytes stored are the bytes served.
func newClient(policy addrPolicy, tlsConfig *tls.Config, headerTimeout time.Duration) *http.Client {
	dialer := &net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: cannot parse dial address %q", ErrForbiddenAddress, address)
			}
			return policy.check(ap.Addr())
		},
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: headerTimeout,
		DisableCompression:    true,
		MaxIdleConns:          4,
		IdleConnTimeout:       30 * time.Second,
	}
	return &http.Client{Transport: transport, CheckRedirect: checkRedirect}
}

// checkRedirect allows http and https hops only (addresses are checked at
// connect time) and drops the Referer header, which some CDNs reject.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w: redirected to scheme %q", ErrInvalidURL, req.URL.Scheme)
	}
	req.Header.Del("Referer")
	return nil
}
