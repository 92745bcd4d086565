package client

import (
	"context"
	"fmt"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// VerifyBackingImage re-reads every copy of the image on the server's node
// against its block manifest now (plinth's verify action), repairing
// damaged blocks from another copy or a backup, and returns the image: each
// copy's state and message say what was found and repaired. A missing
// image is a 404 (IsNotFound).
func (c *Client) VerifyBackingImage(ctx context.Context, name string) (*apitypes.BackingImage, error) {
	var out apitypes.BackingImage
	if err := c.action(ctx, "verify", nil, &out, "v1", "backingimages", name); err != nil {
		return nil, fmt.Errorf("verify backing image %q: %w", name, err)
	}
	return &out, nil
}
