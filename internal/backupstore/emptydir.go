package backupstore

import (
	"context"
	"errors"
	"fmt"
	"path"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/target"
)

// removeBackupDir removes the directory <ConfigsDir>/<name>/ that a
// deleted backup's cfg leaves on targets with real directories (file, NFS,
// SMB). Longhorn lists backups by directory and removes it on delete; an
// empty one left behind shows as a backup it cannot load and stops its
// garbage collection on the store. Object stores have no directories.
//
// A directory that is not empty (someone wrote into it meanwhile) or
// already gone is fine: nil. Any other failure is returned so that the
// delete is retried; the cfg is already gone by then.
func (s *Store) removeBackupDir(ctx context.Context, name string) error {
	dr, ok := s.tgt.(target.DirRemover)
	if !ok || !s.tgt.Properties().HasDirs {
		return nil
	}
	dir := path.Dir(format.ConfigKey(name))
	err := dr.RemoveEmptyDir(ctx, dir)
	if err == nil || errors.Is(err, target.ErrNotEmpty) || errors.Is(err, errors.ErrUnsupported) || target.IsNotFound(err) {
		return nil
	}
	return fmt.Errorf("backup %q deleted, but its empty directory %s remains (Longhorn would list it as a broken backup; deleting again removes it): %w", name, dir, err)
}
