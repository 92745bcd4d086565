// Package backingimage reconciles backing images on this node: it places
// copies on disks, fills the first copy from its source (download, upload,
// restore), replicates ready copies to further disks, and removes copies on
// cleanup and delete. Long work runs in workers tracked in memory; after a
// crash, every copy left in progress is restarted or failed with a reason.
package backingimage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/controller/node"
	"github.com/plinth-storage/plinth/internal/controller/runner"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/store"
)

// Controller reconciles backing images. Set every exported field before Run.
type Controller struct {
	BIs          *store.Kind[model.BackingImage]
	Settings     *settings.Store
	Disks        *node.Registry
	NodeID       string
	AllowPrivate bool
	// Restorer gives the backups that restore copies; nil means restores
	// fail with a message saying so.
	Restorer Restorers
	Metrics  *Metrics
	Log      *slog.Logger
	// Enqueue asks for a backing image to be reconciled again.
	Enqueue func(name string)

	workers workers
}

var _ runner.Reconciler = (*Controller)(nil)

// Reconcile converges one backing image.
func (c *Controller) Reconcile(ctx context.Context, name string) (runner.Result, error) {
	cur, err := c.BIs.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		c.workers.cancelImage(name)
		return runner.Result{}, nil
	}
	if err != nil {
		return runner.Result{}, err
	}
	bi := cur.Value
	if bi.DeletionRequested != nil {
		return runner.Result{}, c.finishDelete(ctx, cur)
	}
	next := bi
	next.Status.Copies = cloneCopies(bi.Status.Copies)
	c.observeCopies(&next)
	c.schedule(ctx, &next)
	if c.removeCleanedCopies(&next) || !sameCopies(bi.Status.Copies, next.Status.Copies) || bi.Status.Message != next.Status.Message {
		if _, err := c.BIs.Update(ctx, name, next, cur.Rev); err != nil {
			return runner.Result{}, err
		}
	}
	c.startWork(ctx, next)
	return runner.Result{RequeueAfter: time.Minute}, nil
}

// observeCopies marks copies whose disk is gone unknown, and ready copies
// whose file vanished failed; in-progress uploads with no live upload are
// failed (an interrupted upload must be retried by the client).
func (c *Controller) observeCopies(bi *model.BackingImage) {
	now := time.Now().UTC()
	id := copyID(*bi)
	for diskUUID, cp := range bi.Status.Copies {
		if cp.NodeID != c.NodeID || cp.Cleanup {
			continue
		}
		ref, ok := c.Disks.Get(diskUUID)
		if !ok {
			if cp.State != apitypes.StateFailed {
				cp.SetState(apitypes.StateUnknown, fmt.Sprintf("disk %s is not ready or does not exist on node %s", cp.DiskName, c.NodeID), now)
			}
			continue
		}
		switch cp.State {
		case apitypes.StateUnknown:
			cp.SetState(apitypes.StatePending, "disk is back; checking the copy", now)
		case apitypes.StateReady:
			if err := ref.Disk.Present(id); err != nil {
				cp.SetState(apitypes.StateFailed, fmt.Sprintf("the copy's file is missing or unreadable: %v", err), now)
			}
		case apitypes.StateInProgress:
			if bi.SourceType == apitypes.SourceUpload && bi.ReadyCopies() == 0 && !c.workers.running(bi.Name, diskUUID) {
				cp.SetState(apitypes.StateFailed, "the upload was interrupted (the server restarted or the client went away); upload the file again", now)
			}
		}
	}
}

func cloneCopies(in map[string]*model.Copy) map[string]*model.Copy {
	out := make(map[string]*model.Copy, len(in))
	for k, v := range in {
		cp := *v
		out[k] = &cp
	}
	return out
}

func sameCopies(a, b map[string]*model.Copy) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || *v != *w {
			return false
		}
	}
	return true
}
