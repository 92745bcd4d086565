package client

import (
	"context"
	"fmt"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// RepairBackup verifies a backup and rewrites its bad blocks from a ready
// local copy of the same image on the server. The report says how many
// blocks were rewritten and which could not be (and why); a backup that is
// still damaged is a report with OK false. No local copy with the backup's
// checksum is an error (409). WithTimeout does not apply.
func (c *Client) RepairBackup(ctx context.Context, name string) (*apitypes.BackupVerifyReport, error) {
	var out apitypes.BackupVerifyReport
	ctx = context.WithValue(ctx, unboundedKey{}, true)
	in := apitypes.BackupVerifyInput{Repair: true}
	if err := c.action(ctx, "backupBackingImageVerify", in, &out, "v1", "backupbackingimages", name); err != nil {
		return nil, fmt.Errorf("repair backup %q: %w", name, err)
	}
	return &out, nil
}
