package backingimage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	v1 "github.com/plinth-storage/plinth/internal/engine/v1"
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
		w.abort()
		c.fail(ctx, bi.Name, diskUUID, fmt.Errorf("download failed: %w", err))
		return
	}
	c.commit(ctx, bi, diskUUID, w)
}

// newWriter starts a new copy on the disk. A copy already committed there
// (the process died between commit and recording it) is adopted after a
// verification pass instead; ok is false when there is nothing left to do.
func (c *Controller) newWriter(ctx context.Context, bi model.BackingImage, diskUUID string) (filler, bool) {
	ref, found := c.Disks.Get(diskUUID)
	if !found {
		return nil, false
	}
	e := c.engineFor(ref)
	id := v1.CopyID{Name: bi.Name, UUID: bi.UUID}
	w, err := e.begin(ctx, id)
	if errors.Is(err, v1.ErrExists) {
		res, verr := e.verify(ctx, id)
		if verr != nil {
			c.fail(ctx, bi.Name, diskUUID, fmt.Errorf("a copy found on disk does not verify: %w", verr))
			_ = e.remove(id)
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
func (c *Controller) commit(ctx context.Context, bi model.BackingImage, diskUUID string, w filler) {
	res, err := w.commit(ctx, bi.ExpectedChecksum)
	if err != nil {
		w.abort()
		c.fail(ctx, bi.Name, diskUUID, err)
		return
	}
	c.markReady(ctx, bi.Name, diskUUID, res)
}
