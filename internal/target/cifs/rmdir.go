package cifs

import (
	"context"

	"github.com/cloudsoda/go-smb2"

	"github.com/plinth-storage/plinth/internal/target"
)

var _ target.DirRemover = (*Driver)(nil)

// RemoveEmptyDir removes directory dir if it is empty; see
// target.DirRemover. SMB deletes a directory only when it has no
// entries (STATUS_DIRECTORY_NOT_EMPTY otherwise). A non-directory at dir
// is left alone: it is checked first, since an SMB delete also removes
// files.
func (d *Driver) RemoveEmptyDir(ctx context.Context, dir string) error {
	if err := target.ValidateKey(target.OpRemoveDir, dir); err != nil {
		return err
	}
	err := d.do(ctx, target.OpRemoveDir, dir, always, func(ctx context.Context, sh *smb2.Share) error {
		name := d.cfg.remote(dir)
		fi, err := sh.Stat(name)
		if err != nil {
			if isNotExist(err) {
				return nil
			}
			return err
		}
		if !fi.IsDir() {
			return nil
		}
		err = retryShared(ctx, func() error { return sh.Remove(name) })
		if err != nil && isNotExist(err) {
			return nil
		}
		return err
	})
	if ntStatus(err) == statusDirectoryNotEmpty {
		return target.NotEmptyError(dir, err)
	}
	return err
}
