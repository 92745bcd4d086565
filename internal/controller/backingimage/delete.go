package backingimage

import (
	"context"
	"fmt"

	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// finishDelete stops the image's workers, removes its copies on this
// node's disks and then its record.
func (c *Controller) finishDelete(ctx context.Context, cur store.Versioned[model.BackingImage]) error {
	bi := cur.Value
	c.workers.cancelImage(bi.Name)
	id := copyID(bi)
	for diskUUID, cp := range bi.Status.Copies {
		if cp.NodeID != c.NodeID {
			continue
		}
		if ref, ok := c.Disks.Get(diskUUID); ok {
			if err := ref.Disk.Remove(id); err != nil {
				return fmt.Errorf("remove copy of %s on disk %s: %w", bi.Name, ref.Name, err)
			}
		}
	}
	return c.BIs.Delete(ctx, bi.Name, cur.Rev)
}

// runCleanup removes one copy marked for cleanup, then marks it removed so
// the next pass drops its record.
func (c *Controller) runCleanup(ctx context.Context, bi model.BackingImage, diskUUID string) {
	if ref, ok := c.Disks.Get(diskUUID); ok {
		if err := ref.Disk.Remove(copyID(bi)); err != nil {
			c.Log.Warn("clean up copy", "image", bi.Name, "disk", ref.Name, "err", err)
			return
		}
	}
	_, _ = c.BIs.Mutate(context.WithoutCancel(ctx), bi.Name, func(b *model.BackingImage) error {
		if cp := b.Status.Copies[diskUUID]; cp != nil && cp.Cleanup {
			cp.State = stateRemoved
			return nil
		}
		return store.ErrNoChange
	})
}
