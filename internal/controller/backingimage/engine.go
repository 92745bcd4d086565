package backingimage

import (
	"context"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/controller/node"
	v1 "github.com/plinth-storage/plinth/internal/engine/v1"
	"github.com/plinth-storage/plinth/internal/imagefmt"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/source"
)

// copyResult is what a committed copy reports, whatever its engine.
type copyResult struct {
	Checksum    string
	Size        int64
	VirtualSize int64
	Format      string
}

// engine is one data engine's way of keeping copies on one disk. The
// controller's logic (placement, states, workers) is the same for both;
// only these operations differ. A worker claim guarantees that one copy id
// is worked on by one caller at a time.
type engine interface {
	// present returns nil when a committed copy id is on the disk.
	present(id v1.CopyID) error
	// remove deletes the copy, committed or partial; missing is not an error.
	remove(id v1.CopyID) error
	// begin starts a new copy filled sequentially (download, upload). It
	// clears a partial copy a crash left. It returns an error matching
	// v1.ErrExists when a committed copy is already there. The copy is
	// judged on commit by imagefmt.Check with the limits of ctx's settings.
	begin(ctx context.Context, id v1.CopyID) (filler, error)
	// verify re-hashes a committed copy.
	verify(ctx context.Context, id v1.CopyID) (copyResult, error)
	// replicate fills copy id from the ready copy on src.
	replicate(ctx context.Context, src node.DiskRef, id v1.CopyID, progress func(int64)) (copyResult, error)
	// restore fills copy id from the backup that params name.
	restore(ctx context.Context, r Restorer, params map[string]string, id v1.CopyID, progress func(done, total int64)) (copyResult, error)
	// open returns a reader of a committed copy (downloads, backups).
	open(id v1.CopyID) (CopyReader, error)
}

// filler receives a copy's bytes in order and commits them.
type filler interface {
	source.Sink
	// commit checks expected (if given) against the bytes received, judges
	// the image (an unsafe or malformed qcow2 fails with an error wrapping
	// imagefmt.ErrRefused that says why) and publishes the copy.
	commit(ctx context.Context, expected string) (copyResult, error)
	abort()
}

// CopyReader reads a committed copy: random access, seeking (for HTTP
// Range) and, as a backupstore.Source, its data extents.
type CopyReader interface {
	backupstore.Source
	Read(p []byte) (int, error)
	Seek(offset int64, whence int) (int64, error)
	Close() error
}

// Restorer fills copies from backups (provided by the backup layer).
type Restorer interface {
	// Restore writes the backup named by params into sink, verifying every
	// block and the whole image, and returns the image's verified SHA-512.
	Restore(ctx context.Context, params map[string]string, sink backupstore.Sink, progress func(done, total int64)) (string, error)
	// Format tells, from the backup's first bytes, whether the image is
	// raw or qcow2, so a v2 restore can convert a qcow2 image on the way.
	Format(ctx context.Context, params map[string]string) (imagefmt.Format, error)
}

// engineFor returns the engine of a disk.
func (c *Controller) engineFor(ref node.DiskRef) engine {
	if ref.Block != nil {
		return &v2Engine{disk: ref.Block, stage: c.Stage, limits: c.imageLimits}
	}
	return &v1Engine{disk: ref.Disk, limits: c.imageLimits}
}

// imageLimits are the bounds every new copy is judged against: the
// setting backing-image-max-size-gib caps a qcow2 image's virtual size.
func (c *Controller) imageLimits(ctx context.Context) imagefmt.Limits {
	if c.Settings == nil {
		return imagefmt.Limits{}
	}
	return imagefmt.Limits{MaxVirtualSize: int64(c.Settings.Int(ctx, settings.MaxImageSizeGiB)) << 30}
}
