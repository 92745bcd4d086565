package nfs

import (
	"context"
	"errors"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/fstarget"
	"github.com/plinth-storage/plinth/internal/target/nfs/nfs3"
)

var _ fstarget.DirReader = (*session)(nil)

// List reports the immediate children of dir, hiding temporary files.
func (d *Driver) List(ctx context.Context, dir string, fn func(target.Entry) error) error {
	return fstarget.List(ctx, target.OpList, dir, false, fn, d.runListing)
}

// Walk reports every object below dir, depth first.
func (d *Driver) Walk(ctx context.Context, dir string, fn func(target.Entry) error) error {
	return fstarget.List(ctx, target.OpWalk, dir, true, fn, d.runListing)
}

// runListing runs l on a live session, again after a stale handle only if
// it has reported nothing yet.
func (d *Driver) runListing(ctx context.Context, op, dir string, l *fstarget.Listing) error {
	return d.do(ctx, op, dir, func(s *session) error {
		if l.Started() { // never report an entry twice: a retry after a callback is an error
			return errRetryAfterCallback
		}
		return l.Run(ctx, s)
	})
}

// errRetryAfterCallback stops a listing that hit a stale handle after it
// had reported entries; the caller must treat it as partial and list again.
var errRetryAfterCallback = nfs3.ErrStale

// ReadDir reads directory dir with READDIRPLUS, looking up the entries the
// server sent no attributes for; hidden entries are skipped before that.
func (s *session) ReadDir(ctx context.Context, dir string, fn func(fstarget.DirEntry) error) error {
	fh, err := s.dirFH(ctx, elems(dir), false)
	if errors.Is(err, nfs3.ErrNoEnt) || errors.Is(err, nfs3.ErrNotDir) {
		return nil // a missing directory has no entries
	}
	if err != nil {
		return err
	}
	return s.conn.ReadDirPlus(ctx, fh, func(de nfs3.DirEntry) error {
		if fstarget.Hidden(de.Name) {
			return nil
		}
		if !de.HasAttr {
			_, attr, err := s.conn.Lookup(ctx, fh, de.Name)
			if errors.Is(err, nfs3.ErrNoEnt) {
				return nil // removed since the listing
			}
			if err != nil {
				return err
			}
			de.Attr = attr
		}
		return fn(fstarget.DirEntry{Name: de.Name, IsDir: de.Attr.IsDir(), Size: int64(de.Attr.Size), ModTime: de.Attr.Mtime})
	})
}
