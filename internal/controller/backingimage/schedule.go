package backingimage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/model"
)

// schedule adds copies: the first one on the best schedulable disk when the
// image has none, then, once a copy is ready, further copies on other disks
// until minNumberOfCopies is reached (or no eligible disk is left). When a
// selector blocks placement (the node lacks a nodeSelector tag, or no disk
// has every diskSelector tag and the image has no copy yet), nothing is
// placed and bi.Status.Message says which selector and what to do;
// otherwise the message is cleared.
func (c *Controller) schedule(ctx context.Context, bi *model.BackingImage) {
	if bi.Status.Copies == nil {
		bi.Status.Copies = map[string]*model.Copy{}
	}
	disks := c.Disks.Schedulable(DiskTypeFor(bi.DataEngine), bi.DiskSelector)
	bi.Status.Message = c.placementBlocked(bi, len(disks))
	if bi.Status.Message != "" {
		return
	}
	want := 1
	if bi.ReadyCopies() > 0 {
		want = max(bi.MinNumberOfCopies, 1)
	}
	live := liveCopies(bi)
	now := time.Now().UTC()
	for _, d := range disks {
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

// nodeTags are this node's tags. Nodes carry none in this version (no API
// sets them), so a nodeSelector with any tag matches no node.
func (c *Controller) nodeTags() []string { return nil }

// placementBlocked says why no copy of bi can be placed on this node, or
// "" when placement may go on; matching is the count of schedulable disks
// that match the image's engine and diskSelector.
func (c *Controller) placementBlocked(bi *model.BackingImage, matching int) string {
	tags := c.nodeTags()
	if missing := missingTags(tags, bi.NodeSelector); len(missing) > 0 {
		return fmt.Sprintf("no node matches nodeSelector %v: node %s has tags %v and lacks %v; node tags cannot be set in this version, so delete the image and create it again without nodeSelector (select disks by their tags with diskSelector instead)",
			bi.NodeSelector, c.NodeID, nonNil(tags), missing)
	}
	if matching == 0 && liveCopies(bi) == 0 {
		diskType := DiskTypeFor(bi.DataEngine)
		if len(bi.DiskSelector) > 0 {
			return fmt.Sprintf("no schedulable %s disk on node %s matches diskSelector %v: add the tags to a disk (plinth node disk-update %s --disk NAME=PATH,tags=%s) or allow scheduling on a tagged one",
				diskType, c.NodeID, bi.DiskSelector, c.NodeID, strings.Join(bi.DiskSelector, ";"))
		}
		return fmt.Sprintf("no schedulable %s disk on node %s for data engine %s: add one (plinth node disk-update) or allow scheduling on one",
			diskType, c.NodeID, bi.DataEngine)
	}
	return ""
}

// missingTags returns the tags of selector that tags lacks.
func missingTags(tags, selector []string) []string {
	var out []string
	for _, s := range selector {
		if !slices.Contains(tags, s) {
			out = append(out, s)
		}
	}
	return out
}

func liveCopies(bi *model.BackingImage) int {
	n := 0
	for _, cp := range bi.Status.Copies {
		if !cp.Cleanup {
			n++
		}
	}
	return n
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
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
