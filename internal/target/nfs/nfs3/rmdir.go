package nfs3

import "context"

// procRmdir is RMDIR (RFC 1813 §3.3.13).
const procRmdir = 13

// Rmdir removes the empty directory name from dir. A directory with
// entries fails with ErrNotEmpty (some servers answer ErrExist); a
// non-directory fails with ErrNotDir.
func (c *Conn) Rmdir(ctx context.Context, dir []byte, name string) error {
	var e encoder
	e.dirop(dir, name)
	_, err := c.nfs(ctx, procRmdir, &e)
	return err
}
