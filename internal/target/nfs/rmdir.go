package nfs

import (
	"context"
	"errors"
	"strings"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/nfs/nfs3"
)

var _ target.DirRemover = (*Driver)(nil)

// RemoveEmptyDir removes directory dir with RMDIR, which the server
// refuses for a directory with entries; see target.DirRemover.
func (d *Driver) RemoveEmptyDir(ctx context.Context, dir string) error {
	if err := target.ValidateKey(target.OpRemoveDir, dir); err != nil {
		return err
	}
	el := elems(dir)
	err := d.do(ctx, target.OpRemoveDir, dir, func(s *session) error {
		parent, err := s.dirFH(ctx, el[:len(el)-1], false)
		if err == nil {
			err = s.conn.Rmdir(ctx, parent, el[len(el)-1])
		}
		if err == nil || errors.Is(err, nfs3.ErrNoEnt) || errors.Is(err, nfs3.ErrNotDir) {
			s.dirs.drop(strings.Join(append(append([]string(nil), s.base...), el...), "/"))
			return nil
		}
		return err
	})
	if errors.Is(err, nfs3.ErrNotEmpty) || errors.Is(err, nfs3.ErrExist) {
		return target.NotEmptyError(dir, err)
	}
	return err
}

// drop forgets the handle of directory p and of everything below it.
func (c *dirCache) drop(p string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if k == p || strings.HasPrefix(k, p+"/") {
			delete(c.m, k)
		}
	}
}
