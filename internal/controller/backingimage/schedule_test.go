package backingimage

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/controller/node"
	"github.com/plinth-storage/plinth/internal/model"
)

func testController(refs ...node.DiskRef) *Controller {
	return &Controller{Disks: node.RegistryOf(refs...), NodeID: "n1", Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Enqueue: func(string) {}}
}

func fsDisk(name, uuid string, avail int64) node.DiskRef {
	return node.DiskRef{Name: name, UUID: uuid, Available: avail,
		Spec: apitypes.DiskSpec{DiskType: apitypes.DiskTypeFilesystem, AllowScheduling: true}}
}

func TestScheduleFirstCopyThenReplicas(t *testing.T) {
	c := testController(fsDisk("a", "ua", 10), fsDisk("b", "ub", 30), fsDisk("c", "uc", 20))
	bi := &model.BackingImage{Name: "img", SourceType: apitypes.SourceDownload, MinNumberOfCopies: 2, DataEngine: apitypes.DataEngineV1}
	c.schedule(t.Context(), bi)
	if len(bi.Status.Copies) != 1 || bi.Status.Copies["ub"] == nil {
		t.Fatalf("first copy must go alone to the disk with most space: %v", bi.Status.Copies)
	}
	c.schedule(t.Context(), bi)
	if len(bi.Status.Copies) != 1 {
		t.Fatal("a second copy was placed before the first is ready")
	}
	bi.Status.Copies["ub"].State = apitypes.StateReady
	c.schedule(t.Context(), bi)
	if len(bi.Status.Copies) != 2 || bi.Status.Copies["uc"] == nil || bi.Status.Copies["uc"].State != apitypes.StatePending {
		t.Fatalf("once ready, minNumberOfCopies=2 must add one pending copy on the next best disk: %v", bi.Status.Copies)
	}
}

func TestScheduleUsesTheEnginesDiskType(t *testing.T) {
	blk := node.DiskRef{Name: "blk", UUID: "ublk", Available: 1,
		Spec: apitypes.DiskSpec{DiskType: apitypes.DiskTypeBlock, AllowScheduling: true}}
	c := testController(fsDisk("a", "ua", 100), blk)
	bi := &model.BackingImage{Name: "img", SourceType: apitypes.SourceUpload, DataEngine: apitypes.DataEngineV2}
	c.schedule(t.Context(), bi)
	cp := bi.Status.Copies["ublk"]
	if len(bi.Status.Copies) != 1 || cp == nil || cp.DataEngine != apitypes.DataEngineV2 {
		t.Fatalf("a v2 image must be placed on the block disk: %v", bi.Status.Copies)
	}
	if cp.Message != "waiting for the client to upload the file" {
		t.Errorf("upload copy message %q", cp.Message)
	}
}

func TestObserveMarksLostDisksAndInterruptedUploads(t *testing.T) {
	c := testController(fsDisk("a", "ua", 100))
	bi := &model.BackingImage{Name: "img", UUID: "abcd1234", SourceType: apitypes.SourceUpload,
		Status: model.BackingImageStatus{Copies: map[string]*model.Copy{
			"ua":   {NodeID: "n1", State: apitypes.StateInProgress},
			"gone": {NodeID: "n1", State: apitypes.StatePending},
		}}}
	c.observeCopies(bi)
	if st := bi.Status.Copies["gone"].State; st != apitypes.StateUnknown {
		t.Errorf("copy on a missing disk is %s, want unknown", st)
	}
	up := bi.Status.Copies["ua"]
	if up.State != apitypes.StateFailed || up.Message == "" {
		t.Errorf("an in-progress upload with no live upload is %s %q, want failed with a message", up.State, up.Message)
	}
}

func TestScheduleNodeSelectorMatchingNothingPlacesNoCopy(t *testing.T) {
	c := testController(fsDisk("a", "ua", 100))
	bi := &model.BackingImage{Name: "img", SourceType: apitypes.SourceDownload, DataEngine: apitypes.DataEngineV1,
		NodeSelector: []string{"ssd", "fast"}}
	c.schedule(t.Context(), bi)
	if len(bi.Status.Copies) != 0 {
		t.Fatalf("a copy was placed although no node has tags [ssd fast]: %v", bi.Status.Copies)
	}
	if msg := bi.Status.Message; !strings.Contains(msg, "nodeSelector [ssd fast]") || !strings.Contains(msg, "n1") {
		t.Fatalf("message %q must name the nodeSelector and the node", msg)
	}
}

func TestScheduleDiskSelectorMatchingNothingThenATaggedDisk(t *testing.T) {
	c := testController(fsDisk("a", "ua", 100))
	bi := &model.BackingImage{Name: "img", SourceType: apitypes.SourceDownload, DataEngine: apitypes.DataEngineV1,
		DiskSelector: []string{"nvme"}}
	c.schedule(t.Context(), bi)
	if len(bi.Status.Copies) != 0 || !strings.Contains(bi.Status.Message, "diskSelector [nvme]") {
		t.Fatalf("copies %v, message %q: want none placed and a message naming diskSelector [nvme]", bi.Status.Copies, bi.Status.Message)
	}
	tagged := fsDisk("b", "ub", 10)
	tagged.Spec.Tags = []string{"nvme", "other"}
	c.Disks = node.RegistryOf(fsDisk("a", "ua", 100), tagged)
	c.schedule(t.Context(), bi)
	if len(bi.Status.Copies) != 1 || bi.Status.Copies["ub"] == nil || bi.Status.Message != "" {
		t.Fatalf("copies %v, message %q: want the copy on the tagged disk and no message", bi.Status.Copies, bi.Status.Message)
	}
}

func TestScheduleWithoutSelectorsHasNoMessage(t *testing.T) {
	c := testController(fsDisk("a", "ua", 100))
	bi := &model.BackingImage{Name: "img", SourceType: apitypes.SourceUpload, DataEngine: apitypes.DataEngineV1,
		NodeSelector: []string{}, Status: model.BackingImageStatus{Message: "stale"}}
	c.schedule(t.Context(), bi)
	if len(bi.Status.Copies) != 1 || bi.Status.Message != "" {
		t.Fatalf("copies %v, message %q: want one copy and the stale message cleared", bi.Status.Copies, bi.Status.Message)
	}
}
