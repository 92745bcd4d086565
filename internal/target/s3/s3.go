// Package s3 is the s3:// target driver (aws-sdk-go-v2), speaking to AWS or
// any S3-compatible server. URLs and credential-secret keys are Longhorn's:
// s3://bucket@region/path with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, AWS_ENDPOINTS, AWS_CERT, VIRTUAL_HOSTED_STYLE and the
// proxy keys. Unlike Longhorn, nothing is read from the process environment
// or ~/.aws, and one client (and connection pool) serves a Target's lifetime.
package s3

import (
	"context"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/plinth-storage/plinth/internal/target"
)

// Scheme is the URL scheme this driver serves.
const Scheme = "s3"

// Params lists the URL query parameters the driver accepts: none.
var Params []string

var _ target.Target = (*Target)(nil)

// Target is one bucket prefix on one S3 endpoint.
type Target struct {
	cfg    Config
	client *s3.Client
}

// Open is the registry's entry point: it builds the client from the URL and
// the credential secret without contacting the server (Check does that).
func Open(_ context.Context, u *url.URL, secret map[string]string) (target.Target, error) {
	cfg, err := ConfigFromSecret(u, secret)
	if err != nil {
		return nil, err
	}
	return New(cfg)
}

// New returns a Target for cfg.
func New(cfg Config) (*Target, error) {
	if cfg.Connections <= 0 {
		cfg.Connections = DefaultConnections
	}
	client, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	return &Target{cfg: cfg, client: client}, nil
}

// objectKey maps a target key to the object key in the bucket.
func (t *Target) objectKey(key string) string {
	if t.cfg.Prefix == "" {
		return key
	}
	return t.cfg.Prefix + "/" + key
}

// dirPrefix is the object-key prefix of everything below dir.
func (t *Target) dirPrefix(dir string) string {
	switch {
	case dir != "":
		return t.objectKey(dir) + "/"
	case t.cfg.Prefix != "":
		return t.cfg.Prefix + "/"
	}
	return ""
}

// Properties: a flat object store with many parallel connections.
func (t *Target) Properties() target.Properties {
	return target.Properties{Scheme: Scheme, Connections: t.cfg.Connections, HasDirs: false}
}

// Close releases idle connections.
func (t *Target) Close() error {
	if hc, ok := t.client.Options().HTTPClient.(interface{ CloseIdleConnections() }); ok {
		hc.CloseIdleConnections()
	}
	return nil
}

// begin checks ctx and the key shape for one call.
func begin(ctx context.Context, op, key string, isDir bool) error {
	if err := ctx.Err(); err != nil {
		return target.NewError(op, key, target.KindPermanent, err)
	}
	if isDir {
		return target.ValidateDir(op, key)
	}
	return target.ValidateKey(op, key)
}
