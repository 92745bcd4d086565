package scrub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/engine"
)

// repair rewrites each damaged block of copy c from the first source whose
// bytes the disk accepts (Repair checks them against the manifest): zeros
// for a zero block, another ready copy of the image on this node, a backup
// of the image with the copy's checksum. It returns where each repaired
// block came from and the blocks no source could give.
func (s *Scrubber) repair(ctx context.Context, c candidate, offsets []int64) (map[int64]string, []int64) {
	id := copyID(c.bi)
	repaired := map[int64]string{}
	var missing []int64
	m, err := c.ref.Disk.Manifest(ctx, id)
	if err != nil {
		s.log().Warn("scrub could not read the manifest of a damaged copy", "image", c.bi.Name, "disk", c.ref.Name, "err", err)
		return repaired, offsets
	}
	peers := s.peers(c)
	for _, off := range offsets {
		if src, ok := s.repairBlock(ctx, c, m, peers, off); ok {
			repaired[off] = src
			s.log().Info("scrub repaired a block", "image", c.bi.Name, "disk", c.ref.Name, "offset", off, "from", src)
		} else {
			missing = append(missing, off)
		}
	}
	return repaired, missing
}

// peer is another ready copy of the image on this node.
type peer struct {
	name string
	disk engine.Disk
}

func (s *Scrubber) peers(c candidate) []peer {
	var out []peer
	keys := make([]string, 0, len(c.bi.Status.Copies))
	for k := range c.bi.Status.Copies {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, diskUUID := range keys {
		cp := c.bi.Status.Copies[diskUUID]
		if diskUUID == c.diskUUID || cp.NodeID != s.NodeID || cp.Cleanup || cp.State != apitypes.StateReady {
			continue
		}
		if ref, ok := s.Disks.Get(diskUUID); ok && ref.Disk != nil {
			out = append(out, peer{name: ref.Name, disk: ref.Disk})
		}
	}
	return out
}

// repairBlock repairs the block at off and says where its bytes came from.
func (s *Scrubber) repairBlock(ctx context.Context, c candidate, m *engine.Manifest, peers []peer, off int64) (string, bool) {
	id := copyID(c.bi)
	i := int(off / engine.BlockSize)
	if i >= len(m.Blocks) {
		return "", false
	}
	n := engine.BlockLen(i, m.Size)
	try := func(data []byte, err error) bool {
		if err != nil || len(data) != n {
			return false
		}
		err = c.ref.Disk.Repair(ctx, id, off, data)
		if err != nil && !errors.Is(err, engine.ErrChecksumMismatch) {
			s.log().Warn("scrub could not write a repaired block", "image", c.bi.Name, "disk", c.ref.Name, "offset", off, "err", err)
		}
		return err == nil
	}
	if m.Blocks[i].IsZero() && try(make([]byte, n), nil) {
		return "zeros (it is a zero block)", true
	}
	for _, p := range peers {
		if try(readBlock(p.disk, id, off, n)) {
			return "the copy on disk " + p.name, true
		}
	}
	if s.Backups != nil {
		data, err := s.Backups.BackupBlock(ctx, c.bi.Name, m.Checksum, off)
		if err != nil {
			s.log().Info("no backup block to repair from", "image", c.bi.Name, "offset", off, "err", err)
		}
		if try(data, err) {
			return "a backup of the image", true
		}
	}
	return "", false
}

// readBlock reads n bytes at off of the ready copy id on d.
func readBlock(d engine.Disk, id engine.CopyID, off int64, n int) ([]byte, error) {
	r, err := d.Open(id)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if off+int64(n) > r.Size() {
		return nil, fmt.Errorf("the copy is %d bytes, too short for the block at %d", r.Size(), off)
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf, nil
}

func sortedOffsets(m map[int64]string) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
