package backingimage

import (
	"context"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/model"
)

// schedule adds copies: the first one on the best schedulable disk when the
// image has none, then, once a copy is ready, further copies on other disks
// until minNumberOfCopies is reached (or no eligible disk is left).
func (c *Controller) schedule(ctx context.Context, bi *model.BackingImage) {
	if bi.Status.Copies == nil {
		bi.Status.Copies = map[string]*model.Copy{}
	}
	want := 1
	if bi.ReadyCopies() > 0 {
		want = max(bi.MinNumberOfCopies, 1)
	}
	live := 0
	for _, cp := range bi.Status.Copies {
		if !cp.Cleanup {
			live++
		}
	}
	if live >= want {
		return
	}
	now := time.Now().UTC()
	for _, d := range c.Disks.Schedulable(DiskTypeFor(bi.DataEngine), bi.DiskSelector) {
		if live >= want {
			return
		}
		if _, taken := bi.Status.Copies[d.UUID]; taken {
			continue
		}
		cp := &model.Copy{NodeID: c.NodeID, DiskName: d.Name, DataEngine: bi.DataEngine}
		msg := "waiting to be filled from the image's source"
		if bi.SourceType == apitypes.SourceUpload && bi.ReadyCopies() == 0 {
			msg = "waiting for the client to upload the file"
		} else if bi.ReadyCopies() > 0 {
			msg = "waiting to be copied from a ready copy"
		}
		cp.SetState(apitypes.StatePending, msg, now)
		bi.Status.Copies[d.UUID] = cp
		live++
	}
}

// removeCleanedCopies drops the records of copies whose cleanup finished
// (their files are gone); it reports whether anything changed.
func (c *Controller) removeCleanedCopies(bi *model.BackingImage) bool {
	changed := false
	for diskUUID, cp := range bi.Status.Copies {
		if cp.Cleanup && cp.NodeID == c.NodeID && !c.workers.running(bi.Name, diskUUID) && cp.State == stateRemoved {
			delete(bi.Status.Copies, diskUUID)
			changed = true
		}
	}
	return changed
}

// stateRemoved is an internal state: the files of a copy marked for cleanup
// are gone and its record can be dropped.
const stateRemoved = "removed"

// DiskTypeFor is the disk type that holds copies of a data engine.
func DiskTypeFor(dataEngine string) string {
	if dataEngine == apitypes.DataEngineV2 {
		return apitypes.DiskTypeBlock
	}
	return apitypes.DiskTypeFilesystem
}
