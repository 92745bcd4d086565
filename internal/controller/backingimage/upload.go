package backingimage

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/source"
	"github.com/plinth-storage/plinth/internal/store"
)

// Upload fills the first copy of an image created with sourceType upload.
// fill streams the request body into the sink it is given; Upload returns
// when the copy is ready or failed. A failed or interrupted upload may be
// retried by calling Upload again.
func (c *Controller) Upload(ctx context.Context, name string, size int64, fill func(source.Sink, func(done, total int64)) error) error {
	bi, diskUUID, err := c.uploadTarget(ctx, name)
	if err != nil {
		return err
	}
	wctx, ok := c.workers.claim(ctx, name, diskUUID)
	if !ok {
		return errkind.Conflict("an upload to backing image %s is already in progress; wait for it to finish", name)
	}
	defer func() {
		c.workers.release(name, diskUUID)
		c.Enqueue(name)
	}()
	w, ok := c.newWriter(wctx, bi, diskUUID)
	if !ok {
		return errkind.Conflict("backing image %s has no copy waiting for an upload", name)
	}
	c.setState(wctx, name, diskUUID, apitypes.StateInProgress, "receiving upload")
	if err := fill(w, c.progressReporter(wctx, name, diskUUID, "upload")); err != nil {
		w.Abort()
		c.fail(context.WithoutCancel(wctx), name, diskUUID, fmt.Errorf("upload failed: %w; upload the file again", err))
		return err
	}
	if size > 0 && w.Written() != size {
		w.Abort()
		err := errkind.BadRequest("upload of %s ended after %d bytes but size=%d was announced; upload the file again", name, w.Written(), size)
		c.fail(wctx, name, diskUUID, err)
		return err
	}
	c.commit(wctx, bi, diskUUID, w)
	cur, err := c.BIs.Get(ctx, name)
	if err == nil {
		if cp := cur.Value.Status.Copies[diskUUID]; cp != nil && cp.State == apitypes.StateFailed {
			return errkind.Invalid("%s", cp.Message)
		}
	}
	return nil
}

// uploadTarget checks that name accepts an upload now and returns the disk
// of its first copy, scheduling that copy if the controller has not yet.
func (c *Controller) uploadTarget(ctx context.Context, name string) (model.BackingImage, string, error) {
	var diskUUID string
	bi, err := c.BIs.Mutate(ctx, name, func(bi *model.BackingImage) error {
		if bi.SourceType != apitypes.SourceUpload {
			return errkind.Invalid("backing image %s has sourceType %q; only images created with sourceType upload accept uploads", name, bi.SourceType)
		}
		if bi.DeletionRequested != nil {
			return errkind.Conflict("backing image %s is being deleted", name)
		}
		if bi.ReadyCopies() > 0 {
			return errkind.Conflict("backing image %s is already uploaded and ready", name)
		}
		before := len(bi.Status.Copies)
		c.schedule(ctx, bi)
		diskUUID = c.firstLocalCopy(bi)
		if diskUUID == "" && bi.Status.Message != "" {
			return errkind.Conflict("backing image %s cannot be placed: %s", name, bi.Status.Message)
		}
		if diskUUID == "" {
			return errkind.Unavailable("no schedulable disk on node %s can hold backing image %s; check the node's disks", c.NodeID, name)
		}
		if len(bi.Status.Copies) == before {
			return store.ErrNoChange
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return bi, "", errkind.NotFound("backing image %s not found", name)
	}
	return bi, diskUUID, err
}

func (c *Controller) firstLocalCopy(bi *model.BackingImage) string {
	keys := make([]string, 0, len(bi.Status.Copies))
	for k, cp := range bi.Status.Copies {
		if cp.NodeID == c.NodeID && !cp.Cleanup {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}
