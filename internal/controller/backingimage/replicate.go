package backingimage

import (
	"context"
	"errors"
	"fmt"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/model"
)

// runReplicate fills a further copy from a ready copy on another local
// disk (of either engine): sparse-aware, every block read checked against
// the source's manifest. A source found damaged on the way is marked
// failed and the copy waits (pending) for another source.
func (c *Controller) runReplicate(ctx context.Context, bi model.BackingImage, diskUUID string) {
	dst, ok := c.Disks.Get(diskUUID)
	if !ok {
		return
	}
	src, err := c.openReady(ctx, bi, diskUUID)
	if err != nil {
		return // no readable local ready copy (yet); reconciled again when there is
	}
	defer src.Close()
	id := copyID(bi)
	c.setState(ctx, bi.Name, diskUUID, apitypes.StateInProgress, "copying from disk "+src.DiskName)
	report := c.progressReporter(ctx, bi.Name, diskUUID, "copy")
	res, err := dst.Disk.Replicate(ctx, id, src.CopyReader, src.Manifest, c.imageLimits(ctx), func(done int64) { report(done, src.Manifest.Size) })
	if err == nil {
		c.markReady(ctx, bi.Name, diskUUID, res)
		return
	}
	_ = dst.Disk.Remove(id)
	var damaged *engine.DamagedError
	if errors.As(err, &damaged) {
		// By Replicate's contract the damage is the source's.
		c.MarkDamaged(ctx, id, src.DiskUUID, &engine.DamagedError{ID: id, Disk: src.DiskPath, Offsets: damaged.Offsets, Whole: damaged.Whole})
		c.setState(ctx, bi.Name, diskUUID, apitypes.StatePending,
			fmt.Sprintf("the ready copy on disk %s turned out damaged while copying from it; waiting for another ready copy", src.DiskName))
		return
	}
	c.fail(ctx, bi.Name, diskUUID, fmt.Errorf("copy from disk %s failed: %w", src.DiskName, err))
}

// runRestore fills the first copy from a backup through the Restorer.
func (c *Controller) runRestore(ctx context.Context, bi model.BackingImage, diskUUID string) {
	ref, ok := c.Disks.Get(diskUUID)
	if !ok {
		return
	}
	if c.Restorer == nil {
		c.fail(ctx, bi.Name, diskUUID, fmt.Errorf("restoring from a backup is not available on this server"))
		return
	}
	id := copyID(bi)
	c.setState(ctx, bi.Name, diskUUID, apitypes.StateInProgress, "restoring from "+bi.Parameters["backup-url"])
	from, err := c.Restorer.ForParams(bi.Parameters)
	if err != nil {
		c.fail(ctx, bi.Name, diskUUID, fmt.Errorf("restore failed: %w", err))
		return
	}
	rec := &recordingReader{BackupReader: from}
	res, err := ref.Disk.Restore(ctx, id, rec, c.imageLimits(ctx), c.progressReporter(ctx, bi.Name, diskUUID, "restore"))
	if err != nil {
		_ = ref.Disk.Remove(id)
		c.fail(ctx, bi.Name, diskUUID, fmt.Errorf("restore failed: %w", err))
		return
	}
	msg := ""
	if rec.last.FullPass {
		msg = "restored from a backup that records no SHA-512 image checksum (a foreign backup): every block was verified " +
			"against its ID, and the whole image was hashed once more to record its checksum"
	}
	c.markReadyWith(ctx, bi.Name, diskUUID, res, msg)
}
