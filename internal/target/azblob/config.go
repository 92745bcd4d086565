package azblob

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Secret keys, as Longhorn names them.
const (
	SecretAccountName = "AZBLOB_ACCOUNT_NAME"
	SecretAccountKey  = "AZBLOB_ACCOUNT_KEY"
	SecretEndpoint    = "AZBLOB_ENDPOINT"
	SecretCert        = "AZBLOB_CERT"
)

// defaultSuffix is Azure's public cloud endpoint suffix.
const defaultSuffix = "core.windows.net"

// config is what New reads from the target URL and secret.
type config struct {
	container  string
	prefix     string // "" or the target root with a trailing "/"
	account    string
	key        string
	serviceURL string // https://<account>.blob.<suffix>/ or <AZBLOB_ENDPOINT>/<account>/
	certPEM    string
	timeouts   timeouts
}

// timeouts bound one request, so that a server that accepts a connection
// and never answers fails the call (transient, retried by the retry
// decorator) instead of hanging it: the backup controller gives
// operations no deadline. Tests shorten them.
type timeouts struct {
	// responseHeader bounds the wait for response headers once the request
	// is sent, as the S3 driver's transport does.
	responseHeader time.Duration
	// try bounds one whole try, body included (the SDK's TryTimeout): a
	// server that sends headers and then stalls the body. Generous enough
	// for a 2 MiB block over a slow link.
	try time.Duration
}

// defaultTimeouts match the S3 driver (2 min for response headers) and
// the SMB driver's per-call bound (5 min).
var defaultTimeouts = timeouts{responseHeader: 2 * time.Minute, try: 5 * time.Minute}

// parseConfig reads azblob://container@endpointSuffix/path or
// azblob://container/path (Longhorn's forms) and the secret. Like
// Longhorn, AZBLOB_ENDPOINT (for example Azurite's http://127.0.0.1:10000)
// replaces the public endpoint and the account name is appended to it as
// the first path element; an endpoint that already ends in /<account> is
// used as is.
func parseConfig(u *url.URL, secret map[string]string) (config, error) {
	cfg := config{account: secret[SecretAccountName], key: secret[SecretAccountKey], certPEM: secret[SecretCert], timeouts: defaultTimeouts}
	if u.Scheme != "azblob" {
		return cfg, fmt.Errorf("azblob target URL %q: scheme must be azblob", u.Redacted())
	}
	if len(u.Query()) > 0 {
		return cfg, fmt.Errorf("azblob target URL %q: query parameters are not supported", u.Redacted())
	}
	suffix := defaultSuffix
	if u.User != nil {
		cfg.container, suffix = u.User.Username(), u.Host
	} else {
		cfg.container = u.Host
	}
	if cfg.container == "" || suffix == "" {
		return cfg, fmt.Errorf("azblob target URL %q: want azblob://container@endpointSuffix/path or azblob://container/path", u.Redacted())
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		cfg.prefix = p + "/"
	}
	if cfg.account == "" || cfg.key == "" {
		return cfg, fmt.Errorf("azblob target: the secret needs %s and %s", SecretAccountName, SecretAccountKey)
	}
	cfg.serviceURL = "https://" + cfg.account + ".blob." + suffix + "/"
	if ep := strings.TrimRight(secret[SecretEndpoint], "/"); ep != "" {
		if _, err := url.Parse(ep); err != nil {
			return cfg, fmt.Errorf("azblob target: %s is not a URL: %w", SecretEndpoint, err)
		}
		if !strings.HasSuffix(ep, "/"+cfg.account) {
			ep += "/" + cfg.account
		}
		cfg.serviceURL = ep + "/"
	}
	return cfg, nil
}

// httpClient returns the transport for the SDK: the default one (proxy
// from the environment, 30 s dial timeout) with the S3 driver's response
// header and TLS handshake timeouts, and the PEM bundle of AZBLOB_CERT
// added to the system roots when given.
func (c config) httpClient() (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = c.timeouts.responseHeader
	tr.TLSHandshakeTimeout = 15 * time.Second
	if c.certPEM != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM([]byte(c.certPEM)) {
			return nil, errors.New("azblob target: " + SecretCert + " holds no PEM certificate")
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr}, nil
}
