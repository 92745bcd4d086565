package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/controller/backup"
	"github.com/plinth-storage/plinth/internal/controller/scrub"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// backupBlocks gives the scrub verified blocks from this installation's
// completed backups of an image.
type backupBlocks struct {
	records *store.Kind[model.Backup]
	stores  *backup.Stores
}

var _ scrub.BlockSource = (*backupBlocks)(nil)

// BackupBlock tries every completed, visible backup of image whose
// checksum is checksum, in turn, and returns the first verified copy of
// the block at offset. The error lists why each backup could not help.
func (b *backupBlocks) BackupBlock(ctx context.Context, image, checksum string, offset int64) ([]byte, error) {
	all, _, err := b.records.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list backups of %s: %w", image, err)
	}
	var errs []error
	for _, v := range all {
		bk := v.Value
		if bk.BackingImageName != image || bk.Hidden || bk.Status.State != apitypes.BackupStateCompleted ||
			!strings.EqualFold(bk.Status.Checksum, checksum) {
			continue
		}
		data, err := b.readBlock(ctx, bk, offset)
		if err == nil {
			return data, nil
		}
		errs = append(errs, fmt.Errorf("backup %s on target %s: %w", bk.Name, bk.BackupTargetName, err))
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("no completed backup of %s has its checksum", image)
	}
	return nil, errors.Join(errs...)
}

func (b *backupBlocks) readBlock(ctx context.Context, bk model.Backup, offset int64) ([]byte, error) {
	st, _, release, err := b.stores.Acquire(ctx, bk.BackupTargetName)
	if err != nil {
		return nil, err
	}
	defer release()
	// The remote identity of a backup is the backing image's name.
	return st.ReadBlock(ctx, bk.BackingImageName, offset)
}
