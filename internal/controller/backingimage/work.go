package backingimage

import (
	"context"
	"sort"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/model"
)

// startWork starts a worker for every local copy that needs one: the first
// copy from the image's source, further copies from a ready copy, and the
// removal of copies marked for cleanup.
func (c *Controller) startWork(ctx context.Context, bi model.BackingImage) {
	keys := make([]string, 0, len(bi.Status.Copies))
	for k := range bi.Status.Copies {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	sourcing := false
	for _, diskUUID := range keys {
		cp := bi.Status.Copies[diskUUID]
		if cp.NodeID != c.NodeID {
			continue
		}
		switch {
		case cp.Cleanup:
			if cp.State != stateRemoved {
				c.spawn(ctx, bi, diskUUID, c.runCleanup)
			}
		case cp.State != apitypes.StatePending && cp.State != apitypes.StateInProgress:
		case bi.ReadyCopies() > 0:
			c.spawn(ctx, bi, diskUUID, c.runReplicate)
		case sourcing:
			// One copy is filled from the source at a time.
		case bi.SourceType == apitypes.SourceDownload:
			sourcing = true
			c.spawn(ctx, bi, diskUUID, c.runDownload)
		case bi.SourceType == apitypes.SourceRestore:
			sourcing = true
			c.spawn(ctx, bi, diskUUID, c.runRestore)
		}
	}
}

type workFunc func(ctx context.Context, bi model.BackingImage, diskUUID string)

// spawn runs fn in a goroutine unless a worker for (image, disk) is already
// running; when fn returns, the image is reconciled again.
func (c *Controller) spawn(parent context.Context, bi model.BackingImage, diskUUID string, fn workFunc) {
	ctx, ok := c.workers.claim(parent, bi.Name, diskUUID)
	if !ok {
		return
	}
	go func() {
		defer func() {
			c.workers.release(bi.Name, diskUUID)
			c.Enqueue(bi.Name)
		}()
		fn(ctx, bi, diskUUID)
	}()
}
