package backingimage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// errCopyGone means the copy's record disappeared while it was updated.
var errCopyGone = errors.New("copy record is gone")

// updateCopy applies fn to the copy on diskUUID (and its image) with
// compare-and-swap retries. It returns errCopyGone when the image or the
// copy record no longer exists, or the image is being deleted.
func (c *Controller) updateCopy(ctx context.Context, name, diskUUID string, fn func(bi *model.BackingImage, cp *model.Copy)) error {
	_, err := c.BIs.Mutate(ctx, name, func(bi *model.BackingImage) error {
		cp := bi.Status.Copies[diskUUID]
		if cp == nil || bi.DeletionRequested != nil || cp.Cleanup {
			return errCopyGone
		}
		fn(bi, cp)
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return errCopyGone
	}
	return err
}

// setState records a state change of one copy. Errors are logged: the
// controller re-derives state on its next pass.
func (c *Controller) setState(ctx context.Context, name, diskUUID, state, msg string) {
	err := c.updateCopy(context.WithoutCancel(ctx), name, diskUUID, func(_ *model.BackingImage, cp *model.Copy) {
		cp.SetState(state, msg, time.Now().UTC())
		if state == apitypes.StateInProgress {
			cp.Progress = 0
		}
	})
	if err != nil && !errors.Is(err, errCopyGone) {
		c.Log.Warn("record copy state", "image", name, "disk", diskUUID, "state", state, "err", err)
	}
}

// markReady records a committed copy. The first ready copy fixes the
// image's checksum, size and format; a later copy that differs is failed.
func (c *Controller) markReady(ctx context.Context, name, diskUUID string, cfg engine.Record) {
	c.markReadyWith(ctx, name, diskUUID, cfg, "")
}

// markReadyWith is markReady leaving msg as the ready copy's message.
func (c *Controller) markReadyWith(ctx context.Context, name, diskUUID string, cfg engine.Record, msg string) {
	err := c.updateCopy(context.WithoutCancel(ctx), name, diskUUID, func(bi *model.BackingImage, cp *model.Copy) {
		now := time.Now().UTC()
		st := &bi.Status
		if st.CurrentChecksum != "" && st.CurrentChecksum != cfg.Checksum {
			cp.SetState(apitypes.StateFailed, fmt.Sprintf("copy checksum %s does not match the image's checksum %s", cfg.Checksum, st.CurrentChecksum), now)
			return
		}
		st.CurrentChecksum = cfg.Checksum
		st.Size = cfg.Size
		st.VirtualSize = cfg.VirtualSize
		st.Format = string(cfg.Format)
		cp.SetState(apitypes.StateReady, msg, now)
	})
	if err != nil && !errors.Is(err, errCopyGone) {
		c.Log.Warn("record ready copy", "image", name, "disk", diskUUID, "err", err)
	}
}

// fail records a failed copy with the error as its message.
func (c *Controller) fail(ctx context.Context, name, diskUUID string, err error) {
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return // cancelled by delete or cleanup, not a failure
	}
	c.Log.Warn("copy failed", "image", name, "disk", diskUUID, "err", err)
	c.setState(ctx, name, diskUUID, apitypes.StateFailed, err.Error())
}

// progressReporter returns a callback that records a copy's progress at
// most once per percent and per 500 ms, and counts bytes for metrics.
func (c *Controller) progressReporter(ctx context.Context, name, diskUUID, direction string) func(done, total int64) {
	var mu sync.Mutex
	last, lastPct, lastAt := int64(0), -1, time.Time{}
	return func(done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		if done > last {
			c.Metrics.addBytes(direction, done-last)
			last = done
		}
		if total <= 0 {
			return
		}
		pct := int(done * 100 / total)
		if pct >= 100 {
			pct = 99 // 100 only once committed and verified
		}
		if pct == lastPct || time.Since(lastAt) < 500*time.Millisecond {
			return
		}
		lastPct, lastAt = pct, time.Now()
		_ = c.updateCopy(ctx, name, diskUUID, func(_ *model.BackingImage, cp *model.Copy) { cp.Progress = pct })
	}
}
