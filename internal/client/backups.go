package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// BackupFilter narrows ListBackups; empty fields match everything.
type BackupFilter struct {
	BackingImageName string
	BackupTargetName string
}

// ListBackups returns the backups that match f.
func (c *Client) ListBackups(ctx context.Context, f BackupFilter) ([]apitypes.BackupBackingImage, error) {
	q := url.Values{}
	if f.BackingImageName != "" {
		q.Set("backingImageName", f.BackingImageName)
	}
	if f.BackupTargetName != "" {
		q.Set("backupTargetName", f.BackupTargetName)
	}
	out, err := list[apitypes.BackupBackingImage](ctx, c, q, "v1", "backupbackingimages")
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	return out, nil
}

// GetBackup returns one backup.
func (c *Client) GetBackup(ctx context.Context, name string) (*apitypes.BackupBackingImage, error) {
	var out apitypes.BackupBackingImage
	if err := c.call(ctx, http.MethodGet, nil, &out, nil, "v1", "backupbackingimages", name); err != nil {
		return nil, fmt.Errorf("get backup %q: %w", name, err)
	}
	return &out, nil
}

// DeleteBackup deletes a backup; with localOnly the record goes but the
// data stays in the store (and a later sync finds it again).
func (c *Client) DeleteBackup(ctx context.Context, name string, localOnly bool) error {
	var q url.Values
	if localOnly {
		q = url.Values{"localOnly": {"true"}}
	}
	if err := c.call(ctx, http.MethodDelete, nil, nil, q, "v1", "backupbackingimages", name); err != nil {
		return fmt.Errorf("delete backup %q: %w", name, err)
	}
	return nil
}

// RestoreBackup creates a backing image from a backup and returns it; the
// copy fills in the background (see WaitBackingImage).
func (c *Client) RestoreBackup(ctx context.Context, name string, in apitypes.BackingImageRestoreInput) (*apitypes.BackingImage, error) {
	var out apitypes.BackingImage
	if err := c.action(ctx, "backupBackingImageRestore", in, &out, "v1", "backupbackingimages", name); err != nil {
		return nil, fmt.Errorf("restore backup %q: %w", name, err)
	}
	return &out, nil
}

// VerifyBackup reads every block of a backup and reports what it found.
// A damaged backup is a report with OK false, not an error. WithTimeout
// does not apply: reading a large backup takes as long as it takes.
func (c *Client) VerifyBackup(ctx context.Context, name string) (*apitypes.BackupVerifyReport, error) {
	var out apitypes.BackupVerifyReport
	ctx = context.WithValue(ctx, unboundedKey{}, true)
	if err := c.action(ctx, "backupBackingImageVerify", nil, &out, "v1", "backupbackingimages", name); err != nil {
		return nil, fmt.Errorf("verify backup %q: %w", name, err)
	}
	return &out, nil
}

// RetryBackup puts a backup in Error back to Pending, with a fresh retry
// budget, and returns it. A backup in another state is a 409 *Error.
func (c *Client) RetryBackup(ctx context.Context, name string) (*apitypes.BackupBackingImage, error) {
	var out apitypes.BackupBackingImage
	if err := c.action(ctx, "backupBackingImageRetry", nil, &out, "v1", "backupbackingimages", name); err != nil {
		return nil, fmt.Errorf("retry backup %q: %w", name, err)
	}
	return &out, nil
}
