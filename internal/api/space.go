package api

import (
	"context"
	"errors"
	"strings"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/controller/backingimage"
	"github.com/plinth-storage/plinth/internal/controller/node"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// checkRoom is the request-time space check for a new copy of a data
// engine's diskType matching selector (a download, upload or restore): a
// 422 when no disk of this node could take it, a 507 (Insufficient
// Storage) when every disk that could is at or below its reserve (setting
// storage-minimal-available-percentage, or the disk's storageReserved),
// by their live capacity. The 507 names each disk, its free bytes and its
// reserve, and says what to do.
func (s *Server) checkRoom(ctx context.Context, dataEngine string, selector []string, need int64) error {
	diskType := backingimage.DiskTypeFor(dataEngine)
	candidates := s.d.Disks.Candidates(diskType, selector)
	if len(candidates) == 0 {
		return errkind.Invalid("no schedulable %s disk on node %s matches diskSelector %v for data engine %s; add one with the node's diskUpdate action",
			diskType, s.d.NodeID, selector, dataEngine)
	}
	return s.roomOn(ctx, candidates, need)
}

// roomOn is nil when one of disks has room for need more bytes above its
// reserve, and the 507 explaining each disk otherwise.
func (s *Server) roomOn(ctx context.Context, disks []node.DiskRef, need int64) error {
	pct := node.MinimalAvailablePercent(ctx, s.d.Settings)
	if _, reasons, ok := node.FindRoom(disks, need, pct, s.d.NodeID, s.d.Disks.LiveCapacity); !ok {
		return insufficientStorage(reasons)
	}
	return nil
}

// checkUploadRoom is checkRoom for an upload to image name: the disk its
// copy waits on must have room for need bytes (when known) above its
// reserve; when no copy is placed yet, any disk the image may use. Other
// problems (no such image, not an upload image) are left to the upload
// itself to report.
func (s *Server) checkUploadRoom(ctx context.Context, name string, need int64) error {
	v, err := s.d.BIs.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	bi := v.Value
	if bi.SourceType != apitypes.SourceUpload || bi.ReadyCopies() > 0 {
		return nil
	}
	if waiting := s.waitingDisks(bi); len(waiting) > 0 {
		return s.roomOn(ctx, waiting, need)
	}
	return s.checkRoom(ctx, bi.DataEngine, bi.DiskSelector, need)
}

// waitingDisks are the ready disks of this node holding a copy of bi that
// is not marked for cleanup.
func (s *Server) waitingDisks(bi model.BackingImage) []node.DiskRef {
	var out []node.DiskRef
	for uuid, cp := range bi.Status.Copies {
		if cp.NodeID != s.d.NodeID || cp.Cleanup {
			continue
		}
		if d, ok := s.d.Disks.Get(uuid); ok {
			out = append(out, d)
		}
	}
	return out
}

// insufficientStorage is the 507 for a new copy no disk has room for.
func insufficientStorage(reasons []string) error {
	return errkind.InsufficientStorage("no disk has room for a new copy: %s", strings.Join(reasons, "; "))
}
