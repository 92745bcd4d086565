package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// ListBackingImages returns every backing image.
func (c *Client) ListBackingImages(ctx context.Context) ([]apitypes.BackingImage, error) {
	out, err := list[apitypes.BackingImage](ctx, c, nil, "v1", "backingimages")
	if err != nil {
		return nil, fmt.Errorf("list backing images: %w", err)
	}
	return out, nil
}

// GetBackingImage returns one backing image with its copies.
func (c *Client) GetBackingImage(ctx context.Context, name string) (*apitypes.BackingImage, error) {
	var out apitypes.BackingImage
	if err := c.call(ctx, http.MethodGet, nil, &out, nil, "v1", "backingimages", name); err != nil {
		return nil, fmt.Errorf("get backing image %q: %w", name, err)
	}
	return &out, nil
}

// CreateBackingImage creates a backing image. For SourceUpload the image
// waits for UploadBackingImage.
func (c *Client) CreateBackingImage(ctx context.Context, in apitypes.BackingImageCreateInput) (*apitypes.BackingImage, error) {
	var out apitypes.BackingImage
	if err := c.call(ctx, http.MethodPost, in, &out, nil, "v1", "backingimages"); err != nil {
		return nil, fmt.Errorf("create backing image %q: %w", in.Name, err)
	}
	return &out, nil
}

// DeleteBackingImage deletes a backing image and all its copies.
func (c *Client) DeleteBackingImage(ctx context.Context, name string) error {
	if err := c.call(ctx, http.MethodDelete, nil, nil, nil, "v1", "backingimages", name); err != nil {
		return fmt.Errorf("delete backing image %q: %w", name, err)
	}
	return nil
}

// CleanupBackingImage removes the image's copies on the given disks (UUIDs).
func (c *Client) CleanupBackingImage(ctx context.Context, name string, diskUUIDs []string) (*apitypes.BackingImage, error) {
	var out apitypes.BackingImage
	in := apitypes.BackingImageCleanupInput{Disks: diskUUIDs}
	if err := c.action(ctx, "backingImageCleanup", in, &out, "v1", "backingimages", name); err != nil {
		return nil, fmt.Errorf("clean up copies of backing image %q: %w", name, err)
	}
	return &out, nil
}

// UpdateMinNumberOfCopies sets how many copies the image keeps.
func (c *Client) UpdateMinNumberOfCopies(ctx context.Context, name string, n int) (*apitypes.BackingImage, error) {
	var out apitypes.BackingImage
	in := apitypes.UpdateMinNumberOfCopiesInput{MinNumberOfCopies: n}
	if err := c.action(ctx, "updateMinNumberOfCopies", in, &out, "v1", "backingimages", name); err != nil {
		return nil, fmt.Errorf("update copies of backing image %q: %w", name, err)
	}
	return &out, nil
}

// CreateBackup backs one image up (backupBackingImageCreate) and returns
// the new backup; an empty in.Name gets a generated one. A second backup of
// the same image to the same target is a conflict (IsConflict).
func (c *Client) CreateBackup(ctx context.Context, backingImage string, in apitypes.BackupBackingImageCreateInput) (*apitypes.BackupBackingImage, error) {
	var out apitypes.BackupBackingImage
	if err := c.action(ctx, "backupBackingImageCreate", in, &out, "v1", "backingimages", backingImage); err != nil {
		return nil, fmt.Errorf("back up backing image %q: %w", backingImage, err)
	}
	return &out, nil
}

// CreateBackups backs several images up to one target in one request and
// returns one result per image, in request order; per-item failures are in
// the results, not the error.
func (c *Client) CreateBackups(ctx context.Context, in apitypes.BackupBackingImageBatchCreateInput) ([]apitypes.BackupBackingImageBatchResult, error) {
	var coll apitypes.Collection[apitypes.BackupBackingImageBatchResult]
	if err := c.action(ctx, "backupBackingImageBatchCreate", in, &coll, "v1", "backingimages"); err != nil {
		return nil, fmt.Errorf("back up %d backing images: %w", len(in.BackingImageNames), err)
	}
	return coll.Data, nil
}
