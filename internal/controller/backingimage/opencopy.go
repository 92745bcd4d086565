package backingimage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/controller/node"
	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// Opened is a ready local copy opened for reading, with its block
// manifest and where it lives. Close releases it.
type Opened struct {
	engine.CopyReader
	Manifest *engine.Manifest
	ID       engine.CopyID
	DiskUUID string
	DiskName string
	DiskPath string
}

// OpenCopy opens a ready local copy of bi for reading (a download, a
// backup) together with its manifest. A copy whose manifest shows it
// damaged (a copy made before manifests whose content no longer hashes to
// its checksum) is marked failed, naming the damage, and the next ready
// copy is tried. The error says why no copy could be opened.
func (c *Controller) OpenCopy(ctx context.Context, bi model.BackingImage) (*Opened, error) {
	return c.openReady(ctx, bi, "")
}

// openReady is OpenCopy skipping the copy on disk skip.
func (c *Controller) openReady(ctx context.Context, bi model.BackingImage, skip string) (*Opened, error) {
	id := copyID(bi)
	keys := make([]string, 0, len(bi.Status.Copies))
	for k := range bi.Status.Copies {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var why []string
	for _, diskUUID := range keys {
		cp := bi.Status.Copies[diskUUID]
		ref, ok := c.Disks.Get(diskUUID)
		if diskUUID == skip || !ok || cp.State != apitypes.StateReady || cp.Cleanup {
			continue
		}
		o, err := openOn(ctx, ref, id)
		if err == nil {
			return o, nil
		}
		if errors.Is(err, engine.ErrDamaged) {
			c.MarkDamaged(ctx, id, diskUUID, err)
		}
		why = append(why, fmt.Sprintf("copy on disk %s: %v", ref.Name, err))
	}
	if len(why) > 0 {
		return nil, fmt.Errorf("backing image %s has no readable ready copy on node %s: %s", bi.Name, c.NodeID, strings.Join(why, "; "))
	}
	return nil, fmt.Errorf("backing image %s has no ready copy on node %s", bi.Name, c.NodeID)
}

// openOn opens copy id on the disk with its manifest.
func openOn(ctx context.Context, ref node.DiskRef, id engine.CopyID) (*Opened, error) {
	r, err := ref.Disk.Open(id)
	if err != nil {
		return nil, err
	}
	m, err := ref.Disk.Manifest(ctx, id)
	if err != nil {
		r.Close()
		return nil, err
	}
	return &Opened{CopyReader: r, Manifest: m, ID: id, DiskUUID: ref.UUID, DiskName: ref.Name, DiskPath: ref.Spec.Path}, nil
}

// MarkDamaged records that the ready copy id on disk diskUUID is damaged:
// the copy becomes failed with damage as its message (an
// *engine.DamagedError names the bad blocks, or says the whole checksum
// no longer matches). A copy that is no longer ready, or that belongs to
// an image of the same name created since (another UUID), is left alone.
func (c *Controller) MarkDamaged(ctx context.Context, id engine.CopyID, diskUUID string, damage error) {
	changed := false
	_, err := c.BIs.Mutate(context.WithoutCancel(ctx), id.Name, func(bi *model.BackingImage) error {
		changed = false
		cp := bi.Status.Copies[diskUUID]
		if bi.UUID != id.UUID || bi.DeletionRequested != nil || cp == nil || cp.Cleanup || cp.State != apitypes.StateReady {
			return store.ErrNoChange
		}
		cp.SetState(apitypes.StateFailed, damage.Error(), time.Now().UTC())
		changed = true
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		c.Log.Warn("record a damaged copy", "image", id.Name, "disk", diskUUID, "damage", damage, "err", err)
		return
	}
	if changed {
		c.Log.Warn("copy is damaged; marked failed", "image", id.Name, "disk", diskUUID, "damage", damage)
		if c.Enqueue != nil {
			c.Enqueue(id.Name)
		}
	}
}
