package cifs

import (
	"context"

	"github.com/cloudsoda/go-smb2"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/fstarget"
)

var _ fstarget.DirReader = shareFS{}

// List reports the immediate children of dir, hiding temporary files.
func (d *Driver) List(ctx context.Context, dir string, fn func(target.Entry) error) error {
	return fstarget.List(ctx, target.OpList, dir, false, fn, d.runListing)
}

// Walk reports every object below dir, depth first.
func (d *Driver) Walk(ctx context.Context, dir string, fn func(target.Entry) error) error {
	return fstarget.List(ctx, target.OpWalk, dir, true, fn, d.runListing)
}

// runListing runs l, again on a new session after the first broke only if
// it has reported nothing yet.
func (d *Driver) runListing(ctx context.Context, op, dir string, l *fstarget.Listing) error {
	notStarted := func() bool { return !l.Started() }
	return d.do(ctx, op, dir, notStarted, func(ctx context.Context, sh *smb2.Share) error {
		return l.Run(ctx, d.fs(sh))
	})
}

// ReadDir reads directory dir of the share.
func (f shareFS) ReadDir(ctx context.Context, dir string, fn func(fstarget.DirEntry) error) error {
	fis, err := f.sh.ReadDir(f.cfg.remote(dir))
	if err != nil {
		if isNotExist(err) {
			return nil // a missing directory has no entries
		}
		if fi, serr := f.sh.Stat(f.cfg.remote(dir)); serr == nil && !fi.IsDir() {
			return nil // nor does a file (servers answer "not supported" or similar)
		}
		return err
	}
	for _, fi := range fis {
		if err := fn(fstarget.DirEntry{Name: fi.Name(), IsDir: fi.IsDir(), Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
			return err
		}
	}
	return nil
}
