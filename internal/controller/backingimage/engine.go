package backingimage

import (
	"context"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
)

// Restorers hands out the backups that copies are restored from (provided
// by the backup layer).
type Restorers interface {
	// ForParams returns the backup that a backing image's restore
	// parameters (backup-url, backup-target-name) name. An error means the
	// parameters name no backup plinth can read; it is the copy's failure.
	ForParams(params map[string]string) (engine.BackupReader, error)
}

// copyID is the engine's name of bi's copies.
func copyID(bi model.BackingImage) engine.CopyID {
	return engine.CopyID{Name: bi.Name, UUID: bi.UUID}
}

// imageLimits are the bounds every new copy is judged against: the
// setting backing-image-max-size-gib caps a qcow2 image's virtual size.
func (c *Controller) imageLimits(ctx context.Context) imagefmt.Limits {
	if c.Settings == nil {
		return imagefmt.Limits{}
	}
	return imagefmt.Limits{MaxVirtualSize: int64(c.Settings.Int(ctx, settings.MaxImageSizeGiB)) << 30}
}

// recordingReader remembers what the last restore through it proved, so
// the controller can say on the copy when the image had to be hashed as a
// whole (a foreign backup without a SHA-512 image checksum).
type recordingReader struct {
	engine.BackupReader
	last engine.Restored
}

func (r *recordingReader) Restore(ctx context.Context, sink engine.Sink, progress func(done, total int64)) (engine.Restored, error) {
	res, err := r.BackupReader.Restore(ctx, sink, progress)
	r.last = res
	return res, err
}
