package file

import (
	"context"
	"errors"
	"syscall"

	"github.com/plinth-storage/plinth/internal/target"
)

var _ target.DirRemover = (*Target)(nil)

// RemoveEmptyDir removes directory dir if it is empty (rmdir(2), which
// never removes contents); see target.DirRemover for the contract.
func (t *Target) RemoveEmptyDir(ctx context.Context, dir string) error {
	if err := begin(ctx, target.OpRemoveDir, dir, false); err != nil {
		return err
	}
	err := syscall.Rmdir(t.path(dir))
	switch {
	case err == nil, errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ENOTDIR):
		return nil
	case errors.Is(err, syscall.ENOTEMPTY), errors.Is(err, syscall.EEXIST):
		return target.NotEmptyError(dir, err)
	}
	return classify(target.OpRemoveDir, dir, err)
}
