package s3

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/net/http/httpproxy"
)

// newClient builds the one S3 client a Target uses for its lifetime. The
// SDK's own retries are off: the retry decorator (target/retry) owns retry
// policy for every driver alike.
func newClient(c Config) (*s3.Client, error) {
	hc, err := newHTTPClient(c)
	if err != nil {
		return nil, err
	}
	var creds aws.CredentialsProvider = aws.AnonymousCredentials{}
	if c.AccessKeyID != "" {
		creds = credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
	}
	opts := s3.Options{
		Region:       c.Region,
		Credentials:  creds,
		HTTPClient:   hc,
		UsePathStyle: c.PathStyle,
		Retryer:      aws.NopRetryer{},
		// Plain single-part requests without CRC trailers or aws-chunked
		// encoding, which many S3-compatible servers reject.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if c.Endpoint != "" {
		opts.BaseEndpoint = aws.String(c.Endpoint)
	}
	return s3.New(opts), nil
}

// newHTTPClient returns an HTTP/1.1 client whose pool fits c.Connections
// parallel requests, with the secret's proxy settings and extra CAs.
func newHTTPClient(c Config) (*http.Client, error) {
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CACertPEM != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM([]byte(c.CACertPEM)) {
			return nil, errors.New("credential secret key AWS_CERT holds no valid PEM certificate")
		}
		tlsConf.RootCAs = pool
	}
	proxy := httpproxy.Config{HTTPProxy: c.HTTPProxy, HTTPSProxy: c.HTTPSProxy, NoProxy: c.NoProxy}
	proxyFunc := proxy.ProxyFunc()
	conns := c.Connections
	if conns <= 0 {
		conns = DefaultConnections
	}
	tr := &http.Transport{
		Proxy:                 func(r *http.Request) (*url.URL, error) { return proxyFunc(r.URL) },
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          2 * conns,
		MaxIdleConnsPerHost:   2 * conns,
		// HTTP/1.1 only: parallel requests get parallel connections
		// instead of sharing one HTTP/2 connection's window.
		ForceAttemptHTTP2: false,
		TLSNextProto:      map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	if _, err := proxyFunc(&url.URL{Scheme: "https", Host: "probe.invalid"}); err != nil {
		return nil, fmt.Errorf("credential secret proxy settings (HTTP_PROXY/HTTPS_PROXY/NO_PROXY): %w", err)
	}
	return &http.Client{Transport: tr}, nil
}
