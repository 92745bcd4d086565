package backingimage

import (
	"context"
	"fmt"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/controller/node"
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
	var src *node.DiskRef
	for srcUUID, cp := range bi.Status.Copies {
		if ref, ok := c.Disks.Get(srcUUID); ok && cp.State == apitypes.StateReady && srcUUID != diskUUID {
			src = &ref
			break
		}
	}
	if src == nil {
		return // no local ready copy yet; reconciled again when there is
	}
	id := v1.CopyID{Name: bi.Name, UUID: bi.UUID}
	e := c.engineFor(dst)
	c.setState(ctx, bi.Name, diskUUID, apitypes.StateInProgress, "copying from disk "+src.Name)
	report := c.progressReporter(ctx, bi.Name, diskUUID, "copy")
	res, err := e.replicate(ctx, *src, id, func(done int64) { report(done, bi.Status.Size) })
	if err != nil {
		_ = e.remove(id)
		c.fail(ctx, bi.Name, diskUUID, fmt.Errorf("copy from disk %s failed: %w", src.Name, err))
		return
	}
	c.markReady(ctx, bi.Name, diskUUID, res)
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
	e := c.engineFor(ref)
	c.setState(ctx, bi.Name, diskUUID, apitypes.StateInProgress, "restoring from "+bi.Parameters["backup-url"])
	res, err := e.restore(ctx, c.Restorer, bi.Parameters, id, c.progressReporter(ctx, bi.Name, diskUUID, "restore"))
	if err != nil {
		_ = e.remove(id)
		c.fail(ctx, bi.Name, diskUUID, fmt.Errorf("restore failed: %w", err))
		return
	}
	c.markReady(ctx, bi.Name, diskUUID, res)
}

// OpenCopy opens a ready local copy of bi for reading (download, backup).
// The caller closes it.
func (c *Controller) OpenCopy(bi model.BackingImage) (CopyReader, error) {
	id := v1.CopyID{Name: bi.Name, UUID: bi.UUID}
	for diskUUID, cp := range bi.Status.Copies {
		ref, ok := c.Disks.Get(diskUUID)
		if !ok || cp.State != apitypes.StateReady || cp.Cleanup {
			continue
		}
		if r, err := c.engineFor(ref).open(id); err == nil {
			return r, nil
		}
	}
	return nil, fmt.Errorf("backing image %s has no ready copy on this node", bi.Name)
}
