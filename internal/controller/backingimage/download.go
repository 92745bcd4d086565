package backingimage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/source"
)

// runDownload fills the first copy from parameters.url. A restart simply
// runs it again: the temp file of the interrupted attempt was removed at
// start-up.
func (c *Controller) runDownload(ctx context.Context, bi model.BackingImage, diskUUID string) {
	w, ok := c.newWriter(ctx, bi, diskUUID)
	if !ok {
		return
	}
	c.setState(ctx, bi.Name, diskUUID, apitypes.StateInProgress, "downloading "+bi.Parameters["url"])
	stall := time.Duration(c.Settings.Int(ctx, settings.DownloadStallTimeout)) * time.Second
	_, err := source.Download(ctx, bi.Parameters["url"], w, source.Options{
		AllowPrivate: c.AllowPrivate,
		StallTimeout: stall,
		MaxSize:      MaxImageBytes(ctx, c.Settings),
		Progress:     c.progressReporter(ctx, bi.Name, diskUUID, "download"),
	})
	if err != nil {
		w.Abort()
		c.fail(ctx, bi.Name, diskUUID, fmt.Errorf("download failed: %w", err))
		return
	}
	c.commit(ctx, bi, diskUUID, w)
}

// newWriter starts a new copy on the disk. A copy already committed there
// (the process died between commit and recording it) is adopted after a
// verification pass instead; ok is false when there is nothing left to do.
func (c *Controller) newWriter(ctx context.Context, bi model.BackingImage, diskUUID string) (engine.Filler, bool) {
	ref, found := c.Disks.Get(diskUUID)
	if !found {
		return nil, false
	}
	id := copyID(bi)
	w, err := ref.Disk.Create(ctx, id, c.imageLimits(ctx))
	if errors.Is(err, engine.ErrExists) {
		res, verr := ref.Disk.Verify(ctx, id, engine.VerifyOptions{})
		if verr != nil {
			c.fail(ctx, bi.Name, diskUUID, fmt.Errorf("a copy found on disk does not verify: %w", verr))
			_ = ref.Disk.Remove(id)
			return nil, false
		}
		c.markReady(ctx, bi.Name, diskUUID, res)
		return nil, false
	}
	if err != nil {
		c.fail(ctx, bi.Name, diskUUID, err)
		return nil, false
	}
	return w, true
}

// commit finishes a filled copy: verify against expectedChecksum, publish,
// record ready (or failed with both checksums in the message).
func (c *Controller) commit(ctx context.Context, bi model.BackingImage, diskUUID string, w engine.Filler) {
	res, err := w.Commit(ctx, bi.ExpectedChecksum)
	if err != nil {
		w.Abort()
		c.fail(ctx, bi.Name, diskUUID, err)
		return
	}
	c.markReady(ctx, bi.Name, diskUUID, res)
}
