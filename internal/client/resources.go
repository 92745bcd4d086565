package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// list GETs a collection and returns its data (never nil).
func list[T any](ctx context.Context, c *Client, query url.Values, segments ...string) ([]T, error) {
	var coll apitypes.Collection[T]
	if err := c.call(ctx, http.MethodGet, nil, &coll, query, segments...); err != nil {
		return nil, err
	}
	if coll.Data == nil {
		coll.Data = []T{}
	}
	return coll.Data, nil
}

// ListSettings returns every setting.
func (c *Client) ListSettings(ctx context.Context) ([]apitypes.Setting, error) {
	out, err := list[apitypes.Setting](ctx, c, nil, "v1", "settings")
	if err != nil {
		return nil, fmt.Errorf("list settings: %w", err)
	}
	return out, nil
}

// GetSetting returns one setting.
func (c *Client) GetSetting(ctx context.Context, name string) (*apitypes.Setting, error) {
	var out apitypes.Setting
	if err := c.call(ctx, http.MethodGet, nil, &out, nil, "v1", "settings", name); err != nil {
		return nil, fmt.Errorf("get setting %q: %w", name, err)
	}
	return &out, nil
}

// UpdateSetting sets a setting's value and returns the setting as stored.
func (c *Client) UpdateSetting(ctx context.Context, name, value string) (*apitypes.Setting, error) {
	var out apitypes.Setting
	in := apitypes.SettingInput{Value: value}
	if err := c.call(ctx, http.MethodPut, in, &out, nil, "v1", "settings", name); err != nil {
		return nil, fmt.Errorf("set setting %q: %w", name, err)
	}
	return &out, nil
}

// ListNodes returns every node.
func (c *Client) ListNodes(ctx context.Context) ([]apitypes.Node, error) {
	out, err := list[apitypes.Node](ctx, c, nil, "v1", "nodes")
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	return out, nil
}

// GetNode returns one node with its disks.
func (c *Client) GetNode(ctx context.Context, id string) (*apitypes.Node, error) {
	var out apitypes.Node
	if err := c.call(ctx, http.MethodGet, nil, &out, nil, "v1", "nodes", id); err != nil {
		return nil, fmt.Errorf("get node %q: %w", id, err)
	}
	return &out, nil
}

// UpdateNodeDisks replaces a node's whole set of disks (diskUpdate) and
// returns the node as stored.
func (c *Client) UpdateNodeDisks(ctx context.Context, id string, in apitypes.DiskUpdateInput) (*apitypes.Node, error) {
	var out apitypes.Node
	if err := c.action(ctx, "diskUpdate", in, &out, "v1", "nodes", id); err != nil {
		return nil, fmt.Errorf("update disks of node %q: %w", id, err)
	}
	return &out, nil
}

// ListSecrets returns every secret (names and keys, never values).
func (c *Client) ListSecrets(ctx context.Context) ([]apitypes.Secret, error) {
	out, err := list[apitypes.Secret](ctx, c, nil, "v1", "secrets")
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	return out, nil
}

// GetSecret returns one secret's name and keys.
func (c *Client) GetSecret(ctx context.Context, name string) (*apitypes.Secret, error) {
	var out apitypes.Secret
	if err := c.call(ctx, http.MethodGet, nil, &out, nil, "v1", "secrets", name); err != nil {
		return nil, fmt.Errorf("get secret %q: %w", name, err)
	}
	return &out, nil
}

// CreateSecret stores a secret. The values travel only in the request body;
// errors never include them.
func (c *Client) CreateSecret(ctx context.Context, in apitypes.SecretCreateInput) (*apitypes.Secret, error) {
	var out apitypes.Secret
	if err := c.call(ctx, http.MethodPost, in, &out, nil, "v1", "secrets"); err != nil {
		return nil, fmt.Errorf("create secret %q: %w", in.Name, err)
	}
	return &out, nil
}

// RekeySecrets asks the server to seal every secret under a new key and
// drop the old keys from its key file. It returns how many secrets were
// rewritten. On an error the server keeps the old keys, so every secret
// still opens; running it again finishes the job.
func (c *Client) RekeySecrets(ctx context.Context) (int, error) {
	var out apitypes.SecretRekeyResult
	if err := c.action(ctx, "rekey", nil, &out, "v1", "secrets"); err != nil {
		return 0, fmt.Errorf("rekey secrets: %w", err)
	}
	return out.Rewritten, nil
}

// DeleteSecret deletes a secret.
func (c *Client) DeleteSecret(ctx context.Context, name string) error {
	if err := c.call(ctx, http.MethodDelete, nil, nil, nil, "v1", "secrets", name); err != nil {
		return fmt.Errorf("delete secret %q: %w", name, err)
	}
	return nil
}
