// Package azblob is the azblob:// target driver: Azure Blob Storage (or
// Azurite) through the Azure SDK, with shared-key credentials from the
// target's secret. Keys are block blobs below the URL's path; "directories"
// are only prefixes, listed with the "/" delimiter.
package azblob

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/plinth-storage/plinth/internal/target"
)

var _ target.Target = (*Driver)(nil)

// connections is how many requests the driver usefully runs at once; each
// is an independent HTTP request.
const connections = 16

// Driver is an Azure Blob target over one container.
type Driver struct {
	cfg       config
	http      *http.Client
	container *container.Client
}

// New returns a driver for u (see parseConfig) with the credentials in
// secret (AZBLOB_ACCOUNT_NAME, AZBLOB_ACCOUNT_KEY, optional
// AZBLOB_ENDPOINT and AZBLOB_CERT). It does not contact the service:
// Check does. Every request is bounded (see timeouts).
func New(ctx context.Context, u *url.URL, secret map[string]string) (*Driver, error) {
	cfg, err := parseConfig(u, secret)
	if err != nil {
		return nil, target.NewError(target.OpCheck, "", target.KindPermanent, err)
	}
	return newDriver(cfg)
}

// newDriver builds the SDK client for a parsed configuration.
func newDriver(cfg config) (*Driver, error) {
	hc, err := cfg.httpClient()
	if err != nil {
		return nil, target.NewError(target.OpCheck, "", target.KindPermanent, err)
	}
	cred, err := azblob.NewSharedKeyCredential(cfg.account, cfg.key)
	if err != nil {
		// The SDK rejects a key that is not base64; its message does not
		// repeat the key, but say only what is wrong.
		return nil, target.NewError(target.OpCheck, "", target.KindPermanent, errBadKey)
	}
	opts := &azblob.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: hc,
		// The retry decorator above the driver owns retries; the SDK makes
		// only a quick second try so an outage is reported promptly.
		Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: 200 * time.Millisecond, MaxRetryDelay: time.Second,
			TryTimeout: cfg.timeouts.try},
	}}
	client, err := azblob.NewClientWithSharedKeyCredential(cfg.serviceURL, cred, opts)
	if err != nil {
		return nil, target.NewError(target.OpCheck, "", target.KindPermanent, err)
	}
	return &Driver{cfg: cfg, http: hc, container: client.ServiceClient().NewContainerClient(cfg.container)}, nil
}

// errBadKey replaces the SDK's error for a malformed account key.
var errBadKey = errors.New("azblob target: " + SecretAccountKey + " is not a valid base64 storage account key")

// Check reads the container's properties: it proves the endpoint answers,
// the credentials are accepted and the container exists.
func (d *Driver) Check(ctx context.Context) error {
	_, err := d.container.GetProperties(ctx, nil)
	return d.classify(ctx, target.OpCheck, "", err)
}

// Properties reports the driver's capabilities.
func (d *Driver) Properties() target.Properties {
	return target.Properties{Scheme: "azblob", Connections: connections, HasDirs: false}
}

// Close closes the driver's idle HTTP connections.
func (d *Driver) Close() error {
	d.http.CloseIdleConnections()
	return nil
}

// blobName returns the blob name of key.
func (d *Driver) blobName(key string) string { return d.cfg.prefix + key }
