package s3

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/plinth-storage/plinth/internal/target"
)

// Longhorn's credential-secret keys read by this driver. Other keys are
// ignored (one secret may serve several drivers).
const (
	KeyAccessKeyID     = "AWS_ACCESS_KEY_ID"
	KeySecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	KeySessionToken    = "AWS_SESSION_TOKEN"
	KeyEndpoints       = "AWS_ENDPOINTS"
	KeyCert            = "AWS_CERT"
	KeyVirtualHosted   = "VIRTUAL_HOSTED_STYLE"
	KeyHTTPProxy       = "HTTP_PROXY"
	KeyHTTPSProxy      = "HTTPS_PROXY"
	KeyNoProxy         = "NO_PROXY"
)

// Config is everything one S3 target needs, built from the URL and the
// credential secret only: never from the process environment or ~/.aws.
type Config struct {
	Bucket string
	Region string
	Prefix string // key prefix inside the bucket, no leading or trailing "/"

	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string

	Endpoint    string // custom endpoint URL; "" means AWS
	PathStyle   bool
	CACertPEM   string // extra CA certificates, appended to the system roots
	HTTPProxy   string
	HTTPSProxy  string
	NoProxy     string
	Connections int // parallel requests; 0 means DefaultConnections
}

// DefaultConnections sizes the connection pool and Properties.Connections.
const DefaultConnections = 16

// String describes the config without its credentials, so a Config that
// ends up in a log or error message leaks nothing.
func (c Config) String() string {
	return fmt.Sprintf("s3://%s@%s/%s (endpoint %q, path style %v, access key set %v)",
		c.Bucket, c.Region, c.Prefix, c.Endpoint, c.PathStyle, c.AccessKeyID != "")
}

// ParseURL reads Longhorn's s3://bucket@region/path form. The path may be
// empty or "/" for the bucket root.
func ParseURL(u *url.URL) (bucket, region, prefix string, err error) {
	if u.Scheme != Scheme {
		return "", "", "", fmt.Errorf("s3 target URL: scheme %q is not %q", u.Scheme, Scheme)
	}
	if u.User == nil || u.User.Username() == "" || u.Host == "" {
		return "", "", "", errors.New("s3 target URL must have the form s3://bucket@region/path")
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		return "", "", "", errors.New("s3 target URL must have the form s3://bucket@region/path; credentials belong in the secret")
	}
	prefix = strings.Trim(u.Path, "/")
	if err := target.ValidateDir("open", prefix); err != nil {
		return "", "", "", fmt.Errorf("s3 target URL path %q: %w", u.Path, err)
	}
	return u.User.Username(), u.Host, prefix, nil
}

// ConfigFromSecret builds a Config from a parsed URL and a Longhorn
// credential secret. Error messages name keys, never values.
func ConfigFromSecret(u *url.URL, secret map[string]string) (Config, error) {
	bucket, region, prefix, err := ParseURL(u)
	if err != nil {
		return Config{}, err
	}
	for _, k := range []string{KeyAccessKeyID, KeySecretAccessKey, KeySessionToken, KeyEndpoints,
		KeyVirtualHosted, KeyHTTPProxy, KeyHTTPSProxy, KeyNoProxy} { // AWS_CERT is PEM: newlines belong
		if v := secret[k]; v != strings.TrimSpace(v) {
			return Config{}, fmt.Errorf("credential secret key %s has leading or trailing whitespace or newlines; remove them", k)
		}
	}
	c := Config{
		Bucket: bucket, Region: region, Prefix: prefix,
		AccessKeyID:     secret[KeyAccessKeyID],
		SecretAccessKey: secret[KeySecretAccessKey],
		SessionToken:    secret[KeySessionToken],
		Endpoint:        secret[KeyEndpoints],
		CACertPEM:       secret[KeyCert],
		HTTPProxy:       secret[KeyHTTPProxy],
		HTTPSProxy:      secret[KeyHTTPSProxy],
		NoProxy:         secret[KeyNoProxy],
	}
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		return Config{}, fmt.Errorf("credential secret must set both %s and %s, or neither for anonymous access", KeyAccessKeyID, KeySecretAccessKey)
	}
	if c.Endpoint != "" {
		e, err := url.Parse(c.Endpoint)
		if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
			return Config{}, fmt.Errorf("credential secret key %s must be an http(s) URL such as https://minio.example:9000", KeyEndpoints)
		}
	}
	switch secret[KeyVirtualHosted] {
	case "":
		c.PathStyle = c.Endpoint != "" // custom endpoints are usually path style
	case "true":
		c.PathStyle = false
	case "false":
		c.PathStyle = true
	default:
		return Config{}, fmt.Errorf("credential secret key %s must be \"true\" or \"false\"", KeyVirtualHosted)
	}
	return c, nil
}
