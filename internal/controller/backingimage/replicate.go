package backingimage

import (
	"context"
	"fmt"

	"github.com/plinth-storage/plinth/internal/apitypes"
	v1 "github.com/plinth-storage/plinth/internal/engine/v1"
	"github.com/plinth-storage/plinth/internal/model"
)

// runReplicate fills a further copy from a ready copy on another local
// disk, sparse-aware and verified by checksum.
func (c *Controller) runReplicate(ctx context.Context, bi model.BackingImage, diskUUID string) {
	dst, ok := c.Disks.Get(diskUUID)
	if !ok {
		return
	}
	var src *v1.Disk
	for srcUUID, cp := range bi.Status.Copies {
		if ref, ok := c.Disks.Get(srcUUID); ok && cp.State == apitypes.StateReady && srcUUID != diskUUID {
			src = ref.Disk
			break
		}
	}
	if src == nil {
		return // no local ready copy yet; reconciled again when there is
	}
	id := v1.CopyID{Name: bi.Name, UUID: bi.UUID}
	c.setState(ctx, bi.Name, diskUUID, apitypes.StateInProgress, "copying from disk "+src.Path())
	report := c.progressReporter(ctx, bi.Name, diskUUID, "copy")
	cfg, err := v1.CopySparse(ctx, src, id, dst.Disk, func(done int64) { report(done, bi.Status.Size) })
	if err != nil {
		_ = dst.Disk.Remove(id)
		c.fail(ctx, bi.Name, diskUUID, fmt.Errorf("copy from %s failed: %w", src.Path(), err))
		return
	}
	c.markReady(ctx, bi.Name, diskUUID, cfg)
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
	id := v1.CopyID{Name: bi.Name, UUID: bi.UUID}
	_ = ref.Disk.Remove(id) // a partial restore left by a crash starts over
	c.setState(ctx, bi.Name, diskUUID, apitypes.StateInProgress, "restoring from "+bi.Parameters["backup-url"])
	cfg, err := c.Restorer.Restore(ctx, bi.Parameters, ref.Disk, id, c.progressReporter(ctx, bi.Name, diskUUID, "restore"))
	if err != nil {
		_ = ref.Disk.Remove(id)
		c.fail(ctx, bi.Name, diskUUID, fmt.Errorf("restore failed: %w", err))
		return
	}
	c.markReady(ctx, bi.Name, diskUUID, cfg)
}
