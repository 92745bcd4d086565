package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// ListBackupTargets returns every backup target.
func (c *Client) ListBackupTargets(ctx context.Context) ([]apitypes.BackupTarget, error) {
	out, err := list[apitypes.BackupTarget](ctx, c, nil, "v1", "backuptargets")
	if err != nil {
		return nil, fmt.Errorf("list backup targets: %w", err)
	}
	return out, nil
}

// GetBackupTarget returns one backup target.
func (c *Client) GetBackupTarget(ctx context.Context, name string) (*apitypes.BackupTarget, error) {
	var out apitypes.BackupTarget
	if err := c.call(ctx, http.MethodGet, nil, &out, nil, "v1", "backuptargets", name); err != nil {
		return nil, fmt.Errorf("get backup target %q: %w", name, err)
	}
	return &out, nil
}

// CreateBackupTarget creates a backup target.
func (c *Client) CreateBackupTarget(ctx context.Context, in apitypes.BackupTargetInput) (*apitypes.BackupTarget, error) {
	var out apitypes.BackupTarget
	if err := c.call(ctx, http.MethodPost, in, &out, nil, "v1", "backuptargets"); err != nil {
		return nil, fmt.Errorf("create backup target %q: %w", in.Name, err)
	}
	return &out, nil
}

// UpdateBackupTarget replaces a target's URL, secret and poll interval
// (backupTargetUpdate) and returns it as stored.
func (c *Client) UpdateBackupTarget(ctx context.Context, name string, in apitypes.BackupTargetInput) (*apitypes.BackupTarget, error) {
	var out apitypes.BackupTarget
	if err := c.action(ctx, "backupTargetUpdate", in, &out, "v1", "backuptargets", name); err != nil {
		return nil, fmt.Errorf("update backup target %q: %w", name, err)
	}
	return &out, nil
}

// SyncBackupTarget asks for an immediate re-scan of the target's store.
func (c *Client) SyncBackupTarget(ctx context.Context, name string) (*apitypes.BackupTarget, error) {
	var out apitypes.BackupTarget
	if err := c.action(ctx, "backupTargetSync", nil, &out, "v1", "backuptargets", name); err != nil {
		return nil, fmt.Errorf("sync backup target %q: %w", name, err)
	}
	return &out, nil
}

// DeleteBackupTarget deletes a backup target (not the data in its store).
func (c *Client) DeleteBackupTarget(ctx context.Context, name string) error {
	if err := c.call(ctx, http.MethodDelete, nil, nil, nil, "v1", "backuptargets", name); err != nil {
		return fmt.Errorf("delete backup target %q: %w", name, err)
	}
	return nil
}
